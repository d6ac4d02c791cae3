/*
 * NAME
 *      test_msg - unit tests for lib/msg.c
 *
 * DESCRIPTION
 *      Runs each logging scenario in a child process: the stderr format
 *      "prog: severity: text", %m and errno preservation, the cleanup hook
 *      and exit status of msg_fatal/msg_fatal_status, the 13th msg_error
 *      becoming fatal, and the maillog_file line format (direct append
 *      when postlogd is absent, one datagram to public/postlog when it is
 *      there) with the "$syslog_name/program[pid]" tag and the short form
 *      of $myhostname as host name; a daemon that chroots to the queue
 *      directory after msg_logging_configure() still reaches postlogd
 *      (connected socket, or the relative path "public/postlog").
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "netutil.h"
#include "vstr.h"

static char tmpdir[64];

/* run_child - run fn in a child with stderr captured; returns exit status */
static int run_child(void (*fn)(void), VSTR *err)
{
    int pfd[2];
    pid_t pid;
    char buf[512];
    ssize_t n;
    int wstat;

    assert_int_equal(pipe(pfd), 0);
    if ((pid = fork()) == 0) {
        close(pfd[0]);
        dup2(pfd[1], 2);
        fn();
        _exit(0);
    }
    close(pfd[1]);
    vstr_reset(err);
    while ((n = read(pfd[0], buf, sizeof(buf))) > 0)
        vstr_addmem(err, buf, (size_t)n);
    close(pfd[0]);
    assert_int_equal(waitpid(pid, &wstat, 0), pid);
    return WIFEXITED(wstat) ? WEXITSTATUS(wstat) : 128 + WTERMSIG(wstat);
}

static void child_stderr(void)
{
    msg_init("/some/where/prog", MSG_STDERR);
    msg_info("hello %d", 1);
    errno = ENOENT;
    msg_warn("open x: %m");
    if (errno != ENOENT)
        _exit(3);
    msg_error("bad");
}

static void test_stderr_format(void **state)
{
    VSTR *err = vstr_alloc(64);

    assert_int_equal(run_child(child_stderr, err), 0);
    assert_string_equal(VSTR_STR(err), "prog: hello 1\n"
                                       "prog: warning: open x: No such file or directory\n"
                                       "prog: error: bad\n");
    vstr_free(err);
}

static void hook(void)
{
    msg_info("hook");
}

static void child_fatal(void)
{
    msg_init("prog", MSG_STDERR);
    msg_cleanup_hook(hook);
    msg_fatal("dead");
}

static void child_fatal_status(void)
{
    msg_init("prog", MSG_STDERR);
    msg_fatal_status(75, "later");
}

static void child_errors(void)
{
    int i;

    msg_init("prog", MSG_STDERR);
    for (i = 0; i < 12; i++)
        msg_error("e%d", i);
    _exit(0);
}

static void child_errors13(void)
{
    int i;

    msg_init("prog", MSG_STDERR);
    for (i = 0; i < 13; i++)
        msg_error("e%d", i);
    _exit(0);
}

static void test_fatal(void **state)
{
    VSTR *err = vstr_alloc(64);

    assert_int_equal(run_child(child_fatal, err), 1);
    assert_string_equal(VSTR_STR(err), "prog: hook\nprog: fatal: dead\n");
    assert_int_equal(run_child(child_fatal_status, err), 75);
    assert_string_equal(VSTR_STR(err), "prog: fatal: later\n");
    assert_int_equal(run_child(child_errors, err), 0);
    assert_int_equal(run_child(child_errors13, err), 1);
    assert_non_null(strstr(VSTR_STR(err), "prog: error: e12\nprog: fatal: too many errors - "
                                          "program terminated\n"));
    vstr_free(err);
}

static void child_maillog(void)
{
    msg_init("smtpd", 0);
    cfg_init(tmpdir);
    msg_logging_configure();
    msg_info("3E30CA77F5F: client=localhost[127.0.0.1]");
    msg_set_tag("master");
    msg_warn("w");
}

static void write_main_cf(void)
{
    char path[128];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", tmpdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp,
            "queue_directory = %s\nmaillog_file = %s/maillog\n"
            "syslog_name = postfix/submission\nmyhostname = mx.example.test\n",
            tmpdir, tmpdir);
    fclose(fp);
    snprintf(path, sizeof(path), "%s/public", tmpdir);
    mkdir(path, 0755);
}

