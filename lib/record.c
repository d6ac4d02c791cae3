/*
 * NAME
 *      record - typed, length-prefixed records of queue files and streams
 *
 * SYNOPSIS
 *      #include "record.h"
 *
 *      int rec_put(STREAM *st, int type, const void *data, size_t len);
 *      int rec_fprintf(STREAM *st, int type, const char *fmt, ...);
 *      int rec_get_raw(STREAM *st, VSTR *buf, size_t limit);
 *      int rec_get(STREAM *st, VSTR *buf, size_t limit);
 *      void rec_size_format(VSTR *out, long content_size, ...);
 *      int rec_type_allowed(int segment, int type);
 *      const char *rec_type_name(int type);
 *
 * DESCRIPTION
 *      A record is one type byte, a length, then that many data bytes. The
 *      length is written in base 128 with the LOW seven bits first; a set
 *      bit 0x80 says that another length byte follows (Postfix
 *      global/record.c, reference section 3.1, trap 1). So 18 is 0x12, 200
 *      is 0xC8 0x01 and 0 is 0x00.
 *
 *      rec_get_raw() reads one record as it is. rec_get() is the queue-file
 *      reader (Postfix's REC_FLAG_DEFAULT): it follows 'p' pointer records
 *      (offset 0 is a placeholder and is ignored), skips 'w' padding, and
 *      after the 'E' record moves the stream to end of file so that nothing
 *      after END (a milter "heap") is ever read in sequence. Backward jumps
 *      are counted per stream; after 10000 of them the file is considered
 *      to loop and REC_TYPE_ERROR is returned (Postfix rec_goto()).
 *
 *      rec_size_format() formats the fixed-width SIZE record data: six
 *      "%15ld" fields separated by one space, 95 bytes, so that cleanup can
 *      rewrite it in place (trap 3).
 *
 *      rec_type_allowed() implements the per-segment record lists of
 *      Postfix rec_type.h: envelope "MCTcFILSDRO/WVA>K<ion" (plus 'p',
 *      'd', 'f', 'P'), content "XLNw" (plus 'p'), extracted
 *      "EDRO/PreAFIL>Kon" (plus 'p', 'W', 'V', 'i', '<').
 *
 *      rec_type_name() returns the names Postfix's postcat(1) prints.
 *
 * DIAGNOSTICS
 *      Readers log a warning naming the stream path for a truncated record,
 *      an oversized or overflowing length, a malformed pointer or a pointer
 *      loop, and return REC_TYPE_ERROR. Writers return REC_TYPE_ERROR when
 *      the stream is in error.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

#define REC_REVERSE_JUMP_LIMIT 10000

/*
 * rec_put - write one record: the type byte, the base-128 length (low bits
 * first) and len data bytes. Returns type, or REC_TYPE_ERROR when the
 * stream is (or becomes) in error. Nothing is flushed.
 */
int rec_put(STREAM *st, int type, const void *data, size_t len)
{
    size_t n = len;
    int ch;

    if (type < 0 || type > 255)
        msg_panic("rec_put: bad record type %d", type);
    if (len > INT_MAX)
        msg_panic("rec_put: record too long: %zu", len);
    if (stream_putc(st, type) < 0)
        return REC_TYPE_ERROR;
    do {
        ch = n & 0177;
        n >>= 7;
        if (n)
            ch |= 0200;
        if (stream_putc(st, ch) < 0)
            return REC_TYPE_ERROR;
    } while (n);
    if (len > 0 && stream_write(st, data, len) < 0)
        return REC_TYPE_ERROR;
    return type;
}

/*
 * rec_fprintf - format the record data printf-style, then rec_put() it.
 * Same result as rec_put().
 */
int rec_fprintf(STREAM *st, int type, const char *fmt, ...)
{
    VSTR *v = vstr_alloc(100);
    va_list ap;
    int ret;

    va_start(ap, fmt);
    vstr_vsprintf_append(v, fmt, ap);
    va_end(ap);
    ret = rec_put(st, type, VSTR_STR(v), VSTR_LEN(v));
    vstr_free(v);
    return ret;
}

/*
 * rec_get_raw - read one record into buf (data only; a NUL follows it but
 * is not counted; embedded NULs are kept). Returns the type byte,
 * REC_TYPE_EOF when the stream ends before a type byte, REC_TYPE_ERROR for a
 * truncated record, a length whose encoding exceeds the bit width of int, or
 * a length above limit (limit 0 = no limit).
 */
