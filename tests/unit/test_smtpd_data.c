/*
 * test_smtpd_data - unit tests for the smtpd DATA state machine
 * (smtpd/smtpd_data.c, included here because unit tests link only the
 * library): end of data only at CRLF.CRLF, dot-unstuffing, bare-LF
 * handling (SMTP smuggling, reference 9.7) and line splitting. Also
 * cleanup_stat_reply() (lib/cleanup_client.c, reference 4.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../smtpd/smtpd_data.c"
#include "cleanup_proto.h"
#include "vstr.h"

/* Records collected as "N:text|" or "L:text|". */
static VSTR *got;

static void collect(void *ctx, int type, const char *buf, size_t len)
{
    vstr_addch(got, type);
    vstr_addch(got, ':');
    vstr_addmem(got, buf, len);
    vstr_addch(got, '|');
}

/*
 * Feed a byte stream as stream_get_line() would present it (pieces end at
 * '\n' or after limit bytes). Returns the number of bytes consumed up to
 * and including the end-of-data line, or -1 if the end was not seen.
 */
static long feed(const char *input, size_t limit, SMTPD_DATA *d)
{
    size_t len = strlen(input);
    size_t pos = 0;

    vstr_reset(got);
    smtpd_data_init(d, collect, 0);
    while (pos < len) {
        size_t n = 0;
        while (pos + n < len && n < limit) {
            n++;
            if (input[pos + n - 1] == '\n')
                break;
        }
        if (smtpd_data_feed(d, input + pos, n))
            return (long)(pos + n);
        pos += n;
    }
    return -1;
}

static void test_crlf_end(void **unused)
{
    SMTPD_DATA d;
    const char *in = "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b>\r\n";

    assert_int_equal(feed(in, 2048, &d), (long)(strlen(in) - strlen("MAIL FROM:<a@b>\r\n")));
    assert_string_equal(got->buf, "N:Subject: x|N:|N:body|");
    assert_int_equal(d.bytes, 11 + 1 + 5);
}

static void test_bare_lf_not_end(void **unused)
{
    SMTPD_DATA d;

    /* "\n.\n": neither a bare-LF dot line nor a dot after bare LF ends. */
    assert_int_equal(feed("a\n.\nb\r\n", 2048, &d), -1);
    assert_string_equal(got->buf, "N:a|N:|N:b|");
    /* "\r\n.\n": the dot line ends in a bare LF. */
    assert_int_equal(feed("a\r\n.\nMAIL FROM:<x@y>\r\n", 2048, &d), -1);
    assert_string_equal(got->buf, "N:a|N:|N:MAIL FROM:<x@y>|");
    /* "\n.\r\n": the dot follows a bare-LF line end. */
    assert_int_equal(feed("a\n.\r\nRCPT TO:<z@y>\r\n", 2048, &d), -1);
    assert_string_equal(got->buf, "N:a|N:|N:RCPT TO:<z@y>|");
    /* ... and a later proper end still ends it: one message, not two. */
    assert_int_equal(feed("a\n.\r\nb\r\n.\r\n", 2048, &d), 11);
    assert_string_equal(got->buf, "N:a|N:|N:b|");
}

static void test_immediate_end(void **unused)
{
    SMTPD_DATA d;

    assert_int_equal(feed(".\r\n", 2048, &d), 3);
    assert_string_equal(got->buf, "");
    assert_int_equal(d.bytes, 0);
}

static void test_dot_unstuffing(void **unused)
{
    SMTPD_DATA d;

    assert_int_equal(feed("..\r\n...x\r\n.y\r\n.\r\n", 2048, &d), 17);
    assert_string_equal(got->buf, "N:.|N:..x|N:y|");
    /* A dot in the middle of a line stays. */
    assert_int_equal(feed("a.b\r\n.\r\n", 2048, &d), 8);
    assert_string_equal(got->buf, "N:a.b|");
}

