/*
 * qfile - reading a committed queue file's envelope (qmgr, showq, postcat,
 * postsuper, delivery agents).
 *
 * qfile_read(st, qf, flags) reads from the current position (normally 0) a
 * whole queue file: the SIZE record, the envelope, then skips the content
 * (remembering where it starts and ends) and reads the extracted segment up
 * to END. It collects: the SIZE fields, arrival time (T), sender (S; "" is
 * the null sender), full name (F), every A attribute (name=value, in order),
 * and every recipient: R (pending) and D or '/' (done) records with the byte
 * offset of their type byte (for in-place marking), the O record before it,
 * and dsn_orig_rcpt / notify_flags attributes that precede it. Records that
 * are not allowed in their segment, a missing SIZE first record, a missing
 * sender, or a missing END make the file corrupt: the result is -1 and
 * qf->error names the problem ("unexpected record type X", "truncated").
 * Returns 0 on success.
 * qfile_alloc()/qfile_free() manage the structure; qfile_attr(qf, name) is
 * the value of the first A record with that name, or NULL.
 * qfile_mark_done(fd, offset): overwrite the type byte at offset with 'D'
 * (pwrite, no fsync — reference 2.5); 0 or -1.
 */
#ifndef POSTERN_QFILE_H
#define POSTERN_QFILE_H
#include <sys/types.h>

#include "argv.h"
#include "stream.h"

typedef struct QF_RCPT {
    char *address;  /* R/D data */
    char *orig;     /* preceding O record, or NULL */
    char *dsn_orig; /* dsn_orig_rcpt attribute, or NULL */
    int notify;     /* notify_flags attribute, 0 if none */
    off_t offset;   /* offset of the record's type byte */
    int done;       /* 1 for D and '/' */
} QF_RCPT;

typedef struct QFILE {
    long content_size;   /* SIZE field 1 */
    long data_offset;    /* SIZE field 2: offset of the first content record */
    long rcpt_count;     /* SIZE field 3 */
    long qmgr_opts;      /* SIZE field 4 */
    long content_length; /* SIZE field 5 (0 in old files) */
    long smtputf8;       /* SIZE field 6 */
    long arrival_sec, arrival_usec;
    char *sender;      /* "" = <> */
    char *fullname;    /* or NULL */
    ARGV *attrs;       /* "name=value" in file order */
    QF_RCPT *rcpts;    /* all recipients, in file order */
    int nrcpt;         /* entries in rcpts */
    off_t content_end; /* offset of the X record */
    char error[128];   /* why -1 was returned */
} QFILE;

#define QFILE_FLAG_NONE 0

extern QFILE *qfile_alloc(void);
extern void qfile_free(QFILE *qf);
extern int qfile_read(STREAM *st, QFILE *qf, int flags);
extern const char *qfile_attr(const QFILE *qf, const char *name);
extern int qfile_mark_done(int fd, off_t offset);

#endif
