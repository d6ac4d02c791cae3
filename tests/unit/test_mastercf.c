/*
 * NAME
 *      test_mastercf - unit tests for lib/mastercf.c (master.cf parsing)
 *
 * DESCRIPTION
 *      Parses Debian's stock /usr/share/postfix/master.cf.dist (must load
 *      without error) and small files written into a mkdtemp() directory:
 *      "-" defaults, "N?" wakeups, -o forms including "-o { name = value }",
 *      { } argument grouping, continuation and comment lines, duplicate
 *      (service, type) entries, and the fatal errors for bad lines (checked
 *      in child processes). Postfix behaviour: master(5), reference 5.2.
 *
 * DIAGNOSTICS
 *      cmocka; the exit status is the number of failed tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mastercf.h"
#include "msg.h"

static char test_dir[64];
static char test_path[128];

static void write_file(const char *text)
{
    FILE *fp = fopen(test_path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static int setup(void **state)
{
    strcpy(test_dir, "/tmp/test_mastercf.XXXXXX");
    assert_non_null(mkdtemp(test_dir));
    snprintf(test_path, sizeof(test_path), "%s/master.cf", test_dir);
    return 0;
}

static int teardown(void **state)
{
    unlink(test_path);
    rmdir(test_dir);
    return 0;
}

static MASTER_ENT *find(MASTER_CF *cf, const char *service, const char *type)
{
    int i;

    for (i = 0; i < cf->count; i++)
        if (strcmp(cf->ents[i]->service, service) == 0 && strcmp(cf->ents[i]->type, type) == 0)
            return cf->ents[i];
    return NULL;
}

static void test_stock_file(void **state)
{
    MASTER_CF *cf = mastercf_load("/usr/share/postfix/master.cf.dist");
    MASTER_ENT *e;

    assert_int_equal(cf->count, 31);
    e = find(cf, "smtp", "inet");
    assert_non_null(e);
    assert_int_equal(e->private_, 0);
    assert_int_equal(e->unpriv, 1);
    assert_int_equal(e->chroot, 1);
    assert_int_equal(e->maxproc, -1);
    assert_string_equal(e->command, "smtpd");
    assert_non_null(find(cf, "smtp", "unix"));
    e = find(cf, "tlsmgr", "unix");
    assert_int_equal(e->wakeup, 1000);
    assert_int_equal(e->wakeup_conditional, 1);
    e = find(cf, "relay", "unix");
    assert_int_equal(e->overrides->argc, 1);
    assert_string_equal(e->overrides->argv[0], "syslog_name=postfix/$service_name");
    e = find(cf, "postlog", "unix-dgram");
    assert_int_equal(e->maxproc, 1);
    e = find(cf, "maildrop", "unix");
    assert_string_equal(e->args->argv[e->args->argc - 1], "${recipient}");
    mastercf_free(cf);
}

static void test_forms(void **state)
{
    MASTER_CF *cf;
    MASTER_ENT *e;

    write_file("# comment\n"
               "127.0.0.1:2525 inet n - - - 4 smtpd\n"
               "  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n"
               "# comment between continuation lines\n"
               "  -o syslog_name=postfix/$service_name\n"
               "\n"
               "pipe unix - n n 60? 0 pipe flags=R { argv=/bin/x a b }\n"
               "cleanup unix n - n - 0 cleanup\n"
               "cleanup unix n - y - 0 cleanup -v\n");
    cf = mastercf_load(test_path);
    assert_int_equal(cf->count, 3);
    e = find(cf, "127.0.0.1:2525", "inet");
    assert_int_equal(e->line, 2);
    assert_int_equal(e->chroot, 0);
    assert_int_equal(e->maxproc, 4);
    assert_int_equal(e->overrides->argc, 2);
    assert_string_equal(e->overrides->argv[0],
                        "smtpd_client_restrictions=permit_mynetworks, reject");
    assert_string_equal(e->overrides->argv[1], "syslog_name=postfix/$service_name");
    assert_int_equal(e->args->argc, 4);
    assert_string_equal(e->args->argv[0], "-o");
    assert_string_equal(e->args->argv[1], "smtpd_client_restrictions = permit_mynetworks, reject");
    e = find(cf, "pipe", "unix");
    assert_int_equal(e->private_, 1);
    assert_int_equal(e->unpriv, 0);
    assert_int_equal(e->wakeup, 60);
    assert_int_equal(e->wakeup_conditional, 1);
    assert_int_equal(e->maxproc, 0);
    assert_int_equal(e->args->argc, 2);
    assert_string_equal(e->args->argv[1], "argv=/bin/x a b");
    /* The later cleanup/unix wins. */
    e = find(cf, "cleanup", "unix");
    assert_int_equal(e->chroot, 1);
    assert_int_equal(e->line, 9);
    assert_string_equal(e->raw[4], "y");
    mastercf_free(cf);
}

static int child_load(void)
{
    int pfd[2];
    pid_t pid;
    int status;

    fflush(NULL);
    if ((pid = fork()) == 0) {
        if (freopen("/dev/null", "w", stderr) == NULL)
            _exit(3);
        msg_init("test_mastercf", MSG_STDERR);
        mastercf_free(mastercf_load(test_path));
        _exit(0);
    }
    (void)pfd;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_bad_lines(void **state)
{
    static const char *const bad[] = {
        "smtp inet n - n - - \n",                   /* 7 fields */
        "smtp tcp n - n - - smtpd\n",               /* unknown type */
        "smtp inet y - n - - smtpd\n",              /* private inet */
        "smtp unix x - n - - smtpd\n",              /* bad y/n */
        "smtp unix - - n 1x - smtpd\n",             /* bad wakeup */
        "smtp unix - - n - many smtpd\n",           /* bad maxproc */
        "smtp unix - - n - - smtpd { unbalanced\n", /* missing } */
    };
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(bad[i]);
        assert_int_equal(child_load(), 1);
    }
    write_file("smtp unix - - n - - smtpd\n");
    assert_int_equal(child_load(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stock_file),
        cmocka_unit_test_setup_teardown(test_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
    };

    msg_init("test_mastercf", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
