/*
 * test_addr - unit tests for lib/addr.c (envelope address parsing/quoting).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "addr.h"
#include "vstr.h"

/* Parse text; return the result code, the address in out, rest in *rest. */
static int parse(const char *text, VSTR *out, const char **rest, int strict)
{
    return addr_parse_path(text, out, rest, strict);
}

static void test_simple(void **unused)
{
    VSTR *a = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("<alice@example.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "alice@example.test");
    assert_string_equal(rest, "");
    assert_int_equal(parse("  <bob@x.test> SIZE=100 BODY=8BITMIME", a, &rest, 0), 0);
    assert_string_equal(a->buf, "bob@x.test");
    assert_string_equal(rest, "SIZE=100 BODY=8BITMIME");
    vstr_free(a);
}

static void test_null_sender(void **unused)
{
    VSTR *a = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("<>", a, &rest, 1), 0);
    assert_int_equal(a->len, 0);
    assert_string_equal(rest, "");
    vstr_free(a);
}

static void test_quoted(void **unused)
{
    VSTR *a = vstr_alloc(16);
    VSTR *q = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("<\"john doe\"@example.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "john doe@example.test");
    addr_quote_external(a->buf, q);
    assert_string_equal(q->buf, "\"john doe\"@example.test");
    /* '>' inside quotes does not end the path. */
    assert_int_equal(parse("<\"a>b\"@x.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "a>b@x.test");
    /* Backslash escapes inside quotes. */
    assert_int_equal(parse("<\"a\\\"b\"@x.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "a\"b@x.test");
    addr_quote_external(a->buf, q);
    assert_string_equal(q->buf, "\"a\\\"b\"@x.test");
    /* Plain addresses are not quoted. */
    addr_quote_external("plain.user@x.test", q);
    assert_string_equal(q->buf, "plain.user@x.test");
    addr_quote_external("", q);
    assert_string_equal(q->buf, "");
    vstr_free(a);
    vstr_free(q);
}

static void test_source_route(void **unused)
{
    VSTR *a = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("<@a.test,@b.test:user@c.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "user@c.test");
    assert_int_equal(parse("<@a.test:user@c.test>", a, &rest, 0), 0);
    assert_string_equal(a->buf, "user@c.test");
    assert_int_equal(parse("<@a.test>", a, &rest, 0), -1);
    vstr_free(a);
}

static void test_no_brackets(void **unused)
{
    VSTR *a = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("user@x.test", a, &rest, 0), 0);
    assert_string_equal(a->buf, "user@x.test");
    assert_int_equal(parse("user@x.test", a, &rest, 1), -1);
    vstr_free(a);
}

static void test_garbage(void **unused)
{
    VSTR *a = vstr_alloc(16);
    const char *rest = 0;

    assert_int_equal(parse("<user@x.test", a, &rest, 0), -1);
    assert_int_equal(parse("<\"unterminated@x.test>", a, &rest, 0), -1);
    assert_int_equal(parse("<us er@x.test>", a, &rest, 0), -1);
    assert_int_equal(parse("<user\001@x.test>", a, &rest, 0), -1);
    assert_int_equal(parse("<user\xc3\xa9@x.test>", a, &rest, 0), -1);
    assert_int_equal(parse("<a@x.test>junk", a, &rest, 0), -1);
    assert_int_equal(parse("<a<b@x.test>", a, &rest, 0), -1);
    assert_int_equal(parse("", a, &rest, 0), -1);
    vstr_free(a);
}

static void test_long_input(void **unused)
{
    VSTR *a = vstr_alloc(16);
    VSTR *text = vstr_alloc(2100);
    const char *rest = 0;
    int i;

    vstr_addch(text, '<');
    for (i = 0; i < 990; i++)
        vstr_addch(text, 'a');
    vstr_addstr(text, "@x.test>");
    assert_int_equal(parse(text->buf, a, &rest, 0), 0);
    assert_int_equal(a->len, 997);
    vstr_reset(text);
    vstr_addch(text, '<');
    for (i = 0; i < 2000; i++)
        vstr_addch(text, 'a');
    vstr_addstr(text, "@x.test>");
    assert_int_equal(parse(text->buf, a, &rest, 0), -1);
    vstr_free(a);
    vstr_free(text);
}

static void test_split_domain(void **unused)
{
    VSTR *l = vstr_alloc(16), *d = vstr_alloc(16), *low = vstr_alloc(16);

    addr_split("a@b@c.test", l, d);
    assert_string_equal(l->buf, "a@b");
    assert_string_equal(d->buf, "c.test");
    addr_split("local", l, d);
    assert_string_equal(l->buf, "local");
    assert_string_equal(d->buf, "");
    assert_string_equal(addr_domain("x@Y.test"), "Y.test");
    assert_null(addr_domain("nodomain"));
    addr_lowercase("MiXeD@Example.TEST", low);
    assert_string_equal(low->buf, "mixed@example.test");
    vstr_free(l);
    vstr_free(d);
    vstr_free(low);
}

static void test_extension(void **unused)
{
    VSTR *b = vstr_alloc(16), *e = vstr_alloc(16);

    assert_int_equal(addr_strip_extension("user+tag", "+", b, e), 1);
    assert_string_equal(b->buf, "user");
    assert_string_equal(e->buf, "+tag");
    assert_int_equal(addr_strip_extension("user-x+y", "+-", b, e), 1);
    assert_string_equal(b->buf, "user");
    assert_string_equal(e->buf, "-x+y");
    assert_int_equal(addr_strip_extension("owner-list", "-", b, e), 0);
    assert_string_equal(b->buf, "owner-list");
    assert_int_equal(addr_strip_extension("list-request", "-", b, e), 0);
    assert_int_equal(addr_strip_extension("postmaster", "+", b, e), 0);
    assert_int_equal(addr_strip_extension("+tag", "+", b, e), 0);
    assert_int_equal(addr_strip_extension("user+tag", "", b, e), 0);
    assert_string_equal(e->buf, "");
    vstr_free(b);
    vstr_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),      cmocka_unit_test(test_null_sender),
        cmocka_unit_test(test_quoted),      cmocka_unit_test(test_source_route),
        cmocka_unit_test(test_no_brackets), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_long_input),  cmocka_unit_test(test_split_domain),
        cmocka_unit_test(test_extension),
    };

    return cmocka_run_group_tests(tests, 0, 0);
}
