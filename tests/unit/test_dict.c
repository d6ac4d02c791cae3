/*
 * NAME
 *      test_dict - unit tests for dict, dict_db, maps, mail_addr_find
 * DESCRIPTION
 *      hash: and btree: round trips; cross-compatibility with the installed
 *      Postfix /usr/sbin/postmap in both directions (tables built by
 *      Postfix with -N and -n read through dict_open; tables built by our
 *      postmap (POSTMAP_BIN, default build-dict/bin/postmap, skipped when
 *      absent) or our dict_put queried with Postfix's postmap -q and
 *      dumped with -s); static, inline (with Postfix 3.7 postmap -q
 *      semantics: blanks in values, keys, duplicates, syntax errors),
 *      texthash, fail; maps_find error
 *      propagation; mail_addr_find key order with recipient_delimiter "+-";
 *      dict_changed_name() after a table is rewritten.
 *      Temporary files live in a mkdtemp directory removed at the end.
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero on failure.
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
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dict.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

static char tmpdir[] = "/tmp/test_dict.XXXXXX";
static char path_buf[4096];

static const char *tpath(const char *name)
{
    snprintf(path_buf, sizeof(path_buf), "%s/%s", tmpdir, name);
    return path_buf;
}

static void write_file(const char *name, const char *text)
{
    FILE *fp = fopen(tpath(name), "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

/* Run a shell command with MAIL_CONFIG=tmpdir; return its output. */
static char *run(const char *cmd, int *status)
{
    char full[8192];
    char *out = mymalloc(1);
    size_t len = 0;
    char buf[1024];
    size_t n;
    FILE *fp;
    int st;

    snprintf(full, sizeof(full), "cd %s && MAIL_CONFIG=%s %s", tmpdir, tmpdir, cmd);
    fp = popen(full, "r");
    assert_non_null(fp);
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
        out = myrealloc(out, len + n + 1);
        memcpy(out + len, buf, n);
        len += n;
    }
    out[len] = 0;
    st = pclose(fp);
    if (status)
        *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return out;
}

static const char *source_text = "# test table\n"
                                 "Alice@Example.test   alice/\n"
                                 "bob@example.test bob/Maildir/\n"
                                 "\"a b\"@example.test quoted\n"
                                 "@example.test catchall\n"
                                 "multi  first\n"
                                 "  second\n"
                                 "alice@example.test duplicate-ignored\n";

static void check_source_lookups(DICT *d)
{
    const char *v;

    v = dict_get(d, "alice@example.test");
    assert_non_null(v);
    assert_string_equal(v, "alice/");
    v = dict_get(d, "ALICE@EXAMPLE.TEST"); /* FOLD_FIX */
    assert_non_null(v);
    assert_string_equal(v, "alice/");
    v = dict_get(d, "\"a b\"@example.test");
    assert_non_null(v);
    assert_string_equal(v, "quoted");
    v = dict_get(d, "multi");
    assert_non_null(v);
    assert_string_equal(v, "first  second");
    assert_null(dict_get(d, "nobody@example.test"));
    assert_int_equal(d->error, DICT_ERR_NONE);
}