static void check_line(const char *line, const char *prog, const char *text)
{
    regex_t re;
    char pat[256];

    snprintf(pat, sizeof(pat),
             "^[A-Z][a-z][a-z] [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] mx "
             "postfix/submission/%s\\[[0-9]+\\]: %s$",
             prog, text);
    assert_int_equal(regcomp(&re, pat, REG_EXTENDED | REG_NOSUB), 0);
    if (regexec(&re, line, 0, NULL, 0) != 0)
        fail_msg("line \"%s\" does not match \"%s\"", line, pat);
    regfree(&re);
}

static void test_maillog_file(void **state)
{
    VSTR *err = vstr_alloc(64);
    char path[128];
    char buf[1024];
    FILE *fp;

    strcpy(tmpdir, "/tmp/test_msg.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    write_main_cf();
    assert_int_equal(run_child(child_maillog, err), 0);
    assert_string_equal(VSTR_STR(err), "");
    snprintf(path, sizeof(path), "%s/maillog", tmpdir);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof(buf), fp));
    buf[strcspn(buf, "\n")] = 0;
    check_line(buf, "smtpd", "3E30CA77F5F: client=localhost\\[127.0.0.1\\]");
    assert_non_null(fgets(buf, sizeof(buf), fp));
    buf[strcspn(buf, "\n")] = 0;
    check_line(buf, "master", "warning: w");
    assert_null(fgets(buf, sizeof(buf), fp));
    fclose(fp);
    unlink(path);

    /* Now with a postlog socket: datagrams, nothing in the file. */
    snprintf(path, sizeof(path), "%s/public/postlog", tmpdir);
    int fd = unix_dgram_listen(path);
    assert_true(fd >= 0);
    assert_int_equal(run_child(child_maillog, err), 0);
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    buf[n] = 0;
    check_line(buf, "smtpd", "3E30CA77F5F: client=localhost\\[127.0.0.1\\]");
    n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    assert_true(n > 0);
    buf[n] = 0;
    check_line(buf, "master", "warning: w");
    snprintf(path, sizeof(path), "%s/maillog", tmpdir);
    assert_int_equal(access(path, F_OK), -1);
    close(fd);
    snprintf(buf, sizeof(buf), "rm -rf %s", tmpdir);
    assert_int_equal(system(buf), 0);
    vstr_free(err);
}

/*
 * child_chroot - configure, then chroot to the queue directory as a daemon
 * does; with connect_first the socket exists before configure (the
 * connected socket must survive chroot), otherwise it is created after
 * (the relative path "public/postlog" must be tried). Writes what postlogd
 * received to stderr.
 */
static void child_chroot_common(int connect_first)
{
    char path[128];
    char buf[1024];
    int fd = -1;
    ssize_t n;

    msg_init("smtpd", 0);
    cfg_init(tmpdir);
    snprintf(path, sizeof(path), "%s/public/postlog", tmpdir);
    if (connect_first && (fd = unix_dgram_listen(path)) < 0)
        _exit(2);
    msg_logging_configure();
    if (!connect_first && (fd = unix_dgram_listen(path)) < 0)
        _exit(2);
    if (chdir(tmpdir) < 0 || chroot(tmpdir) < 0)
        _exit(3);
    msg_info("in jail");
    n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    if (n <= 0)
        _exit(4);
    buf[n] = 0;
    fprintf(stderr, "%s", buf);
    _exit(0);
}

static void child_chroot_connected(void)
{
    child_chroot_common(1);
}

static void child_chroot_relative(void)
{
    child_chroot_common(0);
}

static void test_maillog_chroot(void **state)
{
    VSTR *err = vstr_alloc(64);
    char path[128];
    char buf[256];

    if (geteuid() != 0)
        skip();
    strcpy(tmpdir, "/tmp/test_msg.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    write_main_cf();
    snprintf(path, sizeof(path), "%s/public/postlog", tmpdir);
    assert_int_equal(run_child(child_chroot_connected, err), 0);
    check_line(VSTR_STR(err), "smtpd", "in jail");
    unlink(path);
    assert_int_equal(run_child(child_chroot_relative, err), 0);
    check_line(VSTR_STR(err), "smtpd", "in jail");
    snprintf(buf, sizeof(buf), "rm -rf %s", tmpdir);
    assert_int_equal(system(buf), 0);
    vstr_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stderr_format),
        cmocka_unit_test(test_fatal),
        cmocka_unit_test(test_maillog_file),
        cmocka_unit_test(test_maillog_chroot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
