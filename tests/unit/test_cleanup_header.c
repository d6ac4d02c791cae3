/*
 * test_cleanup_header - unit tests for cleanup/cleanup_header.c: header
 * recognition and classification, header value extraction, and the
 * formats of the Message-Id, Date and From headers cleanup adds (Postfix
 * cleanup_message.c, mail_date.c; reference 2.3, 3.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../cleanup/cleanup_header.c"

#define S(x) x, strlen(x)

static void test_is_header(void **unused)
{
    assert_int_equal(cleanup_header_name_len(S("Subject: hi")), 7);
    assert_int_equal(cleanup_header_name_len(S("X-Foo : bar")), 5);
    assert_int_equal(cleanup_header_name_len(S("Subject:")), 7);
    assert_int_equal(cleanup_header_name_len(S(": nothing")), 0);
    assert_int_equal(cleanup_header_name_len(S("not a header")), 0);
    assert_int_equal(cleanup_header_name_len(S(" folded: x")), 0);
    assert_int_equal(cleanup_header_name_len(S("")), 0);
    assert_int_equal(cleanup_header_name_len(S("NoColon")), 0);
    /* Length bound respected: the colon lies beyond len. */
    assert_int_equal(cleanup_header_name_len("Subject: x", 5), 0);
}

static void test_class(void **unused)
{
    assert_int_equal(cleanup_header_class(S("Message-ID: <a@b>")), CLN_HDR_MESSAGE_ID);
    assert_int_equal(cleanup_header_class(S("message-id:<a@b>")), CLN_HDR_MESSAGE_ID);
    assert_int_equal(cleanup_header_class(S("From: x")), CLN_HDR_FROM);
    assert_int_equal(cleanup_header_class(S("DATE: x")), CLN_HDR_DATE);
    assert_int_equal(cleanup_header_class(S("Received: from x")), CLN_HDR_RECEIVED);
    assert_int_equal(cleanup_header_class(S("Resent-From: x")), CLN_HDR_RESENT_FROM);
    assert_int_equal(cleanup_header_class(S("Resent-Message-Id: x")), CLN_HDR_RESENT_MESSAGE_ID);
    assert_int_equal(cleanup_header_class(S("Resent-To: x")), CLN_HDR_RESENT_OTHER);
    assert_int_equal(cleanup_header_class(S("From x")), CLN_HDR_OTHER);
    assert_int_equal(cleanup_header_class(S("Fromage: x")), CLN_HDR_OTHER);
    assert_int_equal(cleanup_header_class(S("Subject: x")), CLN_HDR_OTHER);
}

static void test_value(void **unused)
{
    VSTR *v = vstr_alloc(10);

    cleanup_header_value(S("Message-ID:   <abc@example>  "), v);
    assert_string_equal(v->buf, "<abc@example>");
    cleanup_header_value(S("Message-ID:\n\t<abc@example>"), v);
    assert_string_equal(v->buf, "\t<abc@example>" + 1);
    vstr_free(v);
}

static void test_msgid(void **unused)
{
    VSTR *v = vstr_alloc(10);

    /* 1795266506 = 2026-11-21 13:08:26 UTC (reference 2.3 lab example). */
    cleanup_msgid_format(v, 1795266506, "3E30CA77F5F", "mx.example.test");
    assert_string_equal(v->buf, "<20261121130826.3E30CA77F5F@mx.example.test>");
    vstr_free(v);
}

static void test_date(void **unused)
{
    VSTR *v = vstr_alloc(10);

    setenv("TZ", "UTC", 1);
    tzset();
    cleanup_date_format(v, 1795266496);
    assert_string_equal(v->buf, "Sat, 21 Nov 2026 13:08:16 +0000 (UTC)");
    cleanup_date_format(v, 1795266496 - 20 * 86400); /* day < 10: blank padded */
    assert_string_equal(v->buf, "Sun,  1 Nov 2026 13:08:16 +0000 (UTC)");
    setenv("TZ", "EST5", 1);
    tzset();
    cleanup_date_format(v, 1795266496);
    assert_string_equal(v->buf, "Sat, 21 Nov 2026 08:08:16 -0500 (EST)");
    vstr_free(v);
}

static void test_from(void **unused)
{
    VSTR *v = vstr_alloc(10);

    cleanup_from_format(v, "", "sender@example.org", "Sender Name");
    assert_string_equal(v->buf, "From: Sender Name <sender@example.org>");
    cleanup_from_format(v, "", "sender@example.org", 0);
    assert_string_equal(v->buf, "From: sender@example.org");
    cleanup_from_format(v, "Resent-", "s@x", "Doe, John");
    assert_string_equal(v->buf, "Resent-From: \"Doe, John\" <s@x>");
    cleanup_from_format(v, "", "", "Ignored");
    assert_string_equal(v->buf, "From: MAILER-DAEMON");
    vstr_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_header), cmocka_unit_test(test_class),
        cmocka_unit_test(test_value),     cmocka_unit_test(test_msgid),
        cmocka_unit_test(test_date),      cmocka_unit_test(test_from),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
