/*
 * record - the typed, length-prefixed records of queue files and of the
 * sendmail->postdrop and smtpd/pickup->cleanup streams (reference section 3).
 *
 * A record is one type byte, a length in base 128 with the LOW 7 bits first
 * (bit 0x80 = another length byte follows), then that many data bytes.
 *
 * rec_put(st, type, data, len) writes one record: returns type, or
 * REC_TYPE_ERROR if the stream failed. rec_fprintf() formats the data.
 * rec_get_raw(st, buf, limit) reads one record into buf (data only, NUL
 * appended, embedded NULs allowed): returns its type, REC_TYPE_EOF at a clean
 * end of file, or REC_TYPE_ERROR for a truncated record, a length that does
 * not fit in an int, or a length above limit (0 = no limit).
 * rec_get(st, buf, limit) is the queue-file reader: like rec_get_raw but it
 * follows 'p' pointer records (failing after 10000 backward jumps), skips
 * 'w' padding, and after an 'E' record positions the stream at end of file.
 * rec_put_size(st, ...) rewrites the fixed-width SIZE record at offset 0
 * ("%15ld" x 6, 95 bytes); rec_size_format() formats that data.
 * rec_type_allowed(segment, type) tells whether type may appear in the
 * envelope (REC_SEG_ENV), content (REC_SEG_CONT) or extracted (REC_SEG_XTRA)
 * segment, per reference 3.3.
 * rec_type_name(type) gives a name for postcat ("sender", "recipient").
 */
#ifndef POSTERN_RECORD_H
#define POSTERN_RECORD_H
#include <stddef.h>
#include <sys/types.h>

#include "stream.h"
#include "vstr.h"

#define REC_TYPE_SIZE 'C'
#define REC_TYPE_TIME 'T'
#define REC_TYPE_CTIME 'c'
#define REC_TYPE_FULL 'F'
#define REC_TYPE_INSP 'I'
#define REC_TYPE_FILT 'L' /* envelope/extracted segments */
#define REC_TYPE_FROM 'S'
#define REC_TYPE_DONE 'D'
#define REC_TYPE_RCPT 'R'
#define REC_TYPE_ORCP 'O'
#define REC_TYPE_DRCP '/'
#define REC_TYPE_WARN 'W'
#define REC_TYPE_ATTR 'A'
#define REC_TYPE_KILL 'K'
#define REC_TYPE_RDR '>'
#define REC_TYPE_FLGS 'f'
#define REC_TYPE_DELAY 'd'
#define REC_TYPE_MESG 'M'
#define REC_TYPE_NORM 'N'
#define REC_TYPE_CONT 'L' /* content segment */
#define REC_TYPE_DTXT 'w'
#define REC_TYPE_XTRA 'X'
#define REC_TYPE_RRTO 'r'
#define REC_TYPE_ERTO 'e'
#define REC_TYPE_PRIO 'P'
#define REC_TYPE_PTR 'p'
#define REC_TYPE_VERP 'V'
#define REC_TYPE_DSN_RET '<'
#define REC_TYPE_DSN_ENVID 'i'
#define REC_TYPE_DSN_ORCPT 'o'
#define REC_TYPE_DSN_NOTIFY 'n'
#define REC_TYPE_MILT_COUNT 'm'
#define REC_TYPE_END 'E'

#define REC_TYPE_EOF (-1)
#define REC_TYPE_ERROR (-2)

#define REC_SEG_ENV 1
#define REC_SEG_CONT 2
#define REC_SEG_XTRA 3

#define REC_SIZE_LEN 95 /* six %15ld fields and five spaces */

extern int rec_put(STREAM *st, int type, const void *data, size_t len);
extern int rec_fprintf(STREAM *st, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
extern int rec_get_raw(STREAM *st, VSTR *buf, size_t limit);
extern int rec_get(STREAM *st, VSTR *buf, size_t limit);
extern void rec_size_format(VSTR *out, long content_size, long data_offset, long rcpt_count,
                            long qmgr_opts, long content_length, long smtputf8);
extern int rec_type_allowed(int segment, int type);
extern const char *rec_type_name(int type);

#endif
