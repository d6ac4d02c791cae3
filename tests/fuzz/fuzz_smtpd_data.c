/*
 * NAME
 *	fuzz_smtpd_data - libFuzzer target for the DATA state machine
 *	(smtpd/smtpd_data.c)
 *
 * DESCRIPTION
 *	The input is what a client sends after "354": it is written to a
 *	memfd and cut into pieces with stream_get_line() exactly as smtpd.c
 *	does, with a line limit taken from the first byte (small limits force
 *	partial pieces, CR held back across pieces). Each piece is fed to
 *	smtpd_data_feed() until it reports end-of-data.
 *	Invariants (RFC 5321 sections 4.1.1.4 and 4.5.2; reference 9.7, trap
 *	25, SMTP smuggling):
 *	- end-of-data is reported only if the input so far ends in
 *	  "\r\n.\r\n", or is ".\r\n" at the very start (the DATA line's CRLF
 *	  precedes it);
 *	- if the input contains "\r\n.\r\n" (or starts with ".\r\n"), end-of-
 *	  data is reported at the FIRST such marker, so nothing after it is
 *	  taken as content of this message, and no input splits into two
 *	  messages unless it contains that marker;
 *	- the records emitted, joined with "\n" for each NORM record, equal the
 *	  input before the marker with CR LF and bare LF both turned into "\n"
 *	  ... modulo dot-unstuffing: checked against a simple reference model;
 *	- d->bytes equals the sum of record lengths plus one per NORM record.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant (with FUZZ_VERBOSE
 *	set, a description on stderr first).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "record.h"
#include "../../smtpd/smtpd.h"
#include "stream.h"
#include "vstr.h"

typedef struct OUT {
    VSTR *text; /* records with "\n" after each NORM */
    long bytes;
} OUT;

static void out_fn(void *ctx, int type, const char *buf, size_t len)
{
    OUT *o = ctx;

    if (type != REC_TYPE_NORM && type != REC_TYPE_CONT)
        abort();
    vstr_addmem(o->text, buf, len);
    o->bytes += (long)len;
    if (type == REC_TYPE_NORM) {
        vstr_addch(o->text, '\n');
        o->bytes++;
    }
}

static void fail(const char *why)
{
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_smtpd_data: %s\n", why);
    abort();
}

/* The first end-of-data marker: offset just past it, or 0 if none. */
static size_t find_marker(const uint8_t *data, size_t size)
{
    size_t i;

    if (size >= 3 && memcmp(data, ".\r\n", 3) == 0)
        return 3;
    for (i = 0; i + 5 <= size; i++)
        if (memcmp(data + i, "\r\n.\r\n", 5) == 0)
            return i + 5;
    return 0;
}

/* Reference model: the stored text for content data[0..len), lines split
 * at "\n" (a CR before it goes), a leading "." of each line removed. */
static void model(const uint8_t *data, size_t len, VSTR *out)
{
    size_t start = 0;
    size_t i;
    size_t end;

    for (i = 0; i <= len; i++) {
        if (i < len && data[i] != '\n')
            continue;
        if (i == len && start == len)
            break;
        end = i;
        if (i < len && end > start && data[end - 1] == '\r')
            end--;
        if (end > start && data[start] == '.')
            start++;
        vstr_addmem(out, data + start, end - start);
        if (i < len)
            vstr_addch(out, '\n');
        start = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[] = {2048, 1, 2, 3, 4, 5, 7, 64};
    SMTPD_DATA d;
    OUT o;
    int fd;
    STREAM *st;
    VSTR *line;
    VSTR *expect;
    size_t limit;
    size_t consumed = 0;
    size_t marker;
    int ended = 0;
    int ch;

    if (size < 1)
        return 0;
    limit = limits[data[0] & 7];
    line = vstr_alloc(100);
    expect = vstr_alloc(100);
    data++;
    size--;
    fd = fuzz_memfd(data, size);
    st = stream_fdopen(fd, "fuzz-data");
    o.text = vstr_alloc(100);
    o.bytes = 0;
    smtpd_data_init(&d, out_fn, &o);
    while ((ch = stream_get_line(st, line, limit)) != STREAM_EOF) {
        consumed += VSTR_LEN(line);
        if (smtpd_data_feed(&d, VSTR_STR(line), VSTR_LEN(line))) {
            ended = 1;
            break;
        }
    }
    if (d.bytes != o.bytes)
        fail("byte count differs from the records");
    marker = find_marker(data, size);
    if (ended) {
        /* Ended exactly at the first marker. */
        if (marker == 0)
            fail("end of data without CRLF.CRLF");
        if (consumed != marker)
            fail("end of data not at the first CRLF.CRLF");
        model(data, marker - 3, expect); /* content up to the CRLF before "." */
    } else {
        /* Input ran out: only legal if no marker. */
        if (marker != 0 && limit >= 3)
            fail("CRLF.CRLF not recognised as end of data");
        if (marker == 0)
            model(data, size, expect);
    }
    /* A CR held back at EOF (lost connection) is not stored. */
    if (!ended && d.pending_cr)
        vstr_addch(o.text, '\r');
    if ((ended || marker == 0) &&
        (VSTR_LEN(expect) != VSTR_LEN(o.text) ||
         memcmp(VSTR_STR(expect), VSTR_STR(o.text), VSTR_LEN(expect)) != 0))
        fail("stored content differs from the model");
    vstr_free(line);
    vstr_free(expect);
    vstr_free(o.text);
    stream_close(st);
    return 0;
}
