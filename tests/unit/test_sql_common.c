/*
 * NAME
 *      test_sql_common - unit tests for lib/dict_sql_common.c
 *
 * DESCRIPTION
 *      No database server is needed: checks the .cf parser (continuation
 *      lines, comments, last definition wins, no $ expansion), the query
 *      expansion (%s %u %d %1-%9 %% and the upper-case forms, quoting of
 *      every inserted part, suppression of queries that cannot match), the
 *      result_format expansion (per value, ',' joining, %d of unqualified
 *      values skipped), the domain restriction, the legacy query and the
 *      host list (UNIX sockets first, fail-over, retry after the delay).
 *      The expected values are what Postfix 3.7's postmap -q does with the
 *      same mysql_table(5) settings.
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dict_sql_common.h"
#include "mymalloc.h"
#include "vstr.h"

/* A quote function that shows where quoting happened: [text]. */
static void bracket_quote(void *qctx, const char *text, VSTR *result)
{
    (void)qctx;
    vstr_addch(result, '[');
    vstr_addstr(result, text);
    vstr_addch(result, ']');
}

/* Expand a query; returns the text or "SUPPRESSED" (static buffer). */
static const char *query(const char *format, const char *key)
{
    static char out[512];
    SQL_CTX ctx;
    VSTR *v = vstr_alloc(64);

    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sql_fmt_parse(&ctx, format, 1), 0);
    if (sql_expand(&ctx, format, key, NULL, v, bracket_quote, NULL))
        snprintf(out, sizeof(out), "%s", VSTR_STR(v));
    else
        snprintf(out, sizeof(out), "SUPPRESSED");
    vstr_free(v);
    return out;
}

static void test_query_expansion(void **state)
{
    (void)state;
    assert_string_equal(query("SELECT x WHERE e='%s'", "a@b.c"), "SELECT x WHERE e='[a@b.c]'");
    assert_string_equal(query("u=%u d=%d", "joe@mail.example.com"), "u=[joe] d=[mail.example.com]");
    assert_string_equal(query("%1 %2 %3", "joe@mail.example.com"), "[com] [example] [mail]");
    assert_string_equal(query("%S %U %D", "joe@ex.com"), "[joe@ex.com] [joe] [ex.com]");
    assert_string_equal(query("100%% '%s'", "k"), "100% '[k]'");
    /* %u of an unqualified key is the whole key. */
    assert_string_equal(query("%u", "joe"), "[joe]");
    /* Suppressed: %d without a domain, empty local part, too few labels,
     * empty key. */
    assert_string_equal(query("%d", "joe"), "SUPPRESSED");
    assert_string_equal(query("%d", "joe@"), "SUPPRESSED");
    assert_string_equal(query("%u", "@ex.com"), "SUPPRESSED");
    assert_string_equal(query("%3", "joe@ex.com"), "SUPPRESSED");
    assert_string_equal(query("%s", ""), "SUPPRESSED");
    /* Only %s: anything is queried. */
    assert_string_equal(query("%s", "@ex.com"), "[@ex.com]");
}

static void test_bad_template(void **state)
{
    SQL_CTX ctx;

    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sql_fmt_parse(&ctx, "%s %u %d %S %U %D %1 %9 %%", 1), 0);
    assert_int_equal(ctx.nparts, 9);
}

static void test_result_format(void **state)
{
    SQL_CTX ctx;
    VSTR *v = vstr_alloc(64);
    const char *fmt = "%d/%u/";

    (void)state;
    memset(&ctx, 0, sizeof(ctx));
    assert_int_equal(sql_fmt_parse(&ctx, "SELECT '%s'", 1), 0);
    assert_int_equal(sql_fmt_parse(&ctx, fmt, 0), 0);
    assert_int_equal(sql_expand(&ctx, fmt, "joe@ex.com", "k@q.org", v, NULL, NULL), 1);
    /* An unqualified value has no %d: skipped, no comma added. */
    assert_int_equal(sql_expand(&ctx, fmt, "plain", "k@q.org", v, NULL, NULL), 0);
    assert_int_equal(sql_expand(&ctx, fmt, "ann@ex.net", "k@q.org", v, NULL, NULL), 1);
    assert_string_equal(VSTR_STR(v), "ex.com/joe/,ex.net/ann/");
    /* NULL and empty values are skipped. */
    assert_int_equal(sql_expand(&ctx, fmt, NULL, "k@q.org", v, NULL, NULL), 0);
    assert_int_equal(sql_expand(&ctx, fmt, "", "k@q.org", v, NULL, NULL), 0);
    assert_string_equal(VSTR_STR(v), "ex.com/joe/,ex.net/ann/");

    /* Upper case and digits refer to the key; no quoting in results. */
    memset(&ctx, 0, sizeof(ctx));
    fmt = "smtp:[%s] %U at %D (%S) %1";
    assert_int_equal(sql_fmt_parse(&ctx, fmt, 0), 0);
    vstr_reset(v);
    assert_int_equal(sql_expand(&ctx, fmt, "x'y", "k@q.org", v, NULL, NULL), 1);
    assert_string_equal(VSTR_STR(v), "smtp:[x'y] k at q.org (k@q.org) org");
    /* The key has no domain: a result template needing %D is suppressed. */
    vstr_reset(v);
    assert_int_equal(sql_expand(&ctx, fmt, "x", "k", v, NULL, NULL), 0);
    assert_string_equal(VSTR_STR(v), "");
    vstr_free(v);
}

