/*
 * NAME
 *      test_qfile - unit tests for lib/qfile.c and lib/mail_queue.c
 *
 * DESCRIPTION
 *      Builds a queue file the way cleanup does (SIZE placeholder, T, A, S,
 *      O, R, M, N..., X, E, then the SIZE record rewritten in place),
 *      commits it with mail_queue_commit() and reads it back; marks a
 *      recipient done; feeds the reader every truncated prefix, records in
 *      the wrong segment and a pointer loop; reads the Postfix 3.7 file of
 *      reference 3.4 rebuilt byte for byte; checks queue-ID formats and
 *      hash paths; and runs Postfix's /usr/sbin/postcat on our file (skipped
 *      only when that program is absent).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "qfile.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

static char topdir[] = "/tmp/test_qfileXXXXXX";

/* put_str - rec_put a C string */
static void put_str(STREAM *st, int type, const char *s)
{
    assert_int_equal(rec_put(st, type, s, strlen(s)), type);
}

/* write_message - write a cleanup-style file; returns its fd, qid in qid */
static int write_message(VSTR *qid, off_t *r_offset)
{
    int fd = mail_queue_enter(MAIL_QUEUE_INCOMING, 0, qid, NULL);
    STREAM *st;
    VSTR *size = vstr_alloc(100);
    off_t data_offset, xtra_offset;

    assert_true(fd >= 0);
    st = stream_fdopen(dup(fd), "incoming");
    rec_size_format(size, 0, 0, 0, 0, 0, 0);
    put_str(st, 'C', VSTR_STR(size));
    put_str(st, 'T', "1795266496 64819");
    put_str(st, 'A', "rewrite_context=local");
    put_str(st, 'S', "sender@example.org");
    put_str(st, 'A', "dsn_orig_rcpt=rfc822;alice@example.test");
    put_str(st, 'O', "alice@example.test");
    *r_offset = stream_tell(st);
    put_str(st, 'R', "alice@example.test");
    put_str(st, 'M', "");
    data_offset = stream_tell(st);
    put_str(st, 'N', "Subject: hello");
    put_str(st, 'N', "");
    put_str(st, 'L', "Hello body ");
    put_str(st, 'N', "line");
    xtra_offset = stream_tell(st);
    put_str(st, 'X', "");
    put_str(st, 'R', "bob@example.test");
    put_str(st, 'E', "");
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    rec_size_format(size, (long)(xtra_offset - data_offset), (long)data_offset, 2, 0,
                    (long)(xtra_offset - data_offset), 0);
    put_str(st, 'C', VSTR_STR(size));
    assert_int_equal(stream_close(st), 0);
    assert_int_equal(mail_queue_commit(fd, 0), 0);
    vstr_free(size);
    return fd;
}

/* read_path - qfile_read a file by path: 0 or -1 */
static int read_path(const char *path, QFILE *qf)
{
    int fd = open(path, O_RDONLY);
    STREAM *st;
    int ret;

    assert_true(fd >= 0);
    st = stream_fdopen(fd, path);
    ret = qfile_read(st, qf, QFILE_FLAG_NONE);
    stream_close(st);
    return ret;
}

static void test_write_read_mark(void **state)
{
    VSTR *qid = vstr_alloc(20);
    VSTR *path = vstr_alloc(100);
    QFILE *qf = qfile_alloc();
    struct stat st;
    off_t r_off;
    int fd = write_message(qid, &r_off);

    assert_true(mail_queue_id_ok(VSTR_STR(qid)));
    assert_true(VSTR_LEN(qid) >= 6);
    assert_int_equal(mail_open_ok(MAIL_QUEUE_INCOMING, VSTR_STR(qid), &st, path), 1);
    assert_int_equal(st.st_mode & 07777, 0700);
    /* The short ID ends in the inode number in hex. */
    {
        char ino[32];

        snprintf(ino, sizeof(ino), "%lX", (unsigned long)st.st_ino);
        assert_string_equal(VSTR_STR(qid) + 5, ino);
    }
    assert_int_equal(read_path(VSTR_STR(path), qf), 0);
    assert_string_equal(qf->sender, "sender@example.org");
    assert_int_equal(qf->arrival_sec, 1795266496);
    assert_int_equal(qf->arrival_usec, 64819);
    assert_int_equal(qf->rcpt_count, 2);
    assert_int_equal(qf->nrcpt, 2);
    assert_string_equal(qf->rcpts[0].address, "alice@example.test");
    assert_string_equal(qf->rcpts[0].orig, "alice@example.test");
    assert_string_equal(qf->rcpts[0].dsn_orig, "rfc822;alice@example.test");
    assert_int_equal(qf->rcpts[0].offset, r_off);
    assert_int_equal(qf->rcpts[0].done, 0);
    assert_string_equal(qf->rcpts[1].address, "bob@example.test");
    assert_null(qf->rcpts[1].orig);
    assert_string_equal(qfile_attr(qf, "rewrite_context"), "local");
    assert_null(qfile_attr(qf, "rewrite"));

    assert_int_equal(qfile_mark_done(fd, qf->rcpts[0].offset), 0);
    assert_int_equal(read_path(VSTR_STR(path), qf), 0);
    assert_int_equal(qf->rcpts[0].done, 1);
    assert_int_equal(qf->rcpts[1].done, 0);

    /* Move to deferred: hashed on the first ID character. */
    assert_int_equal(mail_queue_rename(VSTR_STR(qid), "incoming", "deferred"), 0);
    vstr_sprintf(path, "deferred/%c/%s", VSTR_STR(qid)[0], VSTR_STR(qid));
    assert_int_equal(access(VSTR_STR(path), F_OK), 0);
    assert_int_equal(mail_open_ok("deferred", VSTR_STR(qid), &st, path), 1);
    assert_int_equal(mail_queue_remove("deferred", VSTR_STR(qid)), 0);
    assert_int_equal(mail_queue_rename(VSTR_STR(qid), "incoming", "deferred"), -1);
    close(fd);
    qfile_free(qf);
    vstr_free(qid);
    vstr_free(path);
}

