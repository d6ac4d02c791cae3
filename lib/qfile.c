/*
 * NAME
 *      qfile - read a committed queue file's envelope, defensively
 *
 * SYNOPSIS
 *      #include "qfile.h"
 *
 *      QFILE *qfile_alloc(void);
 *      void qfile_free(QFILE *qf);
 *      int qfile_read(STREAM *st, QFILE *qf, int flags);
 *      const char *qfile_attr(const QFILE *qf, const char *name);
 *      int qfile_mark_done(int fd, off_t offset);
 *
 * DESCRIPTION
 *      qfile_read() reads a whole queue file (reference section 3) from the
 *      current position: the SIZE record (six "%15ld" fields; old files may
 *      have only the first 3-5), the envelope up to 'M', then it skips the
 *      content by seeking to data_offset + content_size where the 'X'
 *      record must be (Postfix qmgr_message.c does the same), falling back
 *      to a sequential scan of N/L records when it is not there, and reads
 *      the extracted segment up to 'E'. Pointer records are followed and
 *      padding is skipped, as Postfix's rec_get() does; each recipient's
 *      offset is the offset of its own type byte, wherever it lies.
 *
 *      With flags bit 1 (QFILE_FLAG_NO_SIZE, see showq_list.h) a missing
 *      SIZE record is accepted: that is how maildrop files written by
 *      postdrop look.
 *
 *      The reader is meant for hostile input: every length is bounded by
 *      the file (records are read in chunks), every record type is checked
 *      against its segment (trap 2: 'L' is content_filter in the envelope
 *      and a line piece in the content), pointer loops end after 10000
 *      backward jumps, and numbers are parsed with explicit checks.
 *
 *      qfile_mark_done() overwrites one type byte with 'D' using pwrite()
 *      (reference 3.5: no fsync, the file is never rewritten).
 *
 * DIAGNOSTICS
 *      qfile_read() returns -1 and describes the problem in qf->error:
 *      "truncated", "missing SIZE record", "malformed SIZE record",
 *      "unexpected record type X in envelope", "missing sender record",
 *      "missing END record", "pointer loop", "malformed pointer record",
 *      "content size mismatch".
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

#define QF_FLAG_NO_SIZE (1 << 0)
#define QF_REVERSE_JUMP_LIMIT 10000

/* Per-read state. */
typedef struct QF_STATE {
    STREAM *st;
    QFILE *qf;
    VSTR *buf;
    off_t last_jump;
    int reverse_jumps;
    char *orig;     /* pending O record */
    char *dsn_orig; /* pending dsn_orig_rcpt */
    int notify;     /* pending notify_flags */
} QF_STATE;

/* qfile_alloc - an empty QFILE */
QFILE *qfile_alloc(void)
{
    QFILE *qf = mymalloc(sizeof(*qf));

    memset(qf, 0, sizeof(*qf));
    qf->attrs = argv_alloc(8);
    return qf;
}

/* qf_clear - release the contents of qf, keeping the structure */
static void qf_clear(QFILE *qf)
{
    int i;

    for (i = 0; i < qf->nrcpt; i++) {
        myfree(qf->rcpts[i].address);
        myfree(qf->rcpts[i].orig);
        myfree(qf->rcpts[i].dsn_orig);
    }
    myfree(qf->rcpts);
    myfree(qf->sender);
    myfree(qf->fullname);
    argv_free(qf->attrs);
    memset(qf, 0, sizeof(*qf));
    qf->attrs = argv_alloc(8);
}

/* qfile_free - release a QFILE (NULL allowed) */
void qfile_free(QFILE *qf)
{
    if (qf == NULL)
        return;
    qf_clear(qf);
    argv_free(qf->attrs);
    myfree(qf);
}

