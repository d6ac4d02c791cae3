/*
 * test_pipe_macros - unit tests of pipe(8)'s argv macro expansion, DSN
 * detection and sysexits mapping (reference 8.4, trap 30). pipe/pipe.c is
 * included whole (its main renamed) so that its static functions are
 * reachable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define main pipe_program_main
#include "../../pipe/pipe.c"
#undef main

static DELIVER_RCPT rcpts[2] = {
    {.orig_addr = "Orig@Example.TEST", .address = "Alice+Ext@Example.TEST", .dsn_orig = ""},
    {.orig_addr = "", .address = "bob@example.test", .dsn_orig = ""},
};

static DELIVER_REQUEST *fake_request(void)
{
    static DELIVER_REQUEST req;

    memset(&req, 0, sizeof(req));
    req.queue_id = "ABC123";
    req.nexthop = "Example.TEST";
    req.sender = "<;touch /tmp/x;>$(id)@evil.example";
    req.data_size = 42;
    req.nrcpt = 2;
    req.rcpts = rcpts;
    return &req;
}

static ARGV *expand(const char *const *words, int n)
{
    VSTR *bad = vstr_alloc(16);
    ARGV *av;

    attr.argv = (char **)words;
    attr.argc = n;
    rcpt_lo = 0;
    rcpt_hi = 2;
    av = build_argv(fake_request(), bad);
    vstr_free(bad);
    return av;
}

static void test_per_recipient_words(void **state)
{
    static const char *const w[] = {
        "/bin/cmd",   "-f",        "${sender}",    "-d",  "${recipient}",
        "$(nexthop)", "$queue_id", "size=${size}", "$$x", 0};
    ARGV *av;

    attr.flags = 0;
    attr.null_sender = "MAILER-DAEMON";
    av = expand(w, 9);
    assert_non_null(av);
    assert_int_equal(av->argc, 10);
    assert_string_equal(av->argv[2], "<;touch /tmp/x;>$(id)@evil.example");
    assert_string_equal(av->argv[4], "Alice+Ext@Example.TEST");
    assert_string_equal(av->argv[5], "bob@example.test");
    assert_string_equal(av->argv[6], "Example.TEST");
    assert_string_equal(av->argv[7], "ABC123");
    assert_string_equal(av->argv[8], "size=42");
    assert_string_equal(av->argv[9], "$x");
    argv_free(av);
}

static void test_folding_flags(void **state)
{
    static const char *const w[] = {
        "/bin/cmd", "${recipient}", "${nexthop}", "${original_recipient}", "${domain}", 0};
    ARGV *av;

    attr.flags = PIPE_h | PIPE_u;
    av = expand(w, 5);
    assert_non_null(av);
    assert_string_equal(av->argv[1], "alice+ext@example.test");
    assert_string_equal(av->argv[3], "example.test");
    assert_string_equal(av->argv[4], "orig@example.test");
    assert_string_equal(av->argv[5], "bob@example.test"); /* no orig: the recipient */
    assert_string_equal(av->argv[6], "example.test");
    argv_free(av);
    attr.flags = 0;
}

static void test_unknown_macro(void **state)
{
    static const char *const w[] = {"/bin/cmd", "${nosuchmacro}", 0};
    VSTR *bad = vstr_alloc(16);

    attr.argv = (char **)w;
    attr.argc = 2;
    assert_null(build_argv(fake_request(), bad));
    assert_string_equal(VSTR_STR(bad), "nosuchmacro");
    vstr_free(bad);
}

static void test_dsn_prefix_and_sysexits(void **state)
{
    const char *text;

    assert_int_equal(dsn_prefix("4.2.2 Mailbox full"), 5);
    assert_int_equal(dsn_prefix("5.1.10 x"), 6);
    assert_int_equal(dsn_prefix("4.2 nope"), 0);
    assert_int_equal(dsn_prefix("hello"), 0);
    assert_int_equal(dsn_prefix("3.0.0 x"), 0);
    assert_string_equal(sysexit_map(75, &text), "4.3.0");
    assert_string_equal(sysexit_map(67, &text), "5.1.1");
    assert_string_equal(text, "user unknown");
    assert_string_equal(sysexit_map(78, &text), "5.3.5");
    assert_null(sysexit_map(3, &text));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_recipient_words),
        cmocka_unit_test(test_folding_flags),
        cmocka_unit_test(test_unknown_macro),
        cmocka_unit_test(test_dsn_prefix_and_sysexits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
