/*
 * NAME
 *	smtpd_data - the SMTP DATA content state machine
 *
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 * DESCRIPTION
 *	Turns the DATA byte stream, presented as the pieces that
 *	stream_get_line() returns (each ends in '\n', or is a partial line cut
 *	at the line length limit or at EOF), into content records:
 *	REC_TYPE_NORM for a line end, REC_TYPE_CONT for a piece of a longer
 *	line (Postfix splits lines at line_length_limit into L records,
 *	reference 3.6).
 *
 *	End of data is ONLY <CR><LF>.<CR><LF> (RFC 5321 section 4.1.1.4; the
 *	SMTP smuggling fix, reference 9.7 and trap 25, with
 *	smtpd_forbid_bare_newline = normalize semantics): a "." line that
 *	ends in a bare LF, or that follows a line ending in a bare LF, is an
 *	ordinary line. A bare LF is still a line end for storage. Lines are
 *	dot-unstuffed (RFC 5321 section 4.5.2): a leading "." at the start of a
 *	line is removed. A "\r" at the end of a partial piece is held back so
 *	that a CR LF pair split across pieces is still recognised.
 *
 *	smtpd_data_init() prepares the state (call it after the 354 reply);
 *	smtpd_data_feed() takes one piece and calls out(ctx, type, data, len)
 *	for each record; it returns 1 when the piece was the end-of-data line,
 *	else 0. d->bytes counts the content octets stored plus one per line
 *	end (the queue-file content size).
 *
 * DIAGNOSTICS
 *	None.
 */
#include <string.h>

#include "mymalloc.h"
#include "record.h"
#include "smtpd.h"

/*
 * smtpd_data_init - reset the DATA state machine
 *
 * out/ctx receive the records. The state is at a line start, after a
 * CRLF (the DATA command line).
 */
void smtpd_data_init(SMTPD_DATA *d, SMTPD_DATA_OUT_FN out, void *ctx)
{
    d->out = out;
    d->ctx = ctx;
    d->at_line_start = 1;
    d->prev_crlf = 1;
    d->pending_cr = 0;
    d->bytes = 0;
}

/* Emit one record, unstuffing a leading dot at a line start. */
static void smtpd_data_emit(SMTPD_DATA *d, int type, const char *buf, size_t len)
{
    if (d->at_line_start && len > 0 && buf[0] == '.') {
        buf++;
        len--;
    }
    d->bytes += (long)len + (type == REC_TYPE_NORM ? 1 : 0);
    d->out(d->ctx, type, buf, len);
}

/*
 * smtpd_data_feed - process one piece of DATA input
 *
 * buf/len is what stream_get_line() returned: a line ending in '\n', or a
 * partial line. Returns 1 when the piece is the end-of-data marker (the
 * marker itself is not stored), else 0.
 */
int smtpd_data_feed(SMTPD_DATA *d, const char *buf, size_t len)
{
    const char *p = buf;
    size_t n = len;
    char *tmp = 0;
    int crlf;
    size_t content_len;

    if (d->pending_cr) {
        /* A '\r' held back from the previous partial piece. */
        tmp = mymalloc(len + 1);
        tmp[0] = '\r';
        memcpy(tmp + 1, buf, len);
        p = tmp;
        n = len + 1;
        d->pending_cr = 0;
    }
    if (n > 0 && p[n - 1] == '\n') {
        crlf = (n >= 2 && p[n - 2] == '\r');
        content_len = n - (crlf ? 2 : 1);
        if (d->at_line_start && d->prev_crlf && crlf && content_len == 1 && p[0] == '.') {
            myfree(tmp);
            return 1;
        }
        smtpd_data_emit(d, REC_TYPE_NORM, p, content_len);
        d->prev_crlf = crlf;
        d->at_line_start = 1;
    } else if (n > 0) {
        if (p[n - 1] == '\r') {
            d->pending_cr = 1;
            n--;
        }
        if (n > 0 || !d->pending_cr) {
            smtpd_data_emit(d, REC_TYPE_CONT, p, n);
            d->at_line_start = 0;
        }
    }
    myfree(tmp);
    return 0;
}
