/*
 * NAME
 *      test_fuzz_regress - regression tests for bugs found by the libFuzzer
 *      targets in tests/fuzz/
 *
 * DESCRIPTION
 *      lib/record.c: the pointer-record backward-jump budget (Postfix's
 *      10000) was charged across passes and files; lib/mastercf.c: "-o"
 *      arguments without '=' (or without a name) were collected as
 *      overrides, which must be "name=value" (postconf warns "missing '='
 *      after attribute name" and ignores them), and braces grouped the
 *      first eight columns too (a "{}" command became empty); lib/addr.c: an empty local
 *      part was written "@domain" (which reads back as a source route) and a
 *      quoted-pair could smuggle a TAB into an address (RFC 5321 section
 *      4.1.2: quoted-pairSMTP is %d92 %d32-126).
 *
 * DIAGNOSTICS
 *      cmocka; the exit status is the number of failed tests.
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
#include <unistd.h>

#include "addr.h"
#include "mastercf.h"
#include "msg.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

/* tmp_stream - a stream on an anonymous temporary file */
static STREAM *tmp_stream(const void *data, size_t len)
{
    char path[] = "/tmp/test_fuzz_regressXXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    unlink(path);
    if (len)
        assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return stream_fdopen(fd, "test");
}

/*
 * Regression (tests/fuzz/fuzz_record): the backward-jump budget was shared
 * by every pass over every file read through the same STREAM address and
 * fd, so the 10001st re-read of a file with one legal backward jump failed.
 * Layout: S@0, p->22 @3, E@20, R@22, p->20 @25.
 */
static void test_pointer_budget_per_pass(void **state)
{
    STREAM *st = tmp_stream(NULL, 0);
    VSTR *buf = vstr_alloc(10);
    VSTR *ptr = vstr_alloc(20);
    int pass;

    rec_put(st, 'S', "s", 1);
    vstr_sprintf(ptr, "%15ld", 22L);
    rec_put(st, 'p', VSTR_STR(ptr), VSTR_LEN(ptr));
    rec_put(st, 'E', "", 0);
    rec_put(st, 'R', "r", 1);
    vstr_sprintf(ptr, "%15ld", 20L);
    rec_put(st, 'p', VSTR_STR(ptr), VSTR_LEN(ptr));
    for (pass = 0; pass < 10050; pass++) {
        assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
        assert_int_equal(rec_get(st, buf, 0), 'S');
        assert_int_equal(rec_get(st, buf, 0), 'R');
        assert_int_equal(rec_get(st, buf, 0), 'E');
        assert_int_equal(rec_get(st, buf, 0), REC_TYPE_EOF);
    }
    stream_close(st);
    vstr_free(buf);
    vstr_free(ptr);
}

/* -o without '=' is not an override; -o name=value still is. */
static void test_mastercf_override_without_equals(void **state)
{
    char dir[] = "/tmp/test_fuzz_regressXXXXXX";
    char path[256];
    FILE *fp;
    MASTER_CF *cf;
    MASTER_ENT *e;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/master.cf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("smtp inet n - n - - smtpd -o { foo bar } -o baz -o =x -o { a = b }\n", fp);
    fclose(fp);
    cf = mastercf_load(path);
    assert_int_equal(cf->count, 1);
    e = cf->ents[0];
    assert_int_equal(e->overrides->argc, 1);
    assert_string_equal(e->overrides->argv[0], "a=b");
    /* The daemon still sees every argument. */
    assert_int_equal(e->args->argc, 8);
    assert_string_equal(e->args->argv[1], "foo bar");
    mastercf_free(cf);
    unlink(path);
    rmdir(dir);
}

/* Braces group only the command's arguments, not the first 8 columns. */
static void test_mastercf_braces_in_columns(void **state)
{
    char dir[] = "/tmp/test_fuzz_regressXXXXXX";
    char path[256];
    FILE *fp;
    MASTER_CF *cf;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/master.cf", dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("smtp inet n - n - - {} -o { a = b }\n", fp);
    fclose(fp);
    cf = mastercf_load(path);
    assert_int_equal(cf->count, 1);
    assert_string_equal(cf->ents[0]->command, "{}");
    assert_string_equal(cf->ents[0]->overrides->argv[0], "a=b");
    mastercf_free(cf);
    unlink(path);
    rmdir(dir);
}

static void test_addr_empty_local_part(void **state)
{
    VSTR *addr = vstr_alloc(10);
    VSTR *out = vstr_alloc(10);
    VSTR *again = vstr_alloc(10);
    const char *rest;

    assert_int_equal(addr_parse_path("<\"\"@example.test>", addr, &rest, 1), 0);
    assert_string_equal(VSTR_STR(addr), "@example.test");
    addr_quote_external(VSTR_STR(addr), out);
    assert_string_equal(VSTR_STR(out), "\"\"@example.test");
    vstr_sprintf(again, "<%s>", VSTR_STR(out));
    assert_int_equal(addr_parse_path(VSTR_STR(again), addr, &rest, 1), 0);
    assert_string_equal(VSTR_STR(addr), "@example.test");
    /* The null sender is still empty. */
    addr_quote_external("", out);
    assert_string_equal(VSTR_STR(out), "");
    vstr_free(addr);
    vstr_free(out);
    vstr_free(again);
}

static void test_addr_quoted_pair_tab(void **state)
{
    VSTR *addr = vstr_alloc(10);
    const char *rest;

    assert_int_equal(addr_parse_path("<\"a\\\tb\"@x.test>", addr, &rest, 1), -1);
    assert_int_equal(addr_parse_path("<\"a\\ b\"@x.test>", addr, &rest, 1), 0);
    assert_string_equal(VSTR_STR(addr), "a b@x.test");
    vstr_free(addr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pointer_budget_per_pass),
        cmocka_unit_test(test_mastercf_override_without_equals),
        cmocka_unit_test(test_mastercf_braces_in_columns),
        cmocka_unit_test(test_addr_empty_local_part),
        cmocka_unit_test(test_addr_quoted_pair_tab),
    };

    msg_init("test_fuzz_regress", 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
