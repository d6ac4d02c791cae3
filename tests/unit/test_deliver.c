/*
 * NAME
 *   test_deliver - unit tests for lib/deliver.c
 *
 * DESCRIPTION
 *   format_delay() against Postfix's format_tv() table (reference 10.2);
 *   a delivery request written by the qmgr side and read by the agent side
 *   over a socketpair, with the greeting, the queue file opened and locked,
 *   R->D marking in place, the defer logfile byte for byte (reference 4.7),
 *   the mail-log line format (10.2, trap 21), and the reply read back by
 *   the qmgr side.
 *
 * DIAGNOSTICS
 *   cmocka output; non-zero exit status on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "attr.h"
#include "config.h"
#include "deliver.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "stream.h"
#include "vstr.h"

static char tmpdir[] = "/tmp/test_deliver.XXXXXX";

/* fmt - format_delay into a static buffer */
static const char *fmt(double v)
{
    static VSTR *buf;

    if (buf == NULL)
        buf = vstr_alloc(16);
    vstr_reset(buf);
    format_delay(buf, v);
    return buf->buf;
}

static void test_format_delay(void **state)
{
    assert_string_equal(fmt(0), "0");
    assert_string_equal(fmt(0.004), "0");
    assert_string_equal(fmt(0.005), "0.01");
    assert_string_equal(fmt(0.01), "0.01");
    assert_string_equal(fmt(0.1), "0.1");
    assert_string_equal(fmt(0.123), "0.12");
    assert_string_equal(fmt(0.5), "0.5");
    assert_string_equal(fmt(1.06), "1.1");
    assert_string_equal(fmt(1.0), "1");
    assert_string_equal(fmt(9.99), "10");
    assert_string_equal(fmt(23.4), "23");
    assert_string_equal(fmt(4000), "4000");
    assert_string_equal(fmt(-3), "0");
}

/* read_file - whole file into a mymalloc'ed string */
static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    char *buf;
    long n;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = mymalloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = 0;
    fclose(fp);
    if (len)
        *len = (size_t)n;
    return buf;
}