static void test_truncation_every_offset(void **state)
{
    VSTR *qid = vstr_alloc(20);
    VSTR *path = vstr_alloc(100);
    QFILE *qf = qfile_alloc();
    struct stat st;
    off_t r_off, len;
    char *data;
    int fd = write_message(qid, &r_off);

    assert_int_equal(fstat(fd, &st), 0);
    data = malloc((size_t)st.st_size);
    assert_int_equal(pread(fd, data, (size_t)st.st_size, 0), st.st_size);
    for (len = 0; len < st.st_size; len++) {
        int tfd = open("trunc", O_RDWR | O_CREAT | O_TRUNC, 0600);
        STREAM *ts;

        assert_true(tfd >= 0);
        assert_int_equal(write(tfd, data, (size_t)len), (ssize_t)len);
        lseek(tfd, 0, SEEK_SET);
        ts = stream_fdopen(tfd, "trunc");
        assert_int_equal(qfile_read(ts, qf, QFILE_FLAG_NONE), -1);
        assert_true(qf->error[0] != 0);
        stream_close(ts);
    }
    /* Bytes after END (a heap) do not hurt. */
    {
        int tfd = open("trunc", O_RDWR | O_CREAT | O_TRUNC, 0600);
        STREAM *ts;

        assert_int_equal(write(tfd, data, (size_t)st.st_size), st.st_size);
        assert_int_equal(write(tfd, "N\377", 2), 2);
        lseek(tfd, 0, SEEK_SET);
        ts = stream_fdopen(tfd, "trunc");
        assert_int_equal(qfile_read(ts, qf, QFILE_FLAG_NONE), 0);
        stream_close(ts);
    }
    unlink("trunc");
    free(data);
    mail_queue_remove(MAIL_QUEUE_INCOMING, VSTR_STR(qid));
    close(fd);
    qfile_free(qf);
    vstr_free(qid);
    vstr_free(path);
}

/* hostile - read a hand-made file; returns the qfile_read result */
static int hostile(QFILE *qf, void (*build)(STREAM *))
{
    int fd = open("hostile", O_RDWR | O_CREAT | O_TRUNC, 0600);
    STREAM *st = stream_fdopen(fd, "hostile");
    int ret;

    build(st);
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    ret = qfile_read(st, qf, QFILE_FLAG_NONE);
    stream_close(st);
    unlink("hostile");
    return ret;
}

static void size_rec(STREAM *st)
{
    VSTR *v = vstr_alloc(100);

    rec_size_format(v, 1, 200, 1, 0, 1, 0);
    put_str(st, 'C', VSTR_STR(v));
    vstr_free(v);
}

static void build_wrong_segment(STREAM *st)
{
    size_rec(st);
    put_str(st, 'S', "s");
    put_str(st, 'N', "text in envelope");
    put_str(st, 'M', "");
    put_str(st, 'X', "");
    put_str(st, 'E', "");
}

static void build_loop(STREAM *st)
{
    VSTR *v = vstr_alloc(20);

    size_rec(st);
    put_str(st, 'S', "s");
    vstr_sprintf(v, "%15ld", (long)stream_tell(st));
    put_str(st, 'p', VSTR_STR(v));
    vstr_free(v);
}

static void build_no_sender(STREAM *st)
{
    size_rec(st);
    put_str(st, 'R', "r");
    put_str(st, 'M', "");
    put_str(st, 'X', "");
    put_str(st, 'E', "");
}

