/*
 * NAME
 *      test_vstr - unit tests for lib/vstr.c, lib/argv.c and lib/mymalloc.c
 *
 * DESCRIPTION
 *      Checks growth, embedded NULs, truncation, printf formatting (%m
 *      included), export, and argv splitting with Postfix list delimiters.
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
#include <string.h>

#include "argv.h"
#include "mymalloc.h"
#include "vstr.h"

static void test_grow(void **state)
{
    VSTR *v = vstr_alloc(0);
    int i;

    for (i = 0; i < 100000; i++)
        vstr_addch(v, 'a' + i % 26);
    assert_int_equal(VSTR_LEN(v), 100000);
    assert_int_equal(strlen(VSTR_STR(v)), 100000);
    assert_true(v->cap > VSTR_LEN(v));
    assert_int_equal(VSTR_STR(v)[26], 'a');
    vstr_free(v);
}

static void test_mem_nul(void **state)
{
    VSTR *v = vstr_alloc(4);

    vstr_addmem(v, "ab\0cd", 5);
    assert_int_equal(VSTR_LEN(v), 5);
    assert_memory_equal(VSTR_STR(v), "ab\0cd", 6);
    vstr_addstr(v, "ef");
    assert_int_equal(VSTR_LEN(v), 7);
    assert_int_equal(VSTR_STR(v)[7], 0);
    vstr_truncate(v, 3);
    assert_int_equal(VSTR_LEN(v), 3);
    vstr_truncate(v, 10);
    assert_int_equal(VSTR_LEN(v), 3);
    vstr_strcpy(v, "hello");
    assert_string_equal(VSTR_STR(v), "hello");
    vstr_memcpy(v, VSTR_STR(v) + 1, 3); /* overlapping source */
    assert_string_equal(VSTR_STR(v), "ell");
    vstr_reset(v);
    assert_int_equal(VSTR_LEN(v), 0);
    assert_string_equal(VSTR_STR(v), "");
    vstr_free(v);
}

static void test_sprintf(void **state)
{
    VSTR *v = vstr_alloc(1);
    char big[5000];

    vstr_sprintf(v, "%s=%d", "n", 42);
    assert_string_equal(VSTR_STR(v), "n=42");
    vstr_sprintf_append(v, "/%05ld", 7L);
    assert_string_equal(VSTR_STR(v), "n=42/00007");
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    vstr_sprintf(v, "[%s]", big);
    assert_int_equal(VSTR_LEN(v), sizeof(big) + 1);
    assert_int_equal(VSTR_STR(v)[0], '[');
    assert_int_equal(VSTR_STR(v)[VSTR_LEN(v) - 1], ']');
    errno = ENOENT;
    vstr_sprintf(v, "open: %m");
    assert_string_equal(VSTR_STR(v), "open: No such file or directory");
    assert_int_equal(errno, ENOENT);
    vstr_free(v);
}

static void test_export(void **state)
{
    VSTR *v = vstr_alloc(2);
    char *s;

    vstr_addstr(v, "exported");
    s = vstr_export(v);
    assert_string_equal(s, "exported");
    myfree(s);
}

static void test_argv(void **state)
{
    ARGV *a = argv_split("  a, b,,c\td\n", CFG_LIST_DELIMS);

    assert_int_equal(a->argc, 4);
    assert_string_equal(a->argv[0], "a");
    assert_string_equal(a->argv[3], "d");
    assert_null(a->argv[4]);
    argv_add(a, "e", "f", (char *)0);
    argv_addn(a, "ghijk", 2);
    assert_int_equal(a->argc, 7);
    assert_string_equal(a->argv[6], "gh");
    assert_null(a->argv[7]);
    argv_free(a);
    a = argv_split("", CFG_LIST_DELIMS);
    assert_int_equal(a->argc, 0);
    assert_null(a->argv[0]);
    argv_free(a);
}

static void test_mymalloc(void **state)
{
    char *p = mystrndup("abcdef", 3);

    assert_string_equal(p, "abc");
    myfree(p);
    p = mystrndup("ab", 10);
    assert_string_equal(p, "ab");
    myfree(p);
    p = mymemdup("x\0y", 3);
    assert_memory_equal(p, "x\0y", 3);
    p = myrealloc(p, 100000);
    assert_memory_equal(p, "x\0y", 3);
    myfree(p);
    myfree(mymalloc(0));
    myfree(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grow),    cmocka_unit_test(test_mem_nul),
        cmocka_unit_test(test_sprintf), cmocka_unit_test(test_export),
        cmocka_unit_test(test_argv),    cmocka_unit_test(test_mymalloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