static void test_round_trip(void **state)
{
    int sv[2];
    STREAM *qmgr_st, *agent_st;
    DELIVER_REQUEST *out, *in;
    ATTR_LIST *list;
    struct timeval now;
    char content[400];
    int fd, saved_stderr, logfd;
    VSTR *path = vstr_alloc(64);
    char *text;
    struct stat st;
    const char *expect_log;

    /* A fake queue file: 400 bytes of 'R' so we can see the D marks. */
    memset(content, 'R', sizeof(content));
    fd = open("active/ABCDEF123", O_CREAT | O_WRONLY | O_TRUNC, 0700);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, sizeof(content)), sizeof(content));
    close(fd);

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    qmgr_st = stream_fdopen(sv[0], "qmgr");
    agent_st = stream_fdopen(sv[1], "agent");

    gettimeofday(&now, NULL);
    out = deliver_request_alloc();
    out->queue_name = mystrdup("active");
    out->queue_id = mystrdup("ABCDEF123");
    out->data_offset = 100;
    out->data_size = 309;
    out->nexthop = mystrdup("example.test");
    out->encoding = mystrdup("7bit");
    out->sender = mystrdup("x@example.org");
    out->arrival.tv_sec = now.tv_sec - 24;
    out->arrival.tv_usec = now.tv_usec;
    if (now.tv_usec >= 600000) {
        out->arrival.tv_sec += 1;
        out->arrival.tv_usec = now.tv_usec - 600000;
    } else {
        out->arrival.tv_usec = now.tv_usec + 400000;
    }
    /* arrival = now - 23.6; active = arrival + 23.0 -> b = 0.6 */
    out->active.tv_sec = out->arrival.tv_sec + 23;
    out->active.tv_usec = out->arrival.tv_usec;
    out->rewrite_context = mystrdup("local");
    out->nrcpt = 2;
    out->rcpts = mymalloc(2 * sizeof(DELIVER_RCPT));
    memset(out->rcpts, 0, 2 * sizeof(DELIVER_RCPT));
    out->rcpts[0].orig_addr = mystrdup("Alice@Example.test");
    out->rcpts[0].address = mystrdup("alice@example.test");
    out->rcpts[0].offset = 200;
    out->rcpts[0].dsn_orig = mystrdup("");
    out->rcpts[1].orig_addr = mystrdup("list@example.test");
    out->rcpts[1].address = mystrdup("bob@example.test");
    out->rcpts[1].offset = 300;
    out->rcpts[1].dsn_orig = mystrdup("rfc822;bob@example.test");
    assert_int_equal(deliver_request_write(qmgr_st, out), 0);

    /* Agent side: greeting + request. Capture the log on stderr. */
    logfd = open("log.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    saved_stderr = dup(2);
    dup2(logfd, 2);
    in = deliver_request_read(agent_st);
    assert_non_null(in);
    assert_string_equal(in->queue_id, "ABCDEF123");
    assert_string_equal(in->nexthop, "example.test");
    assert_string_equal(in->sender, "x@example.org");
    assert_int_equal(in->data_offset, 100);
    assert_int_equal(in->data_size, 309);
    assert_int_equal(in->nrcpt, 2);
    assert_string_equal(in->rcpts[1].address, "bob@example.test");
    assert_string_equal(in->rcpts[1].dsn_orig, "rfc822;bob@example.test");
    assert_int_equal(in->rcpts[1].offset, 300);
    assert_non_null(in->fp);
    assert_int_equal(stream_getc(in->fp), 'R');

    deliver_sent(in, 0, "virtual", "2.0.0", "delivered to %s", "maildir");
    deliver_defer(in, 1, "none", "4.3.0", "mail transport unavailable");
    assert_int_equal(deliver_request_done(in, ""), 0);
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    close(logfd);

    /* qmgr side: greeting, then the reply. */
    list = attr_list_alloc();
    assert_int_equal(attr_scan(qmgr_st, list, ATTR_LIMIT_DEFAULT), 0);
    assert_int_equal(attr_expect(list, "protocol", "delivery_request_protocol"), 0);
    attr_list_free(list);
    assert_int_equal(deliver_reply_read(qmgr_st, out), 0);
    assert_int_equal(out->rcpts[0].status, DELIVER_STAT_OK);
    assert_string_equal(out->rcpts[0].dsn, "2.0.0");
    assert_string_equal(out->rcpts[0].reason, "delivered to maildir");
    assert_int_equal(out->rcpts[1].status, DELIVER_STAT_DEFER);
    assert_string_equal(out->rcpts[1].dsn, "4.3.0");
    assert_int_equal(out->status, DELIVER_STAT_DEFER);
    assert_string_equal(out->hop_reason, "");

    /* In-place marking: byte 200 is D, byte 300 untouched. */
    text = read_file("active/ABCDEF123", NULL);
    assert_int_equal(text[200], 'D');
    assert_int_equal(text[300], 'R');
    assert_int_equal(text[199], 'R');
    myfree(text);

    /* Defer logfile: hashed path, 0600, exact contents (reference 4.7). */
    mail_queue_path(path, MAIL_QUEUE_DEFER, "ABCDEF123");
    assert_string_equal(path->buf, "defer/A/ABCDEF123");
    assert_int_equal(stat(path->buf, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    if (geteuid() == 0) {
        struct passwd *pw = getpwnam("postfix");

        if (pw)
            assert_int_equal(st.st_uid, pw->pw_uid);
    }
    expect_log = "\n"
                 "<bob@example.test>: mail transport unavailable\n"
                 "recipient=bob@example.test\n"
                 "original_recipient=list@example.test\n"
                 "offset=300\n"
                 "dsn_orig_rcpt=rfc822;bob@example.test\n"
                 "status=4.3.0\n"
                 "action=delayed\n"
                 "reason=mail transport unavailable\n"
                 "\n";
    text = read_file(path->buf, NULL);
    assert_string_equal(text, expect_log);
    myfree(text);

    /* Log lines (stderr copy "progname: text"). */
    text = read_file("log.txt", NULL);
    assert_non_null(strstr(text, "ABCDEF123: to=<alice@example.test>"
                                 ", relay=virtual, delay=24, delays=23/0.6/0/0, dsn=2.0.0, "
                                 "status=sent (delivered to maildir)\n"));
    assert_non_null(strstr(text, "ABCDEF123: to=<bob@example.test>, orig_to=<list@example.test>, "
                                 "relay=none, delay=24, delays=23/0.6/0/0, dsn=4.3.0, "
                                 "status=deferred (mail transport unavailable)\n"));
    myfree(text);

    /* The agent sees EOF once qmgr closes: NULL, and a new greeting later. */
    stream_close(qmgr_st);
    assert_null(deliver_request_read(agent_st));
    stream_close(agent_st);
    deliver_request_free(out);
    vstr_free(path);
}

static void test_log_append_bounce(void **state)
{
    VSTR *path = vstr_alloc(64);
    char *text;

    assert_int_equal(deliver_log_append(MAIL_QUEUE_BOUNCE, "C52B6A7616B", "", NULL, 0, "5.1.1",
                                        "failed", "User unknown"),
                     0);
    assert_int_equal(deliver_log_append(MAIL_QUEUE_BOUNCE, "C52B6A7616B", "a b@x.test", NULL, 17,
                                        "5.0.0", "failed", "no"),
                     0);
    text = read_file(mail_queue_path(path, MAIL_QUEUE_BOUNCE, "C52B6A7616B"), NULL);
    assert_string_equal(text, "\n<>: User unknown\nrecipient=<>\nstatus=5.1.1\naction=failed\n"
                              "reason=User unknown\n\n"
                              "\n<\"a b\"@x.test>: no\nrecipient=\"a b\"@x.test\noffset=17\n"
                              "status=5.0.0\naction=failed\nreason=no\n\n");
    myfree(text);
    assert_int_equal(
        deliver_log_append(MAIL_QUEUE_BOUNCE, "../etc", "a", NULL, 0, "5.0.0", "failed", "x"), -1);
    vstr_free(path);
}

static int setup(void **state)
{
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    if (chdir(tmpdir) < 0)
        return -1;
    mkdir("active", 0700);
    mkdir("defer", 0700);
    mkdir("bounce", 0700);
    setenv("MAIL_CONFIG", tmpdir, 1);
    cfg_init(tmpdir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_delay),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_log_append_bounce),
    };

    msg_init("test_deliver", MSG_STDERR);
    return cmocka_run_group_tests(tests, setup, teardown);
}
