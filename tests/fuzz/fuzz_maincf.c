/*
 * NAME
 *	fuzz_maincf - libFuzzer target for main.cf parsing and $name
 *	expansion (lib/config.c)
 *
 * DESCRIPTION
 *	The input is written to a temporary main.cf; cfg_init() reads it and
 *	every parameter it set is expanded with cfg_str(), plus cfg_expand()
 *	of each raw value. postconf(5) syntax errors and recursion are fatal
 *	in Postfix too: fuzz_msg.c turns msg_fatal into a longjmp back here
 *	(not a finding). Invariants: cfg_raw() of a set name is not NULL and
 *	cfg_is_set() is true.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "fuzz_common.h"

/* A msg_fatal longjmp abandons what the parser allocated, by design: no
 * leak checking in this target. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#include "mymalloc.h"

static void collect(const char *name, const char *value, void *ctx)
{
    argv_add((ARGV *)ctx, name, (char *)0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *dir = fuzz_tmpfile(data, size, "main.cf");
    ARGV *volatile names;
    volatile int i;
    char *volatile exp;
    int lowfd;

    if ((lowfd = dup(0)) < 0)
        abort();
    close(lowfd);
    if (FUZZ_TRY(cfg_init(dir))) {
        fuzz_close_fds_from(lowfd);
        return 0;
    }
    names = argv_alloc(10);
    cfg_foreach_set(collect, names);
    for (i = 0; i < names->argc; i++) {
        const char *name = names->argv[i];
        if (cfg_raw(name) == NULL || !cfg_is_set(name))
            abort();
        (void)FUZZ_TRY(cfg_str(name));
        exp = NULL;
        (void)FUZZ_TRY(exp = cfg_expand(cfg_raw(name)));
        myfree(exp);
        (void)cfg_is_used(name);
    }
    argv_free(names);
    return 0;
}
