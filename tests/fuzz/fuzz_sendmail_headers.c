/*
 * NAME
 *	fuzz_sendmail_headers - libFuzzer target for "sendmail -t" header
 *	extraction (bin/sendmail.c: hdr_line, hdr_flush, parse_addr_list)
 *
 * DESCRIPTION
 *	bin/sendmail.c is compiled into this program with its main() renamed,
 *	so its static parsers are reachable. The input is a message on stdin:
 *	it is cut with stream_get_line() (line limit from the first byte) and
 *	fed to hdr_line() as enqueue() does, then hdr_flush(). Invariants: every
 *	extracted recipient is non-empty and has no leading or trailing blank.
 *	parse_addr_list() also runs directly on the whole input.
 *
 * DIAGNOSTICS
 *	Sanitizer reports, abort() on a broken invariant.
 */
#define main sendmail_main
#include "../../bin/sendmail.c"
#undef main

#include <stdint.h>

#include "fuzz_common.h"

static void check_list(const ARGV *a)
{
    int i;
    const char *s;
    size_t len;

    for (i = 0; i < a->argc; i++) {
        s = a->argv[i];
        len = strlen(s);
        if (len == 0 || s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t limits[] = {2048, 1, 3, 16};
    HDR_STATE hs;
    STREAM *in;
    VSTR *buf;
    ARGV *direct;
    char *text;
    size_t limit;
    int continued = 0;
    int ch;
    int fd;

    if (size < 1)
        return 0;
    limit = limits[data[0] & 3];
    buf = vstr_alloc(100);
    direct = argv_alloc(4);
    data++;
    size--;

    memset(&hs, 0, sizeof(hs));
    hs.in_header = 1;
    hs.cur = vstr_alloc(256);
    hs.rcpt = argv_alloc(4);
    hs.rr_rcpt = argv_alloc(4);
    fd = fuzz_memfd(data, size);
    in = stream_fdopen(fd, "stdin");
    while ((ch = stream_get_line(in, buf, limit)) != STREAM_EOF) {
        int complete = (ch == '\n');

        if (complete) {
            vstr_truncate(buf, VSTR_LEN(buf) - 1);
            if (VSTR_LEN(buf) > 0 && VSTR_STR(buf)[VSTR_LEN(buf) - 1] == '\r')
                vstr_truncate(buf, VSTR_LEN(buf) - 1);
        }
        hdr_line(&hs, VSTR_STR(buf), VSTR_LEN(buf), continued);
        continued = !complete;
    }
    hdr_flush(&hs);
    check_list(hs.rcpt);
    check_list(hs.rr_rcpt);

    text = mymalloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    parse_addr_list(text, direct);
    check_list(direct);

    myfree(text);
    argv_free(direct);
    argv_free(hs.rcpt);
    argv_free(hs.rr_rcpt);
    vstr_free(hs.cur);
    vstr_free(buf);
    stream_close(in);
    return 0;
}
