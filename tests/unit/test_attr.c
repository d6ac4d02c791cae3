/*
 * NAME
 *      test_attr - unit tests for lib/attr.c (Postfix attr0 codec)
 *
 * DESCRIPTION
 *      Exact wire bytes of a known list (cleanup's greeting, reference
 *      4.2), round trips of strings, numbers and base64 data, and the
 *      failure cases: truncated list, over-limit value, bad numbers.
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "attr.h"
#include "stream.h"

static int fds[2];
static STREAM *wr;
static STREAM *rd;

static int setup(void **state)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
        return -1;
    wr = stream_fdopen(fds[0], "writer");
    rd = stream_fdopen(fds[1], "reader");
    stream_set_timeout(rd, 2);
    return 0;
}

static int teardown(void **state)
{
    if (wr)
        stream_close(wr);
    stream_close(rd);
    wr = NULL;
    return 0;
}

static void test_exact_bytes(void **state)
{
    static const char want[] = "protocol\0cleanup_protocol\0queue_id\0003E30CA77F5F\0";
    char got[sizeof(want)];

    assert_int_equal(attr_print_str(wr, "protocol", "cleanup_protocol"), 0);
    assert_int_equal(attr_print_str(wr, "queue_id", "3E30CA77F5F"), 0);
    assert_int_equal(attr_print_end(wr), 0);
    assert_int_equal(stream_flush(wr), 0);
    /* sizeof(want) includes the terminator NUL after the final value NUL. */
    assert_int_equal(stream_read(rd, got, sizeof(want)), sizeof(want));
    assert_memory_equal(got, want, sizeof(want));
}

static void test_round_trip(void **state)
{
    ATTR_LIST *list = attr_list_alloc();
    VSTR *data = vstr_alloc(16);
    static const unsigned char bin[] = {0, 1, 2, 0xff, 0xfe, 'x', 0};
    long n;
    size_t k;

    for (k = 0; k <= sizeof(bin); k++) {
        assert_int_equal(attr_print_str(wr, "protocol", "cleanup_protocol"), 0);
        assert_int_equal(attr_print_long(wr, "flags", 1234567L), 0);
        assert_int_equal(attr_print_long(wr, "neg", -5L), 0);
        assert_int_equal(attr_print_str(wr, "empty", ""), 0);
        assert_int_equal(attr_print_data(wr, "blob", bin, k), 0);
        assert_int_equal(attr_print_end(wr), 0);
        assert_int_equal(stream_flush(wr), 0);

        assert_int_equal(attr_scan(rd, list, ATTR_LIMIT_DEFAULT), 0);
        assert_int_equal(list->count, 5);
        assert_int_equal(attr_expect(list, "protocol", "cleanup_protocol"), 0);
        assert_int_equal(attr_expect(list, "protocol", "cleanup"), -1);
        assert_int_equal(attr_get_long(list, "flags", &n), 0);
        assert_int_equal(n, 1234567L);
        assert_int_equal(attr_get_long(list, "neg", &n), 0);
        assert_int_equal(n, -5L);
        assert_int_equal(attr_get_long(list, "empty", &n), -1);
        assert_int_equal(attr_get_long(list, "protocol", &n), -1);
        assert_int_equal(attr_get_long(list, "missing", &n), -1);
        assert_string_equal(attr_get(list, "empty"), "");
        assert_null(attr_get(list, "missing"));
        assert_int_equal(attr_get_data(list, "blob", data), 0);
        assert_int_equal(VSTR_LEN(data), k);
        assert_memory_equal(VSTR_STR(data), bin, k);
        assert_int_equal(attr_get_data(list, "protocol", data), -1);
    }
    attr_list_free(list);
    vstr_free(data);
}

static void test_base64_text(void **state)
{
    char got[32];

    assert_int_equal(attr_print_data(wr, "d", "foob", 4), 0);
    assert_int_equal(stream_flush(wr), 0);
    assert_int_equal(stream_read(rd, got, 11), 11);
    assert_memory_equal(got, "d\0Zm9vYg==\0", 11);
}

static void test_truncated(void **state)
{
    ATTR_LIST *list = attr_list_alloc();

    assert_int_equal(write(fds[0], "name\0value\0other\0va", 19), 19);
    stream_close(wr);
    wr = NULL;
    assert_int_equal(attr_scan(rd, list, ATTR_LIMIT_DEFAULT), -1);
    assert_int_equal(list->count, 0);
    attr_list_free(list);
}

static void test_over_limit(void **state)
{
    ATTR_LIST *list = attr_list_alloc();

    assert_int_equal(attr_print_str(wr, "name", "0123456789"), 0);
    assert_int_equal(attr_print_end(wr), 0);
    assert_int_equal(stream_flush(wr), 0);
    assert_int_equal(attr_scan(rd, list, 9), -1);
    attr_list_free(list);
}

static void test_at_limit(void **state)
{
    ATTR_LIST *list = attr_list_alloc();

    assert_int_equal(attr_print_str(wr, "name", "0123456789"), 0);
    assert_int_equal(attr_print_end(wr), 0);
    assert_int_equal(stream_flush(wr), 0);
    assert_int_equal(attr_scan(rd, list, 10), 0);
    assert_string_equal(attr_get(list, "name"), "0123456789");
    attr_list_free(list);
}

static void test_timeout(void **state)
{
    ATTR_LIST *list = attr_list_alloc();

    stream_set_timeout(rd, 1);
    assert_int_equal(write(fds[0], "a\0b\0", 4), 4);
    assert_int_equal(attr_scan(rd, list, 100), -1);
    assert_true(stream_timedout(rd));
    attr_list_free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exact_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_base64_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_over_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_at_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
