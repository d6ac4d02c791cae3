/*
 * NAME
 *      test_config - unit tests for lib/config.c (main.cf, expansion)
 *
 * DESCRIPTION
 *      Each test writes a main.cf into a fresh mkdtemp() directory, calls
 *      cfg_init() on it and checks what cfg_str() and friends return:
 *      continuation lines, comments inside continuations, '#' mid-line,
 *      last definition wins, lazy expansion, every ${} form, compatibility
 *      level defaults, the recursion limit, the fatal malformed-line
 *      message (in a child process), cfg_time units, -o overrides,
 *      brace-aware list splitting (cfg_list, cfg_split_list) and the
 *      "unused parameter" warning coming only from cfg_warn_unused().
 *      Postfix behaviour: postconf(5), reference 5.1, trap 14.
 *
 * DIAGNOSTICS
 *      cmocka; the exit status is the number of failed tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "mymalloc.h"

static char test_dir[64];

/* write_main_cf - (re)create main.cf with text and load it. */
static void load(const char *text)
{
    char path[128];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    cfg_init(test_dir);
}

static int setup(void **state)
{
    strcpy(test_dir, "/tmp/test_config.XXXXXX");
    assert_non_null(mkdtemp(test_dir));
    return 0;
}

static int teardown(void **state)
{
    char path[128];

    snprintf(path, sizeof(path), "%s/main.cf", test_dir);
    unlink(path);
    rmdir(test_dir);
    return 0;
}

static void test_continuation(void **state)
{
    load(
        "relay_domains = a,\n  b\n# comment inside\n\n\tc\nmyorigin = x.example # not a comment\n");
    assert_string_equal(cfg_raw("relay_domains"), "a,  b\tc");
    assert_string_equal(cfg_str("myorigin"), "x.example # not a comment");
    assert_true(cfg_is_set("relay_domains"));
    assert_false(cfg_is_set("mydestination"));
}

static void test_last_wins_and_lazy(void **state)
{
    load("myorigin = $mydomain\nmydomain = first.example\nmydomain=second.example   \n");
    /* Lazy: myorigin refers to the later, last definition. */
    assert_string_equal(cfg_str("myorigin"), "second.example");
    assert_string_equal(cfg_raw("myorigin"), "$mydomain");
    /* Cached: the same pointer until the configuration changes. */
    assert_ptr_equal(cfg_str("myorigin"), cfg_str("myorigin"));
}

static void test_expansion_forms(void **state)
{
    load("a = one\nempty =\n"
         "t1 = $a ${a} $(a) $$a $${a}\n"
         "t2 = ${a?yes}/${a:no}/${empty?yes}/${empty:no}\n"
         "t3 = ${a?{x y}:{z}}|${empty ? {x} : {z z}}|${a?{only}}|${empty:{e}}\n"
         "t4 = ${{1} == {01}?{eq}:{ne}} ${{abc} != {abd} ? {ne}} ${{10} > {9}?{gt}:{le}} "
         "${{b} < {a} ? {lt} : {ge}} ${{5} <= {5}?{le}} ${{a} >= {b}?{ge}:{lt}}\n"
         "t5 = ${{3.10} <level {3.6} ? {lt} : {ge}} ${{3.6} <=level {3.6}?{le}} "
         "${{2} >level {10}?{gt}:{le}} ${{1.0} >=level {1}?{ge}}\n"
         "t6 = $undefined_name|${undefined_name}|x\n");
    assert_string_equal(cfg_str("t1"), "one one one $a ${a}");
    assert_string_equal(cfg_str("t2"), "yes///no");
    assert_string_equal(cfg_str("t3"), "x y|z z|only|e");
    assert_string_equal(cfg_str("t4"), "eq ne gt ge le lt");
    assert_string_equal(cfg_str("t5"), "ge le le ge");
    assert_string_equal(cfg_str("t6"), "||x");
}

