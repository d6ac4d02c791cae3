/*
 * NAME
 *      test_cleanup_fullname - the full name in the From: header that
 *      cleanup adds (cleanup/cleanup_header.c, cleanup_from_format)
 *
 * DESCRIPTION
 *      A full name from "sendmail -F" or GECOS is local-user input: a CR or
 *      LF in it must not start a new header line (header injection). Control
 *      characters become blanks, quoted or not; specials still force the
 *      quoted form (Postfix hfrom_format=standard, reference 3.4).
 *
 * DIAGNOSTICS
 *      cmocka; the exit status is the number of failed tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../cleanup/cleanup_header.c"

static void test_fullname_controls(void **unused)
{
    VSTR *v = vstr_alloc(64);

    cleanup_from_format(v, "", "s@x.test", "Eve\r\nBcc: victim@y.test");
    assert_string_equal(VSTR_STR(v), "From: \"Eve  Bcc: victim@y.test\" <s@x.test>");
    cleanup_from_format(v, "", "s@x.test", "Plain\nName");
    assert_string_equal(VSTR_STR(v), "From: Plain Name <s@x.test>");
    cleanup_from_format(v, "Resent-", "s@x.test", "Tab\there");
    assert_string_equal(VSTR_STR(v), "Resent-From: Tab\there <s@x.test>");
    cleanup_from_format(v, "", "s@x.test", "Q \"x\" \\");
    assert_string_equal(VSTR_STR(v), "From: \"Q \\\"x\\\" \\\\\" <s@x.test>");
    vstr_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fullname_controls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
