/*
 * test_dict_regex - unit tests for the pcre: and regexp: tables
 * (lib/dict_pcre.c, lib/dict_regexp.c, lib/dict_regex_common.c: Postfix
 * pcre_table(5), regexp_table(5)) and the header_checks action helpers
 * and MIME helpers (cleanup/cleanup_checks.c: header_checks(5), RFC 2046).
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

#include "dict.h"
#include "dict_regex_common.h"
#include "msg.h"
#include "../../cleanup/cleanup_header.c"
#include "../../cleanup/cleanup_checks.c"

static char path[] = "/tmp/test_dict_regex.XXXXXX";

/* write_table - the table text into the temporary file. */
static void write_table(const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static const char *get(DICT *d, const char *key)
{
    const char *v = dict_get(d, key);

    return v ? v : "(none)";
}

static const char *table_text = "# comment\n"
                                "/^(\\S+)@example\\.com$/ user=$1 ${1}x $(1)y $$\n"
                                "if /^a/\n"
                                "/b$/ a-b\n"
                                "if !/c/\n"
                                "/^ad$/ ad-noc\n"
                                "endif\n"
                                "endif\n"
                                "/^Case$/i case-sensitive\n"
                                "/^case$/ case\n"
                                "/^(a)(b)?c$/ [$2][$1]\n"
                                "/^lo\n"
                                "  ng$/ continued\n"
                                "/(bad/ bad pattern skipped\n"
                                "/x/z unknown flag skipped\n"
                                "/^(t)$/ $2 out of range skipped\n"
                                "!/q/ $1 negative with ref skipped\n"
                                "/^multi$/ first\n"
                                "  second\n"
                                "!/z/ no-z\n";

static void test_pcre_table(void **unused)
{
    DICT *d;

    write_table(table_text);
    d = dict_open("pcre:/tmp/none-such-file", 0, DICT_FLAGS_DEFAULT);
    assert_null(dict_get(d, "x"));
    assert_int_equal(d->error, DICT_ERR_CONFIG);
    dict_close(d);

    {
        char spec[100];
        snprintf(spec, sizeof(spec), "pcre:%s", path);
        d = dict_open(spec, 0, DICT_FLAGS_DEFAULT);
    }
    assert_true(d->flags & DICT_FLAG_PATTERN);
    assert_string_equal(get(d, "joe@example.com"), "user=joe joex joey $");
    assert_string_equal(get(d, "JOE@EXAMPLE.COM"), "user=JOE JOEx JOEy $");
    assert_string_equal(get(d, "ab"), "a-b");
    assert_string_equal(get(d, "ad"), "ad-noc");
    assert_string_equal(get(d, "acd"), "no-z");  /* inner if false */
    assert_string_equal(get(d, "bb"), "no-z");   /* outer if false */
    assert_string_equal(get(d, "CASE"), "case"); /* i toggles to sensitive */
    assert_string_equal(get(d, "Case"), "case-sensitive");
    assert_string_equal(get(d, "ac"), "[][a]");
    assert_string_equal(get(d, "abc"), "[b][a]");
    assert_string_equal(get(d, "lo  ng"), "continued");
    assert_string_equal(get(d, "multi"), "first  second");
    assert_string_equal(get(d, "t"), "no-z");
    assert_string_equal(get(d, "zzz"), "(none)");
    assert_int_equal(d->error, DICT_ERR_NONE);
    dict_close(d);
}

static void test_regexp_table(void **unused)
{
    DICT *d;
    char spec[100];

    write_table("/^([^@]+)@example\\.com$/ user=$1\n"
                "/^a.b$/ dot\n"
                "/^X(Y)?$/ [$1]\n"
                "/^Sens$/i sensitive\n"
                "/^(a|b)+$/ ab-only\n"
                "if !/^n/\n"
                "/o$/ not-n-o\n"
                "endif\n");
    snprintf(spec, sizeof(spec), "regexp:%s", path);
    d = dict_open(spec, 0, DICT_FLAGS_DEFAULT);
    assert_true(d->flags & DICT_FLAG_PATTERN);
    assert_string_equal(get(d, "Joe@Example.COM"), "user=Joe");
    assert_string_equal(get(d, "a\nb"), "dot");
    assert_string_equal(get(d, "x"), "[]");
    assert_string_equal(get(d, "xy"), "[y]");
    assert_string_equal(get(d, "sens"), "(none)");
    assert_string_equal(get(d, "Sens"), "sensitive");
    assert_string_equal(get(d, "abba"), "ab-only");
    assert_string_equal(get(d, "go"), "not-n-o");
    assert_string_equal(get(d, "no"), "(none)");
    dict_close(d);
}

static void test_expand_and_refs(void **unused)
{
    VSTR *out = vstr_alloc(10);
    VSTR *why = vstr_alloc(10);
    int located = -1;
    size_t ov[6] = {0, 5, 0, 2, DICT_REGEX_UNSET, DICT_REGEX_UNSET};

    dict_regex_expand("<$1|${2}|$(1)|$$|$0>", "hello", ov, 3, out);
    assert_string_equal(out->buf, "<he||he|$|hello>");
    dict_regex_expand("$9", "hello", ov, 3, out);
    assert_string_equal(out->buf, "");

    assert_int_equal(dict_regex_max_ref("plain", why, &located), 0);
    assert_int_equal(dict_regex_max_ref("$1 ${12} $$3", why, &located), 12);
    assert_int_equal(dict_regex_max_ref("a$x", why, &located), -1);
    assert_string_equal(why->buf, "non-numeric replacement index \"x\"");
    assert_int_equal(located, 1);
    assert_int_equal(dict_regex_max_ref("end$", why, &located), -1);
    assert_string_equal(why->buf, "empty macro name: \"end$\"");
    assert_int_equal(located, 0);
    assert_int_equal(dict_regex_max_ref("$(1", why, &located), -1);
    assert_string_equal(why->buf, "truncated macro reference: \"$(1\"");
    vstr_free(out);
    vstr_free(why);
}

static void test_check_actions(void **unused)
{
    const char *text;
    VSTR *out = vstr_alloc(10);

    assert_int_equal(cleanup_check_parse("REJECT", &text), CLEANUP_ACT_REJECT);
    assert_string_equal(text, "");
    assert_int_equal(cleanup_check_parse("reject  go away", &text), CLEANUP_ACT_REJECT);
    assert_string_equal(text, "go away");
    assert_int_equal(cleanup_check_parse("PREPEND X-A: b", &text), CLEANUP_ACT_PREPEND);
    assert_string_equal(text, "X-A: b");
    assert_int_equal(cleanup_check_parse("OK", &text), CLEANUP_ACT_DUNNO);
    assert_int_equal(cleanup_check_parse("HOLD", &text), CLEANUP_ACT_HOLD);
    assert_int_equal(cleanup_check_parse("IGNORE", &text), CLEANUP_ACT_IGNORE);
    assert_int_equal(cleanup_check_parse("DISCARD", &text), CLEANUP_ACT_DISCARD);
    assert_int_equal(cleanup_check_parse("REPLACEX y", &text), CLEANUP_ACT_UNKNOWN);

    assert_int_equal(cleanup_check_reject_reason("", out), '5');
    assert_string_equal(out->buf, "5.7.1 message content rejected");
    assert_int_equal(cleanup_check_reject_reason("go away", out), '5');
    assert_string_equal(out->buf, "5.7.1 go away");
    assert_int_equal(cleanup_check_reject_reason("4.7.0 later", out), '4');
    assert_string_equal(out->buf, "4.7.0 later");
    assert_int_equal(cleanup_check_reject_reason("5.123.4 x", out), '5');
    assert_string_equal(out->buf, "5.123.4 x");
    assert_int_equal(cleanup_check_reject_reason("5.7 x", out), '5');
    assert_string_equal(out->buf, "5.7.1 5.7 x");

    assert_int_equal(cleanup_is_mime_header("Content-Type: x", 15), 1);
    assert_int_equal(cleanup_is_mime_header("mime-version: 1.0", 17), 1);
    assert_int_equal(cleanup_is_mime_header("Subject: Content-", 17), 0);

    cleanup_check_log_format(out, "QID", "reject", "header", "Subject: a\n b", "h[1.2.3.4]", "s@x",
                             "r@y", "ESMTP", "helo", "5.7.1 no");
    assert_string_equal(out->buf, "QID: reject: header Subject: a? b from h[1.2.3.4]; from=<s@x> "
                                  "to=<r@y> proto=ESMTP helo=<helo>: 5.7.1 no");
    cleanup_check_log_format(out, "QID", "discard", "body", "x", 0, "", 0, 0, 0, "");
    assert_string_equal(out->buf, "QID: discard: body x from unknown; from=<>");
    vstr_free(out);
}

static void test_mime_helpers(void **unused)
{
    VSTR *b = vstr_alloc(10);
    const char *h1 = "Content-Type: multipart/mixed;\n boundary=\"==x y==\"";
    const char *h2 = "content-type: Multipart/Alternative; charset=x; boundary=abc; z=1";
    const char *h3 = "Content-Type: message/rfc822";
    const char *h4 = "Content-Type: multipart/mixed; xboundary=no";
    const char *h5 = "Subject: multipart/mixed; boundary=abc";

    assert_int_equal(cleanup_mime_content_type(h1, strlen(h1), b), CLEANUP_MIME_MULTIPART);
    assert_string_equal(b->buf, "==x y==");
    assert_int_equal(cleanup_mime_content_type(h2, strlen(h2), b), CLEANUP_MIME_MULTIPART);
    assert_string_equal(b->buf, "abc");
    assert_int_equal(cleanup_mime_content_type(h3, strlen(h3), b), CLEANUP_MIME_RFC822);
    assert_int_equal(cleanup_mime_content_type(h4, strlen(h4), b), CLEANUP_MIME_OTHER);
    assert_int_equal(cleanup_mime_content_type(h5, strlen(h5), b), CLEANUP_MIME_OTHER);
    /* the length bound is respected */
    assert_int_equal(cleanup_mime_content_type(h3, 20, b), CLEANUP_MIME_OTHER);

    assert_int_equal(cleanup_mime_boundary_match("--abc", 5, "abc"), 1);
    assert_int_equal(cleanup_mime_boundary_match("--abc  ", 7, "abc"), 1);
    assert_int_equal(cleanup_mime_boundary_match("--abc--", 7, "abc"), 2);
    assert_int_equal(cleanup_mime_boundary_match("--ab", 4, "abc"), 0);
    assert_int_equal(cleanup_mime_boundary_match("-abc", 4, "abc"), 0);
    assert_int_equal(cleanup_mime_boundary_match("--abd", 5, "abc"), 0);
    vstr_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcre_table),      cmocka_unit_test(test_regexp_table),
        cmocka_unit_test(test_expand_and_refs), cmocka_unit_test(test_check_actions),
        cmocka_unit_test(test_mime_helpers),
    };
    int fd;
    int rc;

    msg_init("test_dict_regex", 0);
    if ((fd = mkstemp(path)) < 0)
        return 1;
    close(fd);
    rc = cmocka_run_group_tests(tests, 0, 0);
    unlink(path);
    return rc;
}