int rec_get_raw(STREAM *st, VSTR *buf, size_t limit)
{
    unsigned long len = 0;
    unsigned shift;
    int type;
    int ch;
    char chunk[4096];
    size_t want;
    size_t got;

    vstr_reset(buf);
    if ((type = stream_getc(st)) == STREAM_EOF)
        return REC_TYPE_EOF;
    for (shift = 0;; shift += 7) {
        if (shift >= CHAR_BIT * sizeof(int)) {
            msg_warn("%s: too many length bits, record type %d", stream_path(st), type);
            return REC_TYPE_ERROR;
        }
        if ((ch = stream_getc(st)) == STREAM_EOF) {
            msg_warn("%s: unexpected EOF reading length, record type %d", stream_path(st), type);
            return REC_TYPE_ERROR;
        }
        len |= (unsigned long)(ch & 0177) << shift;
        if ((ch & 0200) == 0)
            break;
    }
    if (len > INT_MAX) {
        msg_warn("%s: bad record length: %lu, record type %d", stream_path(st), len, type);
        return REC_TYPE_ERROR;
    }
    if (limit > 0 && len > limit) {
        msg_warn("%s: illegal length %lu, record type %d", stream_path(st), len, type);
        return REC_TYPE_ERROR;
    }
    /* Read in chunks, so that a huge announced length in a short file
     * costs no more memory than the file holds. */
    while (len > 0) {
        want = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
        got = stream_read(st, chunk, want);
        vstr_addmem(buf, chunk, got);
        if (got != want) {
            msg_warn("%s: unexpected EOF in data, record type %d", stream_path(st), type);
            return REC_TYPE_ERROR;
        }
        len -= got;
    }
    return type;
}

/*
 * Pointer-loop detection state. Like Postfix's rec_goto(), it is global and
 * reset when the reader switches to another stream.
 */
static const STREAM *rec_saved_stream;
static int rec_saved_fd = -1;
static char *rec_saved_path; /* Postfix keys this state by path */
static off_t rec_saved_offset;
static int rec_reverse_count;

/* rec_goto - follow a pointer record; 0 on success, REC_TYPE_ERROR on error */
static int rec_goto(STREAM *st, const char *data)
{
    const char *path = stream_path(st) ? stream_path(st) : "";
    char *end;
    long offset;

    if (st != rec_saved_stream || stream_fileno(st) != rec_saved_fd || rec_saved_path == NULL ||
        strcmp(path, rec_saved_path) != 0) {
        rec_saved_stream = st;
        rec_saved_fd = stream_fileno(st);
        myfree(rec_saved_path);
        rec_saved_path = mystrdup(path);
        rec_saved_offset = 0;
        rec_reverse_count = 0;
    }
    while (*data == ' ' || *data == '\t')
        data++;
    errno = 0;
    offset = strtol(data, &end, 10);
    if (end == data || *end != 0 || errno != 0 || offset < 0) {
        msg_warn("%s: malformed pointer record value: %.100s", stream_path(st), data);
        return REC_TYPE_ERROR;
    }
    if (offset == 0)
        return 0; /* placeholder */
    if (offset <= rec_saved_offset && ++rec_reverse_count > REC_REVERSE_JUMP_LIMIT) {
        msg_warn("%s: too many reverse jump records", stream_path(st));
        return REC_TYPE_ERROR;
    }
    if (stream_seek(st, (off_t)offset, SEEK_SET) < 0) {
        msg_warn("%s: seek error after reading pointer record: %m", stream_path(st));
        return REC_TYPE_ERROR;
    }
    rec_saved_offset = offset;
    return 0;
}

/*
 * rec_get - the queue-file reader: rec_get_raw() that follows 'p' pointers
 * (failing after 10000 backward jumps), skips 'w' padding and, after the
 * 'E' record, positions the stream at end of file. Same results as
 * rec_get_raw().
 * The backward-jump count is per pass over a file: it restarts when the
 * stream or descriptor changes and whenever reading starts again at offset
 * 0, so that a long-running reader (qmgr re-reading deferred files, or a
 * new file that reuses a freed STREAM and fd number) is not charged for
 * earlier passes (found by tests/fuzz/fuzz_record: results depended on the
 * inputs read before).
 */
