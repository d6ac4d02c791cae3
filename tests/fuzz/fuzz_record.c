/*
 * NAME
 *	fuzz_record - libFuzzer target for lib/record.c and lib/qfile.c
 *
 * DESCRIPTION
 *	The input is a queue file (or a postdrop stream): it is put in a
 *	memfd and read three ways: rec_get_raw() until EOF/error, rec_get()
 *	(pointer records followed, padding skipped) until EOF/error, and
 *	qfile_read(). Invariants checked: every record type returned is a byte
 *	value or REC_TYPE_EOF/REC_TYPE_ERROR; qfile_read() returns 0 or -1 and
 *	on -1 names the problem in qf->error; on success it found a sender and
 *	every recipient offset is inside the file and points at an R, D or '/'
 *	byte. Reference section 3 (queue file records).
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "qfile.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

/* rec_get() may legitimately return each record once per pointer cycle,
 * for up to 10000 backward jumps (Postfix's limit): the bound scales with
 * the input size. */
#define FUZZ_MAX_RECORDS(size) (10002 * ((size) / 2 + 2))

static void check_type(int type)
{
    if (type != REC_TYPE_EOF && type != REC_TYPE_ERROR && (type < 0 || type > 255))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = fuzz_memfd(data, size);
    STREAM *st = stream_fdopen(fd, "fuzz-queue-file");
    VSTR *buf = vstr_alloc(100);
    QFILE *qf;
    int type;
    size_t n;
    int i;

    /* Raw records. */
    for (n = 0; n <= size; n++) {
        type = rec_get_raw(st, buf, (n & 1) ? 0 : 4096);
        check_type(type);
        if (type < 0)
            break;
    }
    /* Queue-file reader with pointers. */
    if (stream_seek(st, 0, SEEK_SET) != 0)
        abort();
    for (n = 0; n < FUZZ_MAX_RECORDS(size); n++) {
        type = rec_get(st, buf, 0);
        check_type(type);
        if (type < 0)
            break;
    }
    if (n == FUZZ_MAX_RECORDS(size))
        abort(); /* rec_get did not terminate: pointer loop not caught */
    /* The envelope reader. */
    if (stream_seek(st, 0, SEEK_SET) != 0)
        abort();
    qf = qfile_alloc();
    if (qfile_read(st, qf, QFILE_FLAG_NONE) == 0) {
        if (qf->sender == NULL || qf->error[0] != 0)
            abort();
        for (i = 0; i < qf->nrcpt; i++) {
            off_t off = qf->rcpts[i].offset;
            if (off < 0 || (size_t)off >= size)
                abort();
            if (data[off] != 'R' && data[off] != 'D' && data[off] != '/')
                abort();
            if (qf->rcpts[i].address == NULL)
                abort();
            if ((data[off] != 'R') != (qf->rcpts[i].done != 0))
                abort();
        }
        (void)qfile_attr(qf, "rewrite_context");
    } else if (qf->error[0] == 0) {
        abort();
    }
    qfile_free(qf);
    vstr_free(buf);
    stream_close(st);
    return 0;
}