static void build_no_size(STREAM *st)
{
    put_str(st, 'S', "s");
    put_str(st, 'M', "");
    put_str(st, 'X', "");
    put_str(st, 'E', "");
}

static void build_bad_length(STREAM *st)
{
    size_rec(st);
    stream_write(st, "S\377\377\377\377\017s", 7);
}

static void build_ok_slow_path(STREAM *st)
{
    size_rec(st); /* SIZE points at offset 201: not the X record */
    put_str(st, 'S', "");
    put_str(st, 'R', "r");
    put_str(st, 'M', "");
    put_str(st, 'N', "x");
    put_str(st, 'L', "R this is text, not a recipient");
    put_str(st, 'N', "");
    put_str(st, 'X', "");
    put_str(st, 'E', "");
}

static void test_hostile(void **state)
{
    QFILE *qf = qfile_alloc();

    assert_int_equal(hostile(qf, build_wrong_segment), -1);
    assert_non_null(strstr(qf->error, "unexpected record type N"));
    assert_int_equal(hostile(qf, build_loop), -1);
    assert_string_equal(qf->error, "pointer loop");
    assert_int_equal(hostile(qf, build_no_sender), -1);
    assert_string_equal(qf->error, "missing sender record");
    assert_int_equal(hostile(qf, build_no_size), -1);
    assert_string_equal(qf->error, "missing SIZE record");
    assert_int_equal(hostile(qf, build_bad_length), -1);
    assert_int_equal(hostile(qf, build_ok_slow_path), 0);
    assert_string_equal(qf->sender, "");
    assert_int_equal(qf->nrcpt, 1);
    qfile_free(qf);
}

/* The 674-byte Postfix 3.7.11 file of reference 3.4, byte for byte. */
static size_t postfix_file(VSTR *out)
{
    static const char *body[] = {"Received: by mx.example.test (Postfix, from userid 0)",
                                 "\tid 3E30CA77F5F; Sat, 21 Nov 2026 13:08:16 +0000 (UTC)",
                                 "Subject: test one",
                                 "From: Sender <sender@example.org>",
                                 "Message-Id: <20261121130826.3E30CA77F5F@mx.example.test>",
                                 "Date: Sat, 21 Nov 2026 13:08:16 +0000 (UTC)",
                                 "",
                                 "Hello body line",
                                 ".leading dot",
                                 "From the start",
                                 NULL};
    static const char *env[][2] = {{"T", "1795266496 64819"},
                                   {"A", "create_time=1795266506"},
                                   {"A", "rewrite_context=local"},
                                   {"F", "Sender Name"},
                                   {"S", "sender@example.org"},
                                   {"A", "dsn_orig_rcpt=rfc822;alice@example.test"},
                                   {"O", "alice@example.test"},
                                   {"R", "alice@example.test"},
                                   {"A", "dsn_orig_rcpt=rfc822;bob@example.test"},
                                   {"O", "bob@example.test"},
                                   {"R", "bob@example.test"},
                                   {"M", ""}};
    size_t i;

    vstr_reset(out);
    vstr_addch(out, 'C');
    vstr_addch(out, 95);
    vstr_addstr(out, "            317             353               2               0"
                     "             317               0");
    for (i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
        vstr_addch(out, env[i][0][0]);
        vstr_addch(out, (int)strlen(env[i][1])); /* all < 128 */
        vstr_addstr(out, env[i][1]);
    }
    for (i = 0; body[i]; i++) {
        vstr_addch(out, 'N');
        vstr_addch(out, (int)strlen(body[i]));
        vstr_addstr(out, body[i]);
    }
    vstr_addmem(out, "X\0E\0", 4);
    return VSTR_LEN(out);
}

static void test_postfix_written_file(void **state)
{
    VSTR *data = vstr_alloc(700);
    QFILE *qf = qfile_alloc();
    int fd;

    assert_int_equal(postfix_file(data), 674);
    fd = open("3E30CA77F5F", O_RDWR | O_CREAT | O_TRUNC, 0700);
    assert_int_equal(write(fd, VSTR_STR(data), VSTR_LEN(data)), 674);
    close(fd);
    assert_int_equal(read_path("3E30CA77F5F", qf), 0);
    assert_int_equal(qf->content_size, 317);
    assert_int_equal(qf->data_offset, 353);
    assert_int_equal(qf->content_end, 670);
    assert_string_equal(qf->sender, "sender@example.org");
    assert_string_equal(qf->fullname, "Sender Name");
    assert_int_equal(qf->nrcpt, 2);
    assert_int_equal(qf->rcpts[0].offset, 256);
    assert_int_equal(qf->rcpts[1].offset, 333);
    assert_string_equal(qf->rcpts[1].dsn_orig, "rfc822;bob@example.test");
    assert_string_equal(qfile_attr(qf, "create_time"), "1795266506");
    unlink("3E30CA77F5F");
    qfile_free(qf);
    vstr_free(data);
}

