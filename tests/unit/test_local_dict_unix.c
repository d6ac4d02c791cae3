/*
 * test_local_dict_unix - unit tests for the unix: table (dict_unix.c) and
 * the proxy: client's failure mode (dict_proxy.c without a server: every
 * lookup is a temporary error, never "not found").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "dict.h"
#include "msg.h"

static void test_passwd_root(void **state)
{
    DICT *d = dict_open("unix:passwd.byname", O_RDONLY, DICT_FLAGS_DEFAULT);
    const char *v = dict_get(d, "root");

    assert_non_null(v);
    assert_int_equal(strncmp(v, "root:", 5), 0);
    assert_non_null(strstr(v, ":0:0:"));
    /* Fixed-key table: folded to lower case. */
    v = dict_get(d, "ROOT");
    assert_non_null(v);
    assert_null(dict_get(d, "no-such-user-xyzzy"));
    assert_int_equal(d->error, DICT_ERR_NONE);
    assert_false(d->flags & DICT_FLAG_PATTERN);
    dict_close(d);
}

static void test_group_root(void **state)
{
    DICT *d = dict_open("unix:group.byname", O_RDONLY, DICT_FLAGS_DEFAULT);
    const char *v = dict_get(d, "root");

    assert_non_null(v);
    assert_int_equal(strncmp(v, "root:x:0:", 9), 0);
    dict_close(d);
}

static void test_unknown_map(void **state)
{
    DICT *d = dict_open("unix:shadow.byname", O_RDONLY, DICT_FLAGS_DEFAULT);

    assert_null(dict_get(d, "root"));
    assert_int_equal(d->error, DICT_ERR_CONFIG);
    dict_close(d);
}

static void test_proxy_without_server_is_retry(void **state)
{
    char dir[] = "/tmp/test_local_proxyXXXXXX";
    DICT *d;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(chdir(dir), 0);
    setenv("MAIL_CONFIG", dir, 1);
    cfg_init(dir);
    cfg_override("queue_directory", dir);
    d = dict_open("proxy:unix:passwd.byname", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_null(dict_get(d, "root"));
    assert_int_equal(d->error, DICT_ERR_RETRY);
    dict_close(d);
    (void)rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_passwd_root),
        cmocka_unit_test(test_group_root),
        cmocka_unit_test(test_unknown_map),
        cmocka_unit_test(test_proxy_without_server_is_retry),
    };

    msg_init("test_local_dict_unix", 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