/* qf_error - set the reason and return -1 */
static int qf_error(QFILE *qf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int qf_error(QFILE *qf, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(qf->error, sizeof(qf->error), fmt, ap);
    va_end(ap);
    return -1;
}

/* qf_type_text - a printable form of a record type for diagnostics */
static const char *qf_type_text(int type, char *tmp, size_t len)
{
    if (type > 32 && type < 127)
        snprintf(tmp, len, "%c", type);
    else
        snprintf(tmp, len, "%d", type);
    return tmp;
}

/*
 * qf_get - next record, following pointers and skipping padding; stores
 * the offset of the record's type byte. Returns the type, REC_TYPE_EOF or
 * REC_TYPE_ERROR (with qf->error set).
 */
static int qf_get(QF_STATE *s, off_t *offset)
{
    int type;
    char *end;
    long target;

    for (;;) {
        *offset = stream_tell(s->st);
        type = rec_get_raw(s->st, s->buf, 0);
        if (type == REC_TYPE_ERROR) {
            qf_error(s->qf, "truncated");
            return REC_TYPE_ERROR;
        }
        if (type == REC_TYPE_DTXT)
            continue;
        if (type != REC_TYPE_PTR)
            return type;
        errno = 0;
        target = strtol(VSTR_STR(s->buf), &end, 10);
        if (end == VSTR_STR(s->buf) || *end != 0 || errno != 0 || target < 0) {
            qf_error(s->qf, "malformed pointer record");
            return REC_TYPE_ERROR;
        }
        if (target == 0)
            continue; /* placeholder */
        if (target <= s->last_jump && ++s->reverse_jumps > QF_REVERSE_JUMP_LIMIT) {
            qf_error(s->qf, "pointer loop");
            return REC_TYPE_ERROR;
        }
        if (stream_seek(s->st, (off_t)target, SEEK_SET) < 0) {
            qf_error(s->qf, "seek error: %s", strerror(errno));
            return REC_TYPE_ERROR;
        }
        s->last_jump = target;
    }
}

/* qf_parse_size - the SIZE record: 3 to 6 decimal fields */
static int qf_parse_size(QFILE *qf, const char *data)
{
    long vals[6] = {0, 0, 0, 0, 0, 0};
    const char *cp = data;
    char *end;
    int n;

    for (n = 0; n < 6; n++) {
        while (*cp == ' ')
            cp++;
        if (*cp == 0)
            break;
        errno = 0;
        vals[n] = strtol(cp, &end, 10);
        if (end == cp || errno != 0 || (*end != ' ' && *end != 0))
            return -1;
        cp = end;
    }
    while (*cp == ' ')
        cp++;
    if (n < 3 || *cp != 0 || vals[0] < 0 || vals[1] <= 0 || vals[2] < 0)
        return -1;
    qf->content_size = vals[0];
    qf->data_offset = vals[1];
    qf->rcpt_count = vals[2];
    qf->qmgr_opts = vals[3];
    qf->content_length = vals[4];
    qf->smtputf8 = vals[5];
    return 0;
}

/* qf_parse_time - "sec [usec]" */
static int qf_parse_time(QFILE *qf, const char *data)
{
    char *end;
    long sec, usec = 0;

    errno = 0;
    sec = strtol(data, &end, 10);
    if (end == data || errno != 0 || sec < 0)
        return -1;
    if (*end == ' ') {
        const char *cp = end + 1;

        usec = strtol(cp, &end, 10);
        if (end == cp || errno != 0 || usec < 0 || usec > 999999)
            return -1;
    }
    if (*end != 0)
        return -1;
    qf->arrival_sec = sec;
    qf->arrival_usec = usec;
    return 0;
}

/* qf_add_rcpt - append a recipient, consuming the pending O/DSN data */
static void qf_add_rcpt(QF_STATE *s, const char *addr, off_t offset, int done)
{
    QFILE *qf = s->qf;
    QF_RCPT *r;

    if (qf->nrcpt == INT_MAX)
        msg_fatal("qfile_read: too many recipients");
    qf->rcpts = myrealloc(qf->rcpts, sizeof(*qf->rcpts) * ((size_t)qf->nrcpt + 1));
    r = qf->rcpts + qf->nrcpt++;
    r->address = mystrdup(addr);
    r->orig = s->orig;
    r->dsn_orig = s->dsn_orig;
    r->notify = s->notify;
    r->offset = offset;
    r->done = done;
    s->orig = s->dsn_orig = NULL;
    s->notify = 0;
}

/* qf_envelope_record - handle a record of the envelope or extracted part */
static int qf_envelope_record(QF_STATE *s, int type, off_t offset)
{
    QFILE *qf = s->qf;
    const char *data = VSTR_STR(s->buf);
    const char *eq;

    switch (type) {
    case REC_TYPE_TIME:
        if (qf_parse_time(qf, data) < 0)
            return qf_error(qf, "malformed time record");
        break;
    case REC_TYPE_FROM:
        if (qf->sender == NULL)
            qf->sender = mystrdup(data);
        break;
    case REC_TYPE_FULL:
        if (qf->fullname == NULL)
            qf->fullname = mystrdup(data);
        break;
    case REC_TYPE_ATTR:
        if ((eq = strchr(data, '=')) == NULL || eq == data)
            return qf_error(qf, "malformed attribute record");
        argv_add(qf->attrs, data, (char *)0);
        if (strncmp(data, "dsn_orig_rcpt=", 14) == 0) {
            myfree(s->dsn_orig);
            s->dsn_orig = mystrdup(eq + 1);
        } else if (strncmp(data, "notify_flags=", 13) == 0) {
            s->notify = atoi(eq + 1);
        }
        break;
    case REC_TYPE_ORCP:
        myfree(s->orig);
        s->orig = mystrdup(data);
        break;
    case REC_TYPE_RCPT:
        qf_add_rcpt(s, data, offset, 0);
        break;
    case REC_TYPE_DONE:
    case REC_TYPE_DRCP:
        qf_add_rcpt(s, data, offset, 1);
        break;
    default:
        break;
    }
    return 0;
}

/*
 * qf_skip_content - position after the X record. First try the SIZE
 * record's data_offset + content_size; otherwise scan from after M.
 */
static int qf_skip_content(QF_STATE *s, off_t after_m)
{
    QFILE *qf = s->qf;
    off_t offset;
    off_t target;
    int type;
    char tmp[8];

    if (qf->data_offset > 0 && qf->content_size >= 0 &&
        qf->content_size <= LONG_MAX - qf->data_offset) {
        target = (off_t)qf->data_offset + qf->content_size;
        if (stream_seek(s->st, target, SEEK_SET) >= 0) {
            type = qf_get(s, &offset);
            if (type == REC_TYPE_XTRA) {
                qf->content_end = offset;
                return 0;
            }
        }
    }
    /* Slow path: walk the content records. */
    s->last_jump = 0;
    s->reverse_jumps = 0;
    if (stream_seek(s->st, after_m, SEEK_SET) < 0)
        return qf_error(qf, "seek error: %s", strerror(errno));
    for (;;) {
        type = qf_get(s, &offset);
        if (type == REC_TYPE_ERROR)
            return -1;
        if (type == REC_TYPE_EOF)
            return qf_error(qf, "truncated");
        if (type == REC_TYPE_XTRA) {
            qf->content_end = offset;
            return 0;
        }
        if (!rec_type_allowed(REC_SEG_CONT, type))
            return qf_error(qf, "unexpected record type %s in content",
                            qf_type_text(type, tmp, sizeof(tmp)));
    }
}

/*
 * qfile_read - read a committed queue file from the current position into
 * qf (previous contents are dropped). 0 on success; -1 with qf->error set
 * when the file is corrupt or truncated. flags: QFILE_FLAG_NONE, or bit 0
 * to accept a file without SIZE record (maildrop).
 */
int qfile_read(STREAM *st, QFILE *qf, int flags)
{
    QF_STATE state;
    QF_STATE *s = &state;
    off_t offset;
    int type;
    int first = 1;
    int ret = -1;
    char tmp[8];

    qf_clear(qf);
    memset(s, 0, sizeof(*s));
    s->st = st;
    s->qf = qf;
    s->buf = vstr_alloc(256);

    /* Envelope segment, up to M. */
    for (;;) {
        type = qf_get(s, &offset);
        if (type == REC_TYPE_ERROR)
            goto out;
        if (type == REC_TYPE_EOF) {
            qf_error(qf, first ? "empty file" : "truncated");
            goto out;
        }
        if (first) {
            first = 0;
            if (type != REC_TYPE_SIZE && !(flags & QF_FLAG_NO_SIZE)) {
                qf_error(qf, "missing SIZE record");
                goto out;
            }
            if (type == REC_TYPE_SIZE) {
                if (qf_parse_size(qf, VSTR_STR(s->buf)) < 0) {
                    qf_error(qf, "malformed SIZE record");
                    goto out;
                }
                continue;
            }
        } else if (type == REC_TYPE_SIZE) {
            qf_error(qf, "unexpected record type C in envelope");
            goto out;
        }
        if (!rec_type_allowed(REC_SEG_ENV, type)) {
            qf_error(qf, "unexpected record type %s in envelope",
                     qf_type_text(type, tmp, sizeof(tmp)));
            goto out;
        }
        if (type == REC_TYPE_MESG)
            break;
        if (qf_envelope_record(s, type, offset) < 0)
            goto out;
    }
    if (qf->sender == NULL) {
        qf_error(qf, "missing sender record");
        goto out;
    }

    /* Content segment. */
    if (qf_skip_content(s, stream_tell(st)) < 0)
        goto out;

    /* Extracted segment, up to E. */
    for (;;) {
        type = qf_get(s, &offset);
        if (type == REC_TYPE_ERROR)
            goto out;
        if (type == REC_TYPE_EOF) {
            qf_error(qf, "missing END record");
            goto out;
        }
        if (!rec_type_allowed(REC_SEG_XTRA, type)) {
            qf_error(qf, "unexpected record type %s in extracted segment",
                     qf_type_text(type, tmp, sizeof(tmp)));
            goto out;
        }
        if (type == REC_TYPE_END)
            break;
        if (qf_envelope_record(s, type, offset) < 0)
            goto out;
    }
    qf->error[0] = 0;
    ret = 0;

out:
    myfree(s->orig);
    myfree(s->dsn_orig);
    vstr_free(s->buf);
    return ret;
}

/* qfile_attr - the value of the first "name=value" A record, or NULL */
const char *qfile_attr(const QFILE *qf, const char *name)
{
    size_t len = strlen(name);
    int i;

    for (i = 0; i < qf->attrs->argc; i++) {
        const char *a = qf->attrs->argv[i];

        if (strncmp(a, name, len) == 0 && a[len] == '=')
            return a + len + 1;
    }
    return NULL;
}

/*
 * qfile_mark_done - overwrite the record type byte at offset with 'D'
 * (pwrite; no fsync, reference 2.5). 0, or -1 with errno.
 */
int qfile_mark_done(int fd, off_t offset)
{
    static const char done = REC_TYPE_DONE;

    if (offset < 0) {
        errno = EINVAL;
        return -1;
    }
    if (pwrite(fd, &done, 1, offset) != 1)
        return -1;
    return 0;
}
