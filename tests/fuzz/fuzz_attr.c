/*
 * NAME
 *	fuzz_attr - libFuzzer target for attr_scan() (lib/attr.c)
 *
 * DESCRIPTION
 *	The input bytes are what a hostile peer sends on a daemon's IPC
 *	socket (Postfix attr0 format, reference 4.2): they are written to a
 *	pipe whose write end is then closed, and attr_scan() reads lists from
 *	it until it fails. The first byte picks the size limit (small limits
 *	exercise "string length exceeds limit"). Invariants: a list read
 *	successfully has at most 1024 attributes, no name or value longer than
 *	the limit, and no empty name; attr_get, attr_get_long and
 *	attr_get_data work on every name.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "fuzz_common.h"
#include "stream.h"
#include "vstr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[] = {ATTR_LIMIT_DEFAULT, 1, 8, 100};
    int pfd[2];
    STREAM *st;
    ATTR_LIST *list;
    VSTR *out;
    size_t limit;
    size_t done = 0;
    ssize_t n;
    long num;
    int i;
    int lists;

    if (size < 1 || size > 60000) /* must fit in the pipe buffer */
        return 0;
    limit = limits[data[0] & 3];
    out = vstr_alloc(100);
    data++;
    size--;
    if (pipe(pfd) < 0)
        abort();
    while (done < size) {
        if ((n = write(pfd[1], data + done, size - done)) <= 0)
            abort();
        done += (size_t)n;
    }
    close(pfd[1]);
    st = stream_fdopen(pfd[0], "fuzz-attr");
    stream_set_timeout(st, 5);
    list = attr_list_alloc();
    for (lists = 0; lists <= (int)size; lists++) {
        if (attr_scan(st, list, limit) < 0)
            break;
        if (list->count > 1024 || list->count < 0)
            abort();
        for (i = 0; i < list->count; i++) {
            if (list->names[i] == NULL || list->values[i] == NULL || list->names[i][0] == 0)
                abort();
            if (strlen(list->names[i]) > limit || strlen(list->values[i]) > limit)
                abort();
            if (attr_get(list, list->names[i]) == NULL)
                abort();
            (void)attr_get_long(list, list->names[i], &num);
            (void)attr_get_data(list, list->names[i], out);
            (void)attr_expect(list, list->names[i], list->values[i]);
        }
    }
    if (lists > (int)size)
        abort(); /* more lists than bytes: attr_scan did not consume input */
    attr_list_free(list);
    vstr_free(out);
    stream_close(st);
    return 0;
}