static void test_compat_level(void **state)
{
    load("");
    assert_string_equal(cfg_str("compatibility_level"), "0");
    assert_string_equal(cfg_str("smtpd_relay_restrictions"), "");
    assert_string_equal(cfg_str("mynetworks_style"), "subnet");
    load("compatibility_level = 3.6\n");
    assert_string_equal(cfg_str("smtpd_relay_restrictions"),
                        "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination");
    assert_string_equal(cfg_str("relay_domains"), "");
    assert_string_equal(cfg_str("mynetworks_style"), "host");
    assert_string_equal(cfg_str("smtputf8_enable"), "yes");
    /* Defaults stay unexpanded. */
    assert_non_null(strstr(cfg_default("smtpd_relay_restrictions"), "<level {1}"));
}

static void test_defaults_and_stress(void **state)
{
    load("");
    assert_string_equal(cfg_str("smtpd_timeout"), "300s");
    assert_int_equal(cfg_time("smtpd_timeout"), 300);
    cfg_override("stress", "yes");
    assert_string_equal(cfg_str("smtpd_timeout"), "10s");
    assert_string_equal(cfg_str("queue_directory"), DEF_QUEUE_DIR);
    assert_string_equal(cfg_str("mail_version"), POSTERN_MAIL_VERSION);
    assert_non_null(strchr(cfg_str("myhostname"), '.'));
    assert_string_equal(cfg_str("mydomain"), strchr(cfg_str("myhostname"), '.') + 1);
    assert_string_equal(cfg_str("no_such_parameter_xyz"), "");
    assert_null(cfg_raw("no_such_parameter_xyz"));
    assert_null(cfg_default("no_such_parameter_xyz"));
    assert_string_equal(cfg_str("config_directory"), test_dir);
}

static void test_mynetworks(void **state)
{
    load("compatibility_level = 3.6\n");
    assert_non_null(strstr(cfg_str("mynetworks"), "127.0.0.1/32"));
    load("mynetworks_style = subnet\n");
    assert_non_null(strstr(cfg_str("mynetworks"), "127.0.0.0/8"));
}

static void test_time_units(void **state)
{
    load("maximal_queue_lifetime = 2\ndelay_warning_time = 3\nsmtpd_timeout = 2m\n"
         "bounce_queue_lifetime = 1w\nminimal_backoff_time = 10\n");
    assert_int_equal(cfg_time("maximal_queue_lifetime"), 2 * 86400);
    assert_int_equal(cfg_time("delay_warning_time"), 3 * 3600);
    assert_int_equal(cfg_time("smtpd_timeout"), 120);
    assert_int_equal(cfg_time("bounce_queue_lifetime"), 7 * 86400);
    assert_int_equal(cfg_time("minimal_backoff_time"), 10);
    assert_int_equal(cfg_parse_time("5h", 's'), 5 * 3600);
    assert_int_equal(cfg_parse_time("5x", 's'), -1);
    assert_int_equal(cfg_parse_time("", 's'), -1);
    assert_int_equal(cfg_parse_time("7", 'm'), 420);
}

static void test_typed(void **state)
{
    ARGV *list;

    load("message_size_limit = 1000\nsoft_bounce = YES\nmydestination = a, b\tc,,d\n"
         "virtual_destination_recipient_limit = 5\n");
    assert_int_equal(cfg_long("message_size_limit"), 1000);
    assert_int_equal(cfg_bool("soft_bounce"), 1);
    assert_int_equal(cfg_bool("disable_vrfy_command"), 0);
    list = cfg_list("mydestination");
    assert_int_equal(list->argc, 4);
    assert_string_equal(list->argv[3], "d");
    argv_free(list);
    assert_int_equal(cfg_transport_long("virtual", "destination_recipient_limit",
                                        "default_destination_recipient_limit"),
                     5);
    assert_int_equal(cfg_transport_long("zzz", "destination_recipient_limit",
                                        "default_destination_recipient_limit"),
                     50);
    /* A known per-transport default (local is 1), and a suffix written with
     * its underscore (qmgr once looked up "local__destination_..."). */
    assert_int_equal(cfg_transport_long("local", "_destination_recipient_limit",
                                        "default_destination_recipient_limit"),
                     1);
}