int rec_get(STREAM *st, VSTR *buf, size_t limit)
{
    int type;

    if (stream_tell(st) == 0)
        rec_saved_stream = NULL; /* a new pass: rec_goto() resets its state */
    for (;;) {
        type = rec_get_raw(st, buf, limit);
        if (type == REC_TYPE_PTR) {
            if (rec_goto(st, VSTR_STR(buf)) < 0)
                return REC_TYPE_ERROR;
            continue;
        }
        if (type == REC_TYPE_DTXT)
            continue;
        if (type == REC_TYPE_END && stream_seek(st, 0, SEEK_END) < 0) {
            msg_warn("%s: seek error after reading END record: %m", stream_path(st));
            return REC_TYPE_ERROR;
        }
        return type;
    }
}

/*
 * rec_size_format - store the SIZE record data in out: six "%15ld" fields
 * separated by spaces (REC_SIZE_LEN bytes for values that fit 15 digits).
 */
void rec_size_format(VSTR *out, long content_size, long data_offset, long rcpt_count,
                     long qmgr_opts, long content_length, long smtputf8)
{
    vstr_sprintf(out, "%15ld %15ld %15ld %15ld %15ld %15ld", content_size, data_offset, rcpt_count,
                 qmgr_opts, content_length, smtputf8);
}

/*
 * rec_type_allowed - 1 if type may appear in the segment (REC_SEG_ENV,
 * REC_SEG_CONT, REC_SEG_XTRA), 0 if not; includes the record that ends the
 * segment (M, X, E) and the pointer/padding records a reader may meet.
 */
int rec_type_allowed(int segment, int type)
{
    static const char env[] = "MCTcFILSDRO/WVA>K<ionpdfP";
    static const char cont[] = "XLNwp";
    static const char xtra[] = "EDRO/PreAFIL>KonpWVi<";
    const char *set;

    if (type <= 0 || type > 255)
        return 0;
    switch (segment) {
    case REC_SEG_ENV:
        set = env;
        break;
    case REC_SEG_CONT:
        set = cont;
        break;
    case REC_SEG_XTRA:
        set = xtra;
        break;
    default:
        return 0;
    }
    return strchr(set, type) != NULL;
}

/*
 * rec_type_name - the symbolic record name postcat(1) prints, or
 * "unknown_record_type". 'L' is named "content_filter" as in Postfix; callers
 * that know they are in the content segment print "unterminated_text".
 */
const char *rec_type_name(int type)
{
    static const struct {
        int type;
        const char *name;
    } names[] = {
        {REC_TYPE_EOF, "end-of-file"},
        {REC_TYPE_ERROR, "error"},
        {REC_TYPE_SIZE, "message_size"},
        {REC_TYPE_TIME, "message_arrival_time"},
        {REC_TYPE_CTIME, "queue_file_create_time"},
        {REC_TYPE_FULL, "sender_fullname"},
        {REC_TYPE_INSP, "content_inspector"},
        {REC_TYPE_FILT, "content_filter"},
        {REC_TYPE_FROM, "sender"},
        {REC_TYPE_DONE, "done_recipient"},
        {REC_TYPE_DRCP, "canceled_recipient"},
        {REC_TYPE_RCPT, "recipient"},
        {REC_TYPE_ORCP, "original_recipient"},
        {REC_TYPE_WARN, "warning_message_time"},
        {REC_TYPE_ATTR, "named_attribute"},
        {REC_TYPE_PTR, "pointer_record"},
        {REC_TYPE_KILL, "killed_record"},
        {REC_TYPE_MESG, "message_content"},
        {REC_TYPE_NORM, "regular_text"},
        {REC_TYPE_DTXT, "padding"},
        {REC_TYPE_XTRA, "extracted_info"},
        {REC_TYPE_RRTO, "return_receipt"},
        {REC_TYPE_ERTO, "errors_to"},
        {REC_TYPE_PRIO, "priority"},
        {REC_TYPE_VERP, "verp_delimiters"},
        {REC_TYPE_END, "message_end"},
        {REC_TYPE_RDR, "redirect_to"},
        {REC_TYPE_FLGS, "flags"},
        {REC_TYPE_DELAY, "delay"},
        {REC_TYPE_DSN_RET, "dsn_return_flags"},
        {REC_TYPE_DSN_ENVID, "dsn_envelope_id"},
        {REC_TYPE_DSN_ORCPT, "dsn_original_recipient"},
        {REC_TYPE_DSN_NOTIFY, "dsn_notify_flags"},
        {REC_TYPE_MILT_COUNT, "milter_count"},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].type == type)
            return names[i].name;
    return "unknown_record_type";
}
