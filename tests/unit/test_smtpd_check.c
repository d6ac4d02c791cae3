/*
 * test_smtpd_check - unit tests for the smtpd access restrictions
 * (smtpd/smtpd_check.c, included here because unit tests link only the
 * library). A private main.cf with inline: tables drives the evaluation
 * order of reference 9.3 and the reply texts.
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

#include "../../smtpd/smtpd_check.c"
#include "config.h"

static char confdir[] = "/tmp/test_smtpd_check.XXXXXX";
static SMTPD_STATE st;

static const char *main_cf =
    "myhostname = mx.example.test\n"
    "mydestination = localhost\n"
    "inet_interfaces = loopback-only\n"
    "virtual_mailbox_domains = example.test\n"
    "virtual_mailbox_maps = inline:{ alice@example.test=x }\n"
    "virtual_alias_maps = inline:{ info@example.test=alice@example.test }\n"
    "local_recipient_maps =\n"
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n"
    "smtpd_recipient_restrictions = check_recipient_access inline:{ "
    "blocked@example.test=REJECT, { soft@example.test = 450 4.2.0 later } }\n"
    "smtpd_sender_restrictions = reject_non_fqdn_sender\n";

static int setup(void **unused)
{
    char path[256];
    FILE *fp;

    if (mkdtemp(confdir) == 0)
        return -1;
    snprintf(path, sizeof(path), "%s/main.cf", confdir);
    if ((fp = fopen(path, "w")) == 0)
        return -1;
    fputs(main_cf, fp);
    fclose(fp);
    msg_init("test_smtpd_check", 0);
    cfg_init(confdir);
    smtpd_check_init();
    memset(&st, 0, sizeof(st));
    st.name = "client.example.org";
    st.addr = "192.0.2.1";
    st.namaddr = "client.example.org[192.0.2.1]";
    st.protocol = "ESMTP";
    st.where = "RCPT";
    st.queue_id = vstr_alloc(16);
    st.reply = vstr_alloc(64);
    st.resolve = resolve_reply_alloc();
    return 0;
}

static int teardown(void **unused)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/main.cf", confdir);
    unlink(path);
    rmdir(confdir);
    return 0;
}

/* Run the RCPT checks for sender/recipient; returns the status. */
static int rcpt(const char *sender, const char *recipient, int mynet)
{
    st.sender = (char *)sender;
    st.recipient = (char *)recipient;
    st.in_mynetworks = mynet;
    vstr_reset(st.reply);
    return smtpd_check_rcpt(&st);
}

static void test_virtual_mailbox(void **unused)
{
    assert_int_equal(rcpt("a@example.org", "alice@example.test", 0), SMTPD_CHECK_OK);
    assert_int_equal(rcpt("a@example.org", "nobody@example.test", 0), SMTPD_CHECK_REJECT);
    assert_string_equal(st.reply->buf, "550 5.1.1 <nobody@example.test>: Recipient address "
                                       "rejected: User unknown in virtual mailbox table");
    /* An alias makes a mailbox-domain address valid. */
    assert_int_equal(rcpt("a@example.org", "info@example.test", 0), SMTPD_CHECK_OK);
}

static void test_relay(void **unused)
{
    assert_int_equal(rcpt("a@example.org", "x@elsewhere.test", 0), SMTPD_CHECK_REJECT);
    assert_string_equal(st.reply->buf, "554 5.7.1 <x@elsewhere.test>: Relay access denied");
    assert_int_equal(rcpt("a@example.org", "x@elsewhere.test", 1), SMTPD_CHECK_OK);
}

static void test_access_and_sender(void **unused)
{
    assert_int_equal(rcpt("a@example.org", "blocked@example.test", 0), SMTPD_CHECK_REJECT);
    assert_string_equal(st.reply->buf,
                        "554 5.7.1 <blocked@example.test>: Recipient address rejected: "
                        "Access denied");
    assert_int_equal(rcpt("a@example.org", "soft@example.test", 0), SMTPD_CHECK_REJECT);
    assert_string_equal(st.reply->buf,
                        "450 4.2.0 <soft@example.test>: Recipient address rejected: later");
    /* Sender checks run at RCPT time (smtpd_delay_reject = yes). */
    assert_int_equal(rcpt("nodomain", "alice@example.test", 0), SMTPD_CHECK_REJECT);
    assert_string_equal(st.reply->buf, "504 5.5.2 <nodomain>: Sender address rejected: need "
                                       "fully-qualified address");
    /* ... but a bare postmaster is always accepted. */
    assert_int_equal(rcpt("nodomain", "postmaster", 0), SMTPD_CHECK_OK);
    /* The null sender is fine. */
    assert_int_equal(rcpt("", "alice@example.test", 0), SMTPD_CHECK_OK);
}

static void test_hostname(void **unused)
{
    assert_true(smtpd_valid_hostname("mx.example.test"));
    assert_true(smtpd_valid_hostname("a-b.c_d"));
    assert_false(smtpd_valid_hostname("-a.test"));
    assert_false(smtpd_valid_hostname("a-.test"));
    assert_false(smtpd_valid_hostname("a..test"));
    assert_false(smtpd_valid_hostname("1.2.3.4"));
    assert_false(smtpd_valid_hostname("bad!host"));
    assert_false(smtpd_valid_hostname(""));
}

static void test_split(void **unused)
{
    ARGV *a = restriction_split("permit_mynetworks, check_client_access inline:{ a=b, c=d },"
                                "reject");

    assert_int_equal(a->argc, 4);
    assert_string_equal(a->argv[0], "permit_mynetworks");
    assert_string_equal(a->argv[2], "inline:{ a=b, c=d }");
    assert_string_equal(a->argv[3], "reject");
    argv_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_virtual_mailbox),
        cmocka_unit_test(test_relay),
        cmocka_unit_test(test_access_and_sender),
        cmocka_unit_test(test_hostname),
        cmocka_unit_test(test_split),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