static char *write_tmp(const char *text)
{
    char *path = mystrdup("/tmp/test_sql_common.XXXXXX");
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_cf_parse(void **state)
{
    char *path = write_tmp("# comment\n"
                           "hosts = unix:/s  inet:db1:3307,\n"
                           "    db2\n"
                           "  # comment inside a continued line\n"
                           "user=u$ser\n"
                           "query = SELECT a\n"
                           "\tFROM t WHERE k='%s'\n"
                           "user = final  \n"
                           "expansion_limit = 7\n");
    SQL_CF *cf = sql_cf_load(path);

    (void)state;
    assert_non_null(cf);
    assert_string_equal(sql_cf_str(cf, "hosts", ""), "unix:/s  inet:db1:3307,    db2");
    assert_string_equal(sql_cf_str(cf, "user", ""), "final");
    assert_string_equal(sql_cf_str(cf, "query", ""), "SELECT a\tFROM t WHERE k='%s'");
    assert_int_equal(sql_cf_int(cf, "expansion_limit", 0), 7);
    assert_int_equal(sql_cf_int(cf, "missing", 3), 3);
    assert_int_equal(sql_cf_bool(cf, "require_result_set", 1), 1);
    assert_null(sql_cf_str(cf, "missing", NULL));
    sql_cf_free(cf);
    unlink(path);
    myfree(path);
    assert_null(sql_cf_load("/nonexistent/x.cf"));
}

static void test_legacy_query(void **state)
{
    char *path = write_tmp("select_field = dest\ntable = aliases\nwhere_field = src\n"
                           "additional_conditions = AND active = 1\n");
    SQL_CF *cf = sql_cf_load(path);
    char *q = sql_legacy_query(cf);

    (void)state;
    assert_string_equal(q, "SELECT dest FROM aliases WHERE src='%s' AND active = 1");
    myfree(q);
    sql_cf_free(cf);
    unlink(path);
    myfree(path);
}

static void test_domain_restriction(void **state)
{
    char *path = write_tmp("domain = Example.COM, !bad.example.com other.org\n");
    SQL_CF *cf = sql_cf_load(path);
    SQL_CTX ctx;

    (void)state;
    sql_ctx_init(&ctx, NULL, cf);
    assert_int_equal(sql_check_domain(&ctx, "joe@example.com"), 1);
    assert_int_equal(sql_check_domain(&ctx, "joe@other.org"), 1);
    assert_int_equal(sql_check_domain(&ctx, "joe@bad.example.com"), 0);
    assert_int_equal(sql_check_domain(&ctx, "joe@elsewhere.org"), 0);
    assert_int_equal(sql_check_domain(&ctx, "@example.com"), 0);
    assert_int_equal(sql_check_domain(&ctx, "joe"), 0);
    assert_int_equal(sql_check_domain(&ctx, "example.com"), 0);
    sql_ctx_free(&ctx);
    sql_cf_free(cf);
    unlink(path);
    myfree(path);
}

static void test_hosts(void **state)
{
    int n;
    int i;
    SQL_HOST *h = sql_hosts_parse("inet:db1:3307, db2 unix:/run/s.sock [::1]:5 db3:99", &n);
    SQL_HOST *p;

    (void)state;
    assert_int_equal(n, 5);
    assert_int_equal(h[0].type, SQL_HOST_INET);
    assert_string_equal(h[0].name, "db1");
    assert_string_equal(h[0].port, "3307");
    assert_null(h[1].port);
    assert_int_equal(h[2].type, SQL_HOST_UNIX);
    assert_string_equal(h[2].name, "/run/s.sock");
    assert_string_equal(h[3].name, "::1");
    assert_string_equal(h[3].port, "5");
    /* UNIX socket first. */
    p = sql_host_pick(h, n, 1000);
    assert_ptr_equal(p, &h[2]);
    sql_host_down(p, 1000);
    /* Then the others, all eventually; a failed host waits its delay. */
    for (i = 0; i < 4; i++) {
        p = sql_host_pick(h, n, 1000);
        assert_non_null(p);
        assert_int_equal(p->type, SQL_HOST_INET);
        sql_host_down(p, 1000);
    }
    assert_null(sql_host_pick(h, n, 1000 + SQL_RETRY_INTERVAL - 1));
    p = sql_host_pick(h, n, 1000 + SQL_RETRY_INTERVAL);
    assert_ptr_equal(p, &h[2]);
    /* A connected host is preferred to untried ones. */
    h[0].stat = SQL_STAT_ACTIVE;
    assert_ptr_equal(sql_host_pick(h, n, 1000 + SQL_RETRY_INTERVAL), &h[0]);
    sql_hosts_free(h, n);

    h = sql_hosts_parse("", &n);
    assert_int_equal(n, 1);
    assert_string_equal(h[0].name, "localhost");
    sql_hosts_free(h, n);
}

static void test_printable(void **state)
{
    (void)state;
    assert_string_equal(sql_printable("a\nb\tc"), "a?b?c");
    assert_string_equal(sql_printable("j\xf6rg \xc3\xb6"), "j?rg \xc3\xb6");
    assert_int_equal(sql_valid_utf8("ascii@example.com"), 1);
    assert_int_equal(sql_valid_utf8("j\xc3\xb6rg@example.com"), 1);
    assert_int_equal(sql_valid_utf8("j\xf6rg@example.com"), 0); /* Latin-1 */
    assert_int_equal(sql_valid_utf8("\xc0\xafx"), 0);           /* overlong */
    assert_int_equal(sql_valid_utf8("\xed\xa0\x80"), 0);        /* surrogate */
    assert_int_equal(sql_valid_utf8("\xe2\x82"), 0);            /* truncated */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_expansion), cmocka_unit_test(test_bad_template),
        cmocka_unit_test(test_result_format),   cmocka_unit_test(test_cf_parse),
        cmocka_unit_test(test_legacy_query),    cmocka_unit_test(test_domain_restriction),
        cmocka_unit_test(test_hosts),           cmocka_unit_test(test_printable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