static void test_line_split(void **unused)
{
    SMTPD_DATA d;

    /* Limit 4: "abcdefghij\r\n" -> L abcd, L efgh, N ij. */
    assert_int_equal(feed("abcdefghij\r\n.\r\n", 4, &d), 15);
    assert_string_equal(got->buf, "L:abcd|L:efgh|N:ij|");
    /* A leading dot on a continuation piece is data, not stuffing. */
    assert_int_equal(feed("abcd.xy\r\n.\r\n", 4, &d), 12);
    assert_string_equal(got->buf, "L:abcd|L:.xy|N:|");
    /* A CR LF split across pieces is still one line end. */
    assert_int_equal(feed("abc\r\n.\r\n", 4, &d), 8);
    assert_string_equal(got->buf, "L:abc|N:|");
}

static void test_bare_cr_kept(void **unused)
{
    SMTPD_DATA d;

    assert_int_equal(feed("a\rb\r\n.\r\n", 2048, &d), 8);
    assert_string_equal(got->buf, "N:a\rb|");
}

static void test_stat_reply(void **unused)
{
    VSTR *out = vstr_alloc(64);

    cleanup_stat_reply(CLEANUP_STAT_SIZE, "", out);
    assert_string_equal(out->buf, "552 5.3.4 Error: message file too big");
    cleanup_stat_reply(CLEANUP_STAT_WRITE, 0, out);
    assert_string_equal(out->buf, "451 4.3.0 Error: queue file write error");
    cleanup_stat_reply(CLEANUP_STAT_HOPS, "", out);
    assert_string_equal(out->buf, "554 5.4.0 Error: too many hops");
    cleanup_stat_reply(CLEANUP_STAT_CONT, "", out);
    assert_string_equal(out->buf, "550 5.7.1 Error: message content rejected");
    cleanup_stat_reply(CLEANUP_STAT_DEFER, "", out);
    assert_string_equal(out->buf, "451 4.7.1 Error: service unavailable");
    cleanup_stat_reply(CLEANUP_STAT_NOPERM, "", out);
    assert_string_equal(out->buf, "550 5.7.1 Error: service denied");
    cleanup_stat_reply(CLEANUP_STAT_RCPT, "", out);
    assert_string_equal(out->buf, "550 5.1.0 Error: no recipients specified");
    cleanup_stat_reply(CLEANUP_STAT_BAD, "", out);
    assert_string_equal(out->buf, "451 4.3.0 Error: internal error 1");
    /* Order: DEFER beats SIZE; BAD beats WRITE; a full reply wins. */
    cleanup_stat_reply(CLEANUP_STAT_DEFER | CLEANUP_STAT_SIZE, "", out);
    assert_string_equal(out->buf, "451 4.7.1 Error: service unavailable");
    cleanup_stat_reply(CLEANUP_STAT_SIZE | CLEANUP_STAT_WRITE, "", out);
    assert_string_equal(out->buf, "552 5.3.4 Error: message file too big");
    cleanup_stat_reply(CLEANUP_STAT_CONT, "554 5.7.1 header rejected", out);
    assert_string_equal(out->buf, "554 5.7.1 header rejected");
    cleanup_stat_reply(CLEANUP_STAT_DEFER, "4.3.0 lookup failed", out);
    assert_string_equal(out->buf, "451 4.3.0 lookup failed");
    cleanup_stat_reply(0, "", out);
    assert_string_equal(out->buf, "");
    vstr_free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crlf_end),      cmocka_unit_test(test_bare_lf_not_end),
        cmocka_unit_test(test_immediate_end), cmocka_unit_test(test_dot_unstuffing),
        cmocka_unit_test(test_line_split),    cmocka_unit_test(test_bare_cr_kept),
        cmocka_unit_test(test_stat_reply),
    };

    got = vstr_alloc(256);
    return cmocka_run_group_tests(tests, 0, 0);
}