static void test_db_roundtrip(const char *type)
{
    char spec[4200];
    DICT *d;
    const char *k, *v;
    int n = 0, func;

    snprintf(spec, sizeof(spec), "%s:%s/rt_%s", type, tmpdir, type);
    d = dict_open(spec, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX);
    assert_int_equal(d->error, DICT_ERR_NONE);
    assert_int_equal(dict_put(d, "Key1", "value1"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_put(d, "key2", "value 2"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_put(d, "key1", "other"), DICT_STAT_FAIL);
    assert_int_equal(dict_del(d, "key2"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_del(d, "key2"), DICT_STAT_FAIL);
    assert_int_equal(dict_put(d, "key3", "value3"), DICT_STAT_SUCCESS);
    dict_close(d);

    d = dict_open(spec, O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_int_equal(d->error, DICT_ERR_NONE);
    assert_string_equal(dict_get(d, "KEY1"), "value1");
    assert_string_equal(dict_get(d, "key3"), "value3");
    assert_null(dict_get(d, "key2"));
    assert_int_equal(d->error, DICT_ERR_NONE);
    for (func = DICT_SEQ_FIRST; dict_seq(d, func, &k, &v) == 0; func = DICT_SEQ_NEXT)
        n++;
    assert_int_equal(n, 2);
    dict_close(d);
}

static void test_hash_roundtrip(void **state)
{
    test_db_roundtrip("hash");
}

static void test_btree_roundtrip(void **state)
{
    test_db_roundtrip("btree");
}

static void test_missing_db_is_surrogate(void **state)
{
    char spec[4200];
    DICT *d;

    snprintf(spec, sizeof(spec), "hash:%s/does-not-exist", tmpdir);
    d = dict_open(spec, O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_null(dict_get(d, "x"));
    assert_int_equal(d->error, DICT_ERR_CONFIG);
    dict_close(d);
    d = dict_open("nosuchtype:foo", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_null(dict_get(d, "x"));
    assert_int_equal(d->error, DICT_ERR_CONFIG);
    dict_close(d);
}

/* Postfix builds, we read (with -N and -n, hash and btree). */
static void test_postfix_builds_we_read(void **state)
{
    const char *variants[] = {"-N", "-n", ""};
    const char *types[] = {"hash", "btree"};
    char cmd[4400], spec[4200];
    int i, j, status;

    if (access("/usr/sbin/postmap", X_OK) != 0)
        skip();
    write_file("pf", source_text);
    for (i = 0; i < 3; i++) {
        for (j = 0; j < 2; j++) {
            DICT *d;

            snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap %s %s:pf 2>/dev/null", variants[i],
                     types[j]);
            myfree(run(cmd, &status));
            assert_int_equal(status, 0);
            snprintf(spec, sizeof(spec), "%s:%s/pf", types[j], tmpdir);
            d = dict_open(spec, O_RDONLY, DICT_FLAGS_DEFAULT);
            assert_int_equal(d->error, DICT_ERR_NONE);
            check_source_lookups(d);
            dict_close(d);
        }
    }
}

/* We write with dict_put (Postfix conventions); Postfix's postmap reads. */
static void test_we_build_postfix_reads(void **state)
{
    char spec[4200];
    char *out;
    int status;
    DICT *d;

    if (access("/usr/sbin/postmap", X_OK) != 0)
        skip();
    snprintf(spec, sizeof(spec), "hash:%s/ours", tmpdir);
    d = dict_open(spec, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX);
    assert_int_equal(dict_put(d, "User@Example.test", "mbox/user"), DICT_STAT_SUCCESS);
    assert_int_equal(dict_put(d, "\"x y\"@example.test", "spaced"), DICT_STAT_SUCCESS);
    dict_close(d);
    out = run("/usr/sbin/postmap -q user@example.test hash:ours", &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "mbox/user\n");
    myfree(out);
    out = run("/usr/sbin/postmap -q '\"x y\"@example.test' hash:ours", &status);
    assert_int_equal(status, 0);
    assert_string_equal(out, "spaced\n");
    myfree(out);
    out = run("/usr/sbin/postmap -q nobody hash:ours", &status);
    assert_int_equal(status, 1);
    assert_string_equal(out, "");
    myfree(out);
}

/* Our postmap binary against Postfix's: same answers and same dump. */
static void test_postmap_binaries_agree(void **state)
{
    const char *ours = getenv("POSTMAP_BIN");
    char cmd[8400];
    const char *keys[] = {"alice@example.test",
                          "ALICE@example.test",
                          "bob@example.test",
                          "\"a b\"@example.test",
                          "@example.test",
                          "multi",
                          "nothere"};
    int types, i;

    if (ours == NULL)
        ours = "/work/main/build-dict/bin/postmap";
    if (access("/usr/sbin/postmap", X_OK) != 0 || access(ours, X_OK) != 0)
        skip();
    write_file("a", source_text);
    write_file("b", source_text);
    for (types = 0; types < 2; types++) {
        const char *type = types ? "btree" : "hash";
        char *dump_a, *dump_b;
        int st_a, st_b;

        snprintf(cmd, sizeof(cmd), "%s %s:a 2>/dev/null", ours, type);
        myfree(run(cmd, &st_a));
        assert_int_equal(st_a, 0);
        snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap %s:b 2>/dev/null", type);
        myfree(run(cmd, &st_b));
        assert_int_equal(st_b, 0);
        for (i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++) {
            char *qa, *qb;

            /* Postfix reads ours; ours reads Postfix's. */
            snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap -q '%s' %s:a", keys[i], type);
            qa = run(cmd, &st_a);
            snprintf(cmd, sizeof(cmd), "%s -q '%s' %s:b", ours, keys[i], type);
            qb = run(cmd, &st_b);
            assert_int_equal(st_a, st_b);
            assert_string_equal(qa, qb);
            myfree(qa);
            myfree(qb);
        }
        snprintf(cmd, sizeof(cmd), "/usr/sbin/postmap -s %s:a | sort", type);
        dump_a = run(cmd, &st_a);
        snprintf(cmd, sizeof(cmd), "%s -s %s:b | sort", ours, type);
        dump_b = run(cmd, &st_b);
        assert_true(strlen(dump_a) > 0);
        assert_string_equal(dump_a, dump_b);
        myfree(dump_a);
        myfree(dump_b);
    }
}

static void test_static_inline_texthash(void **state)
{
    char spec[4200];
    DICT *d;

    d = dict_open("static:5000", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_string_equal(dict_get(d, "anything"), "5000");
    dict_close(d);
    d = dict_open("static:{ some text }", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_string_equal(dict_get(d, "x"), "some text");
    dict_close(d);

    d = dict_open("inline:{ A=b, { c = d e, f }, x=y }", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_int_equal(d->error, DICT_ERR_NONE);
    assert_string_equal(dict_get(d, "a"), "b");
    assert_string_equal(dict_get(d, "c"), "d e, f");
    assert_string_equal(dict_get(d, "x"), "y");
    assert_null(dict_get(d, "d"));
    assert_int_equal(d->error, DICT_ERR_NONE);
    dict_close(d);
    d = dict_open("inline:{ novalue }", O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_null(dict_get(d, "novalue"));
    assert_int_equal(d->error, DICT_ERR_CONFIG);
    dict_close(d);

    write_file("th", source_text);
    snprintf(spec, sizeof(spec), "texthash:%s/th", tmpdir);
    d = dict_open(spec, O_RDONLY, DICT_FLAGS_DEFAULT | DICT_FLAG_DUP_WARN);
    check_source_lookups(d);
    dict_close(d);
}

/*
 * test_inline_semantics - inline: as Postfix 3.7's postmap -q answers
 * (observed with /usr/sbin/postmap): value text with blanks inside a
 * {...} element, split_qnameval() keys, last duplicate wins, and the
 * syntax errors (surrogate tables failing with DICT_ERR_CONFIG).
 */
static void test_inline_semantics(void **state)
{
    static const struct {
        const char *spec;
        const char *key;
        const char *want; /* NULL: not found; "!": DICT_ERR_CONFIG */
    } cases[] = {
        {"inline:{ { key = value with spaces } }", "key", "value with spaces"},
        {"inline:{ {key=value with spaces}, a=b }", "key", "value with spaces"},
        {"inline:{ {key=value with spaces}, a=b }", "a", "b"},
        {"inline:{ a={b c} }", "a", "{b c}"},
        {"inline:{ {a=b c=d} }", "a", "b c=d"},
        {"inline:{ {a= b c } }", "a", "b c"},
        {"inline:{ {=b} }", "", "b"},
        {"inline:{ {{a}=b} }", "{a}", "b"},
        {"inline:{ {\"a b\"=c} }", "\"a b\"", "c"},
        {"inline:{ a=b, a=c }", "a", "c"},
        {"inline:{ A=b }", "a", "b"},
        {"inline:{a=b}", "a", "b"},
        {"inline:{ {a=b},{c=d} }", "c", "d"},
        {"inline:{ bad.test=error:5.1.1 nobody here }", "bad.test", "!"},
        {"inline:{ a=b c, d=e }", "d", "!"},
        {"inline:{ {a b=c} }", "a b", "!"},
        {"inline:{ {a=b}x }", "a", "!"},
        {"inline:{ a=b } ", "a", "!"},
        {"inline:{}", "a", "!"},
        {"inline:{ }", "a", "!"},
        {"inline:{ {a=b }", "a", "!"},
        {"inline:{ {\"a=c} }", "a", "!"},
    };
    size_t i;
    DICT *d;
    const char *got;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        d = dict_open(cases[i].spec, O_RDONLY, DICT_FLAGS_DEFAULT);
        got = dict_get(d, cases[i].key);
        if (strcmp(cases[i].want, "!") == 0) {
            if (got != NULL || d->error != DICT_ERR_CONFIG)
                fail_msg("%s: expected a configuration error, got %s", cases[i].spec,
                         got ? got : "(not found)");
        } else if (got == NULL || strcmp(got, cases[i].want) != 0) {
            fail_msg("%s: key \"%s\": expected \"%s\", got %s", cases[i].spec, cases[i].key,
                     cases[i].want, got ? got : "(not found)");
        }
        dict_close(d);
    }
}

static void test_maps_error_propagation(void **state)
{
    MAPS *maps;

    maps = maps_create("test_maps", "fail:broken, inline:{ k=v }", DICT_FLAGS_DEFAULT);
    assert_int_equal(maps->count, 2);
    assert_null(maps_find(maps, "k", 0));
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    maps_free(maps);

    maps = maps_create("test_maps", "inline:{ k=v }, fail:broken", DICT_FLAGS_DEFAULT);
    assert_string_equal(maps_find(maps, "K", 0), "v");
    assert_int_equal(maps->error, DICT_ERR_NONE);
    assert_null(maps_find(maps, "other", 0));
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    maps_free(maps);

    maps = maps_create("test_maps", "", DICT_FLAGS_DEFAULT);
    assert_null(maps_find(maps, "k", 0));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);
}

static void test_mail_addr_find_order(void **state)
{
    MAPS *maps;
    char *ext;
    const char *v;

    /* recipient_delimiter = +- comes from main.cf (setup). */
    maps = maps_create("virtual_mailbox_maps",
                       "inline:{ user+ext@d.test=full, user@d.test=base, @d.test=domain,"
                       " x@e.test=x }, inline:{ y-z@e.test=second-table, @e.test=edom }",
                       DICT_FLAGS_DEFAULT);
    v = mail_addr_find(maps, "User+Ext@d.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "full");
    assert_null(ext);
    v = mail_addr_find(maps, "user+other@d.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "base");
    assert_non_null(ext);
    assert_string_equal(ext, "+other");
    myfree(ext);
    v = mail_addr_find(maps, "user-other@d.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "base");
    assert_string_equal(ext, "-other");
    myfree(ext);
    v = mail_addr_find(maps, "someone@d.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "domain");
    assert_null(ext);
    /* key order beats table order: x-ext@e.test finds x@e.test in table 1
     * before @e.test in table 2; y-z@e.test whole key in table 2 first. */
    v = mail_addr_find(maps, "x-ext@e.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "x");
    assert_string_equal(ext, "-ext");
    myfree(ext);
    v = mail_addr_find(maps, "y-z@e.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "second-table");
    /* postmaster is never split */
    v = mail_addr_find(maps, "postmaster@d.test", &ext, MAIL_ADDR_MAILBOX);
    assert_string_equal(v, "domain");
    assert_null(mail_addr_find(maps, "user@other.test", &ext, MAIL_ADDR_MAILBOX));
    assert_int_equal(maps->error, DICT_ERR_NONE);
    maps_free(maps);

    /* An error in the middle of the key sequence stops the search. */
    maps = maps_create("m", "inline:{ @d.test=domain }, fail:x", DICT_FLAGS_DEFAULT);
    assert_null(mail_addr_find(maps, "user+e@d.test", &ext, MAIL_ADDR_MAILBOX));
    assert_int_equal(maps->error, DICT_ERR_RETRY);
    maps_free(maps);
}

static void test_changed_name(void **state)
{
    char spec[4200], cmd[4400];
    const char *ours = "/work/main/build-dict/bin/postmap";
    DICT *d;
    int status;
    struct stat st;

    write_file("chg", "k v\n");
    snprintf(spec, sizeof(spec), "hash:%s/chg", tmpdir);
    d = dict_open(spec, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_WARN);
    assert_int_equal(dict_put(d, "k", "v"), DICT_STAT_SUCCESS);
    dict_close(d);
    d = dict_open(spec, O_RDONLY, DICT_FLAGS_DEFAULT);
    assert_null(dict_changed_name());
    assert_string_equal(dict_get(d, "k"), "v");
    /* Rewrite the table: a different mtime is a change. */
    assert_int_equal(stat(tpath("chg.db"), &st), 0);
    sleep(1);
    if (access(ours, X_OK) == 0) {
        snprintf(cmd, sizeof(cmd), "%s hash:chg", ours);
        myfree(run(cmd, &status));
        assert_int_equal(status, 0);
    } else {
        DICT *w = dict_open(spec, O_RDWR | O_CREAT | O_TRUNC, DICT_FLAG_DUP_WARN);

        dict_put(w, "k", "v2");
        dict_close(w);
    }
    assert_non_null(dict_changed_name());
    assert_string_equal(dict_changed_name(), spec);
    dict_close(d);
    assert_null(dict_changed_name());
}

static int setup(void **state)
{
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    write_file("main.cf", "recipient_delimiter = +-\n");
    cfg_init(tmpdir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[4200];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_roundtrip),
        cmocka_unit_test(test_btree_roundtrip),
        cmocka_unit_test(test_missing_db_is_surrogate),
        cmocka_unit_test(test_postfix_builds_we_read),
        cmocka_unit_test(test_we_build_postfix_reads),
        cmocka_unit_test(test_postmap_binaries_agree),
        cmocka_unit_test(test_static_inline_texthash),
        cmocka_unit_test(test_inline_semantics),
        cmocka_unit_test(test_maps_error_propagation),
        cmocka_unit_test(test_mail_addr_find_order),
        cmocka_unit_test(test_changed_name),
    };

    msg_init("test_dict", MSG_STDERR);
    return cmocka_run_group_tests(tests, setup, teardown);
}