static void test_paths_and_ids(void **state)
{
    VSTR *buf = vstr_alloc(50);
    VSTR *qid = vstr_alloc(50);
    int fd;

    assert_string_equal(mail_queue_path(buf, "deferred", "3E30CA77F5F"), "deferred/3/3E30CA77F5F");
    assert_string_equal(mail_queue_path(buf, "defer", "C52B6A7616B"), "defer/C/C52B6A7616B");
    assert_string_equal(mail_queue_path(buf, "incoming", "3E30CA77F5F"), "incoming/3E30CA77F5F");
    /* Long ID: usec field "0Bcd" = 0*52^3 + 10*52^2 + 28*52 + 30 = 28526 = 0x06F6E. */
    assert_string_equal(mail_queue_path(buf, "deferred", "4ZbBmW0Bcdz1x"),
                        "deferred/0/4ZbBmW0Bcdz1x");
    assert_false(mail_queue_id_ok(""));
    assert_false(mail_queue_id_ok("ab.c"));
    assert_false(mail_queue_id_ok("../x"));
    assert_true(mail_queue_id_ok("AB_c9"));

    cfg_override("enable_long_queue_ids", "yes");
    fd = mail_queue_enter(MAIL_QUEUE_INCOMING, 0, qid, NULL);
    assert_true(fd >= 0);
    /* 'z' is also a base-52 digit of the time fields; the inode field (base
     * 51) never has one, so the separator is the last 'z'. */
    assert_non_null(strrchr(VSTR_STR(qid), 'z'));
    assert_true(strrchr(VSTR_STR(qid), 'z') - VSTR_STR(qid) >= 10);
    assert_int_equal(mail_queue_remove(MAIL_QUEUE_INCOMING, VSTR_STR(qid)), 0);
    close(fd);
    cfg_override("enable_long_queue_ids", "no");
    vstr_free(buf);
    vstr_free(qid);
}

static void test_postfix_postcat_reads_ours(void **state)
{
    VSTR *qid = vstr_alloc(20);
    VSTR *cmd = vstr_alloc(200);
    VSTR *out = vstr_alloc(1000);
    char line[1000];
    off_t r_off;
    FILE *fp;
    int fd;

    if (access("/usr/sbin/postcat", X_OK) < 0)
        skip();
    fd = write_message(qid, &r_off);
    close(fd);
    vstr_sprintf(cmd, "/usr/sbin/postcat -c %s/etc incoming/%s 2>&1", topdir, VSTR_STR(qid));
    fp = popen(VSTR_STR(cmd), "r");
    assert_non_null(fp);
    while (fgets(line, sizeof(line), fp))
        vstr_addstr(out, line);
    assert_int_equal(pclose(fp), 0);
    assert_non_null(strstr(VSTR_STR(out), "sender: sender@example.org\n"));
    assert_non_null(strstr(VSTR_STR(out), "recipient: alice@example.test\n"));
    assert_non_null(strstr(VSTR_STR(out), "recipient: bob@example.test\n"));
    assert_non_null(strstr(VSTR_STR(out), "\nHello body line\n"));
    assert_non_null(strstr(VSTR_STR(out), "*** MESSAGE FILE END"));
    mail_queue_remove(MAIL_QUEUE_INCOMING, VSTR_STR(qid));
    vstr_free(qid);
    vstr_free(cmd);
    vstr_free(out);
}

static int setup(void **state)
{
    VSTR *p = vstr_alloc(100);
    FILE *fp;

    if (mkdtemp(topdir) == NULL)
        return -1;
    vstr_sprintf(p, "%s/etc", topdir);
    mkdir(VSTR_STR(p), 0755);
    vstr_sprintf(p, "%s/etc/main.cf", topdir);
    if ((fp = fopen(VSTR_STR(p), "w")) == NULL)
        return -1;
    fclose(fp);
    vstr_sprintf(p, "%s/etc", topdir);
    cfg_init(VSTR_STR(p));
    if (chdir(topdir) < 0 || mkdir("incoming", 0700) < 0 || mkdir("deferred", 0700) < 0)
        return -1;
    vstr_free(p);
    return 0;
}

static int teardown(void **state)
{
    VSTR *cmd = vstr_alloc(100);

    vstr_sprintf(cmd, "rm -rf %s", topdir);
    if (system(VSTR_STR(cmd)) != 0)
        return -1;
    vstr_free(cmd);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_mark), cmocka_unit_test(test_truncation_every_offset),
        cmocka_unit_test(test_hostile),         cmocka_unit_test(test_postfix_written_file),
        cmocka_unit_test(test_paths_and_ids),   cmocka_unit_test(test_postfix_postcat_reads_ours),
    };

    msg_init("test_qfile", 0);
    return cmocka_run_group_tests(tests, setup, teardown);
}
