/*
 * test_cleanup_addr - unit tests for cleanup/cleanup_addr.c: address
 * qualification, canonical (1:1) mapping and the recursive 1:n virtual
 * alias expansion (Postfix cleanup_map1n.c; reference 7.2) against inline:
 * tables: fan-out, recursion, self-mapping, loops, duplicates, "@domain"
 * results, extension propagation, expansion limits and table errors.
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

#include "config.h"
#include "../../cleanup/cleanup_addr.c"

static CLEANUP_ADDR_CFG cfg = {"example.test", 1000, 1000, 1, 1};

static int setup(void **unused)
{
    char dir[] = "/tmp/test_cleanup_addrXXXXXX";
    char path[256];
    FILE *fp;

    if (mkdtemp(dir) == 0)
        return -1;
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    if ((fp = fopen(path, "w")) == 0)
        return -1;
    fprintf(fp, "myorigin = example.test\nmydestination = example.test\n"
                "recipient_delimiter = +\n");
    fclose(fp);
    cfg_init(dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

/* expand - run cleanup_map1n and join the result with ','. */
static int expand(MAPS *maps, const char *addr, VSTR *out)
{
    ARGV *list = 0;
    int st = cleanup_map1n(maps, addr, &cfg, &list);
    int i;

    vstr_reset(out);
    if (st != CLEANUP_MAP_OK) {
        assert_null(list);
        return st;
    }
    for (i = 0; i < list->argc; i++) {
        if (i)
            vstr_addch(out, ',');
        vstr_addstr(out, list->argv[i]);
    }
    argv_free(list);
    return st;
}

static void test_qualify(void **unused)
{
    VSTR *v = vstr_alloc(10);

    cleanup_qualify("alice", "example.test", v);
    assert_string_equal(v->buf, "alice@example.test");
    cleanup_qualify("alice@x.test", "example.test", v);
    assert_string_equal(v->buf, "alice@x.test");
    cleanup_qualify("", "example.test", v);
    assert_string_equal(v->buf, "");
    vstr_free(v);
}

static void test_map1n(void **unused)
{
    MAPS *maps = maps_create("virtual_alias_maps",
                             "inline:{ {list@example.test=a@example.test, b@example.test}, "
                             "a@example.test=c@example.test, "
                             "{self@example.test=self@example.test x@example.test}, "
                             "loop1@example.test=loop2@example.test, "
                             "loop2@example.test=loop1@example.test, bare@example.test=joe, "
                             "@other.test=@example.test, "
                             "{dup@example.test=b@example.test b@example.test list@example.test} }",
                             DICT_FLAGS_DEFAULT);
    VSTR *v = vstr_alloc(10);

    assert_non_null(maps);
    /* Not found: the address itself. */
    assert_int_equal(expand(maps, "nobody@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "nobody@example.test");
    /* 1:n with recursion: a -> c. */
    assert_int_equal(expand(maps, "list@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "c@example.test,b@example.test");
    /* Maps to itself plus another: both kept, no endless loop. */
    assert_int_equal(expand(maps, "self@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "self@example.test,x@example.test");
    /* A loop terminates. */
    assert_int_equal(expand(maps, "loop1@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "loop1@example.test");
    /* A result without a domain gets @myorigin. */
    assert_int_equal(expand(maps, "bare@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "joe@example.test");
    /* "@domain": same user, other domain. */
    assert_int_equal(expand(maps, "zed@other.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "zed@example.test");
    /* Duplicates removed. */
    assert_int_equal(expand(maps, "dup@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "b@example.test,c@example.test");
    /* Extension propagation: a+ext -> c+ext. */
    assert_int_equal(expand(maps, "a+ext@example.test", v), CLEANUP_MAP_OK);
    assert_string_equal(v->buf, "c+ext@example.test");
    vstr_free(v);
}

static void test_limits(void **unused)
{
    MAPS *maps = maps_create("virtual_alias_maps",
                             "inline:{ {big@example.test=1@x,2@x,3@x,4@x,5@x}, "
                             "d1@example.test=d2@example.test, d2@example.test=d3@example.test, "
                             "d3@example.test=d4@example.test }",
                             DICT_FLAGS_DEFAULT);
    CLEANUP_ADDR_CFG small = cfg;
    ARGV *list = 0;

    small.expansion_limit = 3;
    assert_int_equal(cleanup_map1n(maps, "big@example.test", &small, &list), CLEANUP_MAP_LIMIT);
    assert_null(list);
    small.expansion_limit = 1000;
    small.recursion_limit = 2;
    assert_int_equal(cleanup_map1n(maps, "d1@example.test", &small, &list), CLEANUP_MAP_LIMIT);
    small.recursion_limit = 4; /* three lookups plus the final miss */
    assert_int_equal(cleanup_map1n(maps, "d1@example.test", &small, &list), CLEANUP_MAP_OK);
    assert_int_equal(list->argc, 1);
    assert_string_equal(list->argv[0], "d4@example.test");
    argv_free(list);
}

static void test_error(void **unused)
{
    MAPS *maps = maps_create("virtual_alias_maps", "fail:broken", DICT_FLAGS_DEFAULT);
    ARGV *list = 0;
    VSTR *v = vstr_alloc(10);

    assert_int_equal(cleanup_map1n(maps, "a@example.test", &cfg, &list), CLEANUP_MAP_ERROR);
    assert_null(list);
    assert_int_equal(cleanup_map11(maps, "a@example.test", &cfg, 1, v), CLEANUP_MAP_ERROR);
    vstr_free(v);
}

static void test_map11(void **unused)
{
    MAPS *maps = maps_create("canonical_maps",
                             "inline:{ joe@example.test=Joe.User@example.test, "
                             "@old.test=@new.test }",
                             DICT_FLAGS_DEFAULT);
    VSTR *v = vstr_alloc(10);

    assert_int_equal(cleanup_map11(maps, "joe@example.test", &cfg, 1, v), 1);
    assert_string_equal(v->buf, "Joe.User@example.test");
    assert_int_equal(cleanup_map11(maps, "joe+x@example.test", &cfg, 1, v), 1);
    assert_string_equal(v->buf, "Joe.User+x@example.test");
    assert_int_equal(cleanup_map11(maps, "amy@old.test", &cfg, 1, v), 1);
    assert_string_equal(v->buf, "amy@new.test");
    assert_int_equal(cleanup_map11(maps, "amy@example.test", &cfg, 1, v), 0);
    assert_string_equal(v->buf, "amy@example.test");
    vstr_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qualify), cmocka_unit_test(test_map1n), cmocka_unit_test(test_limits),
        cmocka_unit_test(test_error),   cmocka_unit_test(test_map11),
    };
    return cmocka_run_group_tests(tests, setup, 0);
}
