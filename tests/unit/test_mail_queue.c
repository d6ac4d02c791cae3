/*
 * NAME
 *     test_mail_queue - unit tests for mail_queue_mkdirs() (lib/mail_queue.c)
 *
 * DESCRIPTION
 *     mail_queue_mkdirs() must create queue_directory's queue directories
 *     and an ABSOLUTE data_directory whose parents do not exist yet (its
 *     parent walk used to start with mkdir(""), which failed), with
 *     Postfix's modes (postfix-files: data_directory 0700, maildrop 0730,
 *     public 0710, pid 0755, the others 0700).
 *
 * DIAGNOSTICS
 *     cmocka; exit status non-zero on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mail_queue.h"
#include "msg.h"

static char tmpdir[] = "/tmp/test_mail_queueXXXXXX";

/* mode_of - the permission bits of path, or -1 if it does not exist */
static int mode_of(const char *fmt, const char *dir)
{
    char path[512];
    struct stat st;

    snprintf(path, sizeof(path), fmt, dir);
    if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return -1;
    return (int)(st.st_mode & 07777);
}

static void test_mkdirs_absolute_data_directory(void **state)
{
    char path[512];
    FILE *fp;

    (void)state;
    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/main.cf", tmpdir);
    assert_non_null(fp = fopen(path, "w"));
    fprintf(fp,
            "queue_directory = %s/queue\n"
            "data_directory = %s/var/lib/postfix\n",
            tmpdir, tmpdir);
    fclose(fp);
    cfg_init(tmpdir);
    mail_queue_mkdirs();
    assert_int_equal(mode_of("%s/var/lib/postfix", tmpdir), 0700);
    assert_int_equal(mode_of("%s/queue/incoming", tmpdir), 0700);
    assert_int_equal(mode_of("%s/queue/maildrop", tmpdir), 0730);
    assert_int_equal(mode_of("%s/queue/public", tmpdir), 0710);
    assert_int_equal(mode_of("%s/queue/pid", tmpdir), 0755);
    /* Idempotent: a second run over existing directories is fine. */
    mail_queue_mkdirs();
    assert_int_equal(mode_of("%s/var/lib/postfix", tmpdir), 0700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mkdirs_absolute_data_directory),
    };
    char cmd[600];
    int rc;

    msg_init("test_mail_queue", MSG_STDERR);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (tmpdir[strlen(tmpdir) - 1] != 'X') {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            rc = rc ? rc : 1;
    }
    return rc;
}
