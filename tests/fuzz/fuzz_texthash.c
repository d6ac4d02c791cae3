/*
 * NAME
 *	fuzz_texthash - libFuzzer target for the postmap source parser and
 *	texthash: tables (lib/dict_texthash.c)
 *
 * DESCRIPTION
 *	The input is written to a temporary file and opened as
 *	"texthash:FILE" (postmap(1) source format, reference 7.4). Every
 *	entry that dict_seq() lists must be found again by dict_get() with a
 *	non-NULL value, and keys are unique (duplicates: first one kept). A
 *	msg_fatal is caught (not a finding: Postfix's postmap also stops on
 *	fatal errors).
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

#include "dict.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *dir = fuzz_tmpfile(data, size, "table");
    char spec[4096];
    DICT *volatile d = NULL;
    const char *key;
    const char *value;
    const char *found;
    int func;
    int lowfd;
    int n = 0;

    snprintf(spec, sizeof(spec), "texthash:%s/table", dir);
    if ((lowfd = dup(0)) < 0)
        abort();
    close(lowfd);
    if (FUZZ_TRY(d = dict_open(spec, O_RDONLY, DICT_FLAG_DUP_WARN))) {
        fuzz_close_fds_from(lowfd);
        return 0;
    }
    for (func = DICT_SEQ_FIRST; dict_seq(d, func, &key, &value) == 0; func = DICT_SEQ_NEXT) {
        if (key == NULL || value == NULL || ++n > (int)size + 1)
            abort();
        if ((found = dict_get(d, key)) == NULL)
            abort();
    }
    dict_close(d);
    return 0;
}
