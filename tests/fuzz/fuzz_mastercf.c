/*
 * NAME
 *	fuzz_mastercf - libFuzzer target for mastercf_load() (lib/mastercf.c)
 *
 * DESCRIPTION
 *	The input is written to a temporary master.cf and parsed. A fatal
 *	rejection ("FILE, line N: ...", master(5) says a bad master.cf stops
 *	the master) is not a finding: fuzz_msg.c turns msg_fatal into a
 *	longjmp back here, and the descriptors the parser left open are
 *	closed. Invariants on success: every entry has 8 columns' worth of
 *	data, a known type, y/n flags that are 0 or 1, wakeup >= 0, maxproc
 *	>= -1, a non-empty command, and every override contains '='.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"

/* A msg_fatal longjmp abandons what the parser allocated, by design: no
 * leak checking in this target. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#include "mastercf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"inet", "unix", "unix-dgram", "fifo", "pass"};
    char *dir = fuzz_tmpfile(data, size, "master.cf");
    char path[4096];
    MASTER_CF *volatile cf = NULL;
    int lowfd;
    int i;
    int j;
    int ok;

    snprintf(path, sizeof(path), "%s/master.cf", dir);
    if ((lowfd = dup(0)) < 0)
        abort();
    close(lowfd);
    if (FUZZ_TRY(cf = mastercf_load(path))) {
        fuzz_close_fds_from(lowfd);
        return 0;
    }
    for (i = 0; i < cf->count; i++) {
        MASTER_ENT *e = cf->ents[i];
        ok = 0;
        for (j = 0; j < 5; j++)
            if (strcmp(e->type, types[j]) == 0)
                ok = 1;
        if (!ok || e->service == NULL || e->command == NULL || e->command[0] == 0)
            abort();
        if ((e->private_ & ~1) || (e->unpriv & ~1) || (e->chroot & ~1))
            abort();
        if (e->wakeup < 0 || e->maxproc < -1)
            abort();
        if (strcmp(e->type, "inet") == 0 && e->private_)
            abort();
        for (j = 0; j < 7; j++)
            if (e->raw[j] == NULL)
                abort();
        for (j = 0; j < e->overrides->argc; j++)
            if (strchr(e->overrides->argv[j], '=') == NULL)
                abort();
        for (j = i + 1; j < cf->count; j++)
            if (strcmp(e->service, cf->ents[j]->service) == 0 &&
                strcmp(e->type, cf->ents[j]->type) == 0)
                abort(); /* duplicates must be merged */
    }
    mastercf_free(cf);
    return 0;
}