/* cfg_split_list/cfg_list keep {...} groups whole, as mystrtokq(). */
static void test_list_braces(void **state)
{
    ARGV *list;

    load("virtual_alias_maps = inline:{ a=b, c=d }, hash:/x\tinline:{ { k = v w }, e=f }\n");
    list = cfg_list("virtual_alias_maps");
    assert_int_equal(list->argc, 3);
    assert_string_equal(list->argv[0], "inline:{ a=b, c=d }");
    assert_string_equal(list->argv[1], "hash:/x");
    assert_string_equal(list->argv[2], "inline:{ { k = v w }, e=f }");
    argv_free(list);
    list = cfg_split_list(" ,a{b c}d, {x {y, z}} w");
    assert_int_equal(list->argc, 3);
    assert_string_equal(list->argv[0], "a{b c}d");
    assert_string_equal(list->argv[1], "{x {y, z}}");
    assert_string_equal(list->argv[2], "w");
    argv_free(list);
    list = cfg_split_list("x, {unbalanced y z");
    assert_int_equal(list->argc, 2);
    assert_string_equal(list->argv[1], "{unbalanced y z");
    argv_free(list);
    list = cfg_split_list(0);
    assert_int_equal(list->argc, 0);
    argv_free(list);
}

static void test_override(void **state)
{
    load("myhostname = mail.example\nsyslog_name = postfix\n");
    cfg_override("syslog_name", "postfix/$service_name");
    cfg_set_service("submission");
    assert_string_equal(cfg_str("syslog_name"), "postfix/submission");
    cfg_override("smtpd_banner", "$myhostname hi");
    assert_string_equal(cfg_str("smtpd_banner"), "mail.example hi");
    assert_true(cfg_is_set("smtpd_banner"));
    /* A reload drops overrides. */
    cfg_init(test_dir);
    assert_string_equal(cfg_str("syslog_name"), "postfix");
}

static void test_expand_text(void **state)
{
    char *s;

    load("a = x\n");
    s = cfg_expand("[$a ${a?{y}} $$]");
    assert_string_equal(s, "[x y $]");
    myfree(s);
}

/* run_child - run fn in a child; return its exit status and stderr text. */
static int run_child(void (*fn)(void), char *err, size_t errlen)
{
    int pfd[2];
    pid_t pid;
    int status;
    ssize_t n;
    size_t got = 0;

    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    if ((pid = fork()) == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        msg_init("test_config", MSG_STDERR);
        fn();
        _exit(0);
    }
    close(pfd[1]);
    while (got + 1 < errlen && (n = read(pfd[0], err + got, errlen - got - 1)) > 0)
        got += (size_t)n;
    err[got] = 0;
    close(pfd[0]);
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void child_malformed(void)
{
    load("myorigin = a\n\njunk line here\n");
}

static void child_recursion(void)
{
    load("a = $b\nb = ${a}\n");
    (void)cfg_str("a");
}

static void child_bad_number(void)
{
    load("message_size_limit = 10x\n");
    (void)cfg_long("message_size_limit");
}

static void child_unused(void)
{
    load("foo_bar = 1\nused_one = 2\nmyorigin = $used_one\n");
    fputs("--- postconf:\n", stderr);
    cfg_warn_unused();
}

static void test_fatal_messages(void **state)
{
    char err[4096];
    char want[256];

    assert_int_equal(run_child(child_malformed, err, sizeof(err)), 1);
    snprintf(want, sizeof(want),
             "%s/main.cf, line 3: missing '=' after attribute name: \"junk line here\"", test_dir);
    assert_non_null(strstr(err, want));
    assert_int_equal(run_child(child_recursion, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "recursion"));
    assert_int_equal(run_child(child_bad_number, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "bad numerical configuration: message_size_limit = 10x"));
    assert_int_equal(run_child(child_unused, err, sizeof(err)), 0);
    snprintf(want, sizeof(want),
             "--- postconf:\ntest_config: warning: %s/main.cf, line 1: unused parameter: "
             "foo_bar=1\n",
             test_dir);
    /* cfg_init (every daemon) is quiet; only cfg_warn_unused (postconf) warns. */
    assert_string_equal(err, want);
    assert_null(strstr(err, "used_one"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_continuation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_wins_and_lazy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expansion_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_compat_level, setup, teardown),
        cmocka_unit_test_setup_teardown(test_defaults_and_stress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mynetworks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_time_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_braces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fatal_messages, setup, teardown),
    };

    msg_init("test_config", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
