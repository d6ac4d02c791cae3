/*
 * NAME
 *   deliver - delivery request protocol (qmgr <-> agents) and per-recipient
 *   outcome reporting
 *
 * DESCRIPTION
 *   Both sides of the protocol described in deliver.h (Postfix's
 *   global/deliver_request.c, sent.c, bounce.c, defer.c and log_adhoc.c
 *   behaviour, reference sections 4.5, 4.7, 8 and 10.2).
 *
 *   Agent side: deliver_request_read() greets the client once per
 *   connection, reads one request, opens and share-locks the queue file and
 *   positions a STREAM at the data offset. deliver_sent(), deliver_bounce()
 *   and deliver_defer() record one recipient's outcome: the mail-log line
 *   "QID: to=<rcpt>[, orig_to=<orig>], relay=R, delay=D, delays=a/b/c/d,
 *   dsn=X.Y.Z, status=S (text)", the defer/ or bounce/ logfile entry and the
 *   in-place R->D marking. deliver_request_done() sends the results.
 *
 *   qmgr side: deliver_request_write() and deliver_reply_read().
 *
 *   The defer/bounce logfile entry format is Postfix's (reference 4.7): an
 *   empty line, the old-style "<rcpt>: reason" line
 *   (backwards_bounce_logfile_compatibility), recipient=, original_recipient=
 *   (when it differs), offset=, dsn_orig_rcpt=, notify_flags=, status=,
 *   action=, reason=, and an empty line. Files are created 0600 and owned by
 *   mail_owner (fchown when running as root), appended under flock(LOCK_EX)
 *   and fsync'ed; on a write error the file is truncated back.
 *
 *   The agent calls deliver_request_read() until it returns NULL; the next
 *   connection then gets a fresh greeting.
 *
 * DIAGNOSTICS
 *   "warning: open queue file QUEUE/QID: ..." when the queue file cannot be
 *   opened (all recipients must then be deferred), "warning: append file
 *   defer/QID: ..." when a logfile cannot be written, protocol errors as
 *   "warning: ...: malformed delivery request".
 */
#include <errno.h>
#include <ctype.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "addr.h"
#include "attr.h"
#include "config.h"
#include "deliver.h"
#include "record.h"
#include "argv.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "stream.h"
#include "vstr.h"

#define DELIVER_MAX_RCPT 100000 /* sanity bound on recipient_count */

/* The connection that already got the greeting (one client at a time). */
static STREAM *greeted_client;

/* dup_or_empty - mystrdup of an attribute value, "" when absent */
static char *dup_or_empty(const ATTR_LIST *list, const char *name)
{
    const char *v = attr_get(list, name);

    return mystrdup(v ? v : "");
}

/*
 * deliver_request_alloc - an empty request (fd -1, no recipients).
 */
DELIVER_REQUEST *deliver_request_alloc(void)
{
    DELIVER_REQUEST *req = mymalloc(sizeof(*req));

    memset(req, 0, sizeof(*req));
    req->fd = -1;
    return req;
}

/*
 * deliver_request_free - release a request, its strings and recipients;
 * closes the queue file if still open.
 */
void deliver_request_free(DELIVER_REQUEST *req)
{
    int i;

    if (req == NULL)
        return;
    if (req->fp)
        (void)stream_close(req->fp);
    else if (req->fd >= 0)
        (void)close(req->fd);
    myfree(req->queue_name);
    myfree(req->queue_id);
    myfree(req->nexthop);
    myfree(req->encoding);
    myfree(req->sender);
    myfree(req->client_name);
    myfree(req->client_addr);
    myfree(req->client_port);
    myfree(req->client_proto);
    myfree(req->client_helo);
    myfree(req->rewrite_context);
    myfree(req->hop_reason);
    for (i = 0; i < req->nrcpt; i++) {
        myfree(req->rcpts[i].orig_addr);
        myfree(req->rcpts[i].address);
        myfree(req->rcpts[i].dsn_orig);
        myfree(req->rcpts[i].dsn);
        myfree(req->rcpts[i].reason);
    }
    myfree(req->rcpts);
    myfree(req);
}

/*
 * format_delay - append a delay in Postfix's format_tv() style with
 * delay_logging_resolution_limit 2: two significant digits, at most two
 * decimals, rounded half up, no trailing zeros; whole seconds with more
 * digits are printed in full (4000). Negative values print as 0.
 */
void format_delay(VSTR *v, double seconds)
{
    static const long pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
    const int sig_dig = 2;
    const int max_dig = 2;
    long sec, usec, ures, rem;
    int n;

    if (!(seconds > 0)) /* also catches NaN */
        seconds = 0;
    if (seconds > 1e12)
        seconds = 1e12;
    sec = (long)seconds;
    usec = (long)((seconds - (double)sec) * 1e6 + 0.5);
    if (usec >= 1000000) {
        sec += 1;
        usec -= 1000000;
    }
    ures = 1000000 / pow10[max_dig];
    if (sec > 0) {
        for (n = 1; n <= sig_dig && sec >= pow10[n]; n++)
            /* void */;
        ures = (1000000 / pow10[sig_dig]) * pow10[n];
    } else {
        while (usec >= pow10[sig_dig] * ures)
            ures *= 10;
    }
    usec = ures * ((usec + ures / 2) / ures);
    if (usec >= 1000000) {
        sec += 1;
        usec -= 1000000;
    }
    vstr_sprintf_append(v, "%ld", sec);
    if (usec > 0) {
        vstr_addch(v, '.');
        for (rem = usec, n = 100000; rem > 0 && n > 0; n /= 10) {
            vstr_addch(v, "0123456789"[rem / n]);
            rem %= n;
        }
    }
}

/* tv_delta - y - x in seconds, never negative */
static double tv_delta(const struct timeval *y, const struct timeval *x)
{
    double d = (double)(y->tv_sec - x->tv_sec) + (double)(y->tv_usec - x->tv_usec) / 1e6;

    return d > 0 ? d : 0;
}

/*
 * deliver_format_log - build the delivery log line (without the program
 * tag) as Postfix's log_adhoc() does: delays a/b/c/d are time before the
 * active queue, in the active queue, connection setup and transmission; a
 * missing time stamp makes the later fields 0 and the earlier one run until
 * now.
 */
static void deliver_format_log(VSTR *out, const DELIVER_REQUEST *req, const DELIVER_RCPT *rcpt,
                               const char *relay, const char *dsn, const char *status,
                               const char *text)
{
    struct timeval now;
    double total, a = 0, b = 0, c = 0, d = 0;
    VSTR *q = vstr_alloc(64);

    gettimeofday(&now, NULL);
    total = tv_delta(&now, &req->arrival);
    if (req->active.tv_sec) {
        a = tv_delta(&req->active, &req->arrival);
        if (req->agent.tv_sec) {
            b = tv_delta(&req->agent, &req->active);
            if (req->conn.tv_sec) {
                c = tv_delta(&req->conn, &req->agent);
                d = tv_delta(&now, &req->conn);
            } else {
                d = tv_delta(&now, &req->agent);
            }
        } else {
            b = tv_delta(&now, &req->active);
        }
    } else {
        a = tv_delta(&now, &req->arrival);
    }
    addr_quote_external(rcpt->address ? rcpt->address : "", q);
    vstr_sprintf(out, "%s: to=<%s>", req->queue_id, q->buf);
    if (rcpt->orig_addr && *rcpt->orig_addr && rcpt->address &&
        strcasecmp(rcpt->orig_addr, rcpt->address) != 0) {
        addr_quote_external(rcpt->orig_addr, q);
        vstr_sprintf_append(out, ", orig_to=<%s>", q->buf);
    }
    vstr_sprintf_append(out, ", relay=%s, delay=", relay);
    format_delay(out, total);
    vstr_addstr(out, ", delays=");
    format_delay(out, a);
    vstr_addch(out, '/');
    format_delay(out, b);
    vstr_addch(out, '/');
    format_delay(out, c);
    vstr_addch(out, '/');
    format_delay(out, d);
    vstr_sprintf_append(out, ", dsn=%s, status=%s (%s)", dsn, status, text);
    vstr_free(q);
}

/* mail_owner_ids - look up mail_owner once; 0 or -1 */
static int mail_owner_ids(uid_t *uid, gid_t *gid)
{
    static int looked_up;
    static uid_t owner_uid;
    static gid_t owner_gid;
    struct passwd *pw;

    if (!looked_up) {
        if ((pw = getpwnam(cfg_str("mail_owner"))) == NULL)
            return -1;
        owner_uid = pw->pw_uid;
        owner_gid = pw->pw_gid;
        looked_up = 1;
    }
    *uid = owner_uid;
    *gid = owner_gid;
    return 0;
}

/* mkdir_parent - create the directory part of path (hash subdirectory) */
static int mkdir_parent(const char *path)
{
    char *dir = mystrdup(path);
    char *slash = strrchr(dir, '/');
    int ret = -1;
    uid_t uid;
    gid_t gid;

    if (slash && slash != dir) {
        *slash = 0;
        ret = mkdir(dir, 0700);
        if (ret == 0 && geteuid() == 0 && mail_owner_ids(&uid, &gid) == 0)
            if (chown(dir, uid, gid) < 0)
                msg_warn("chown %s: %m", dir);
        if (ret < 0 && errno == EEXIST)
            ret = 0;
    }
    myfree(dir);
    return ret;
}

/*
 * deliver_log_format_entry - one logfile entry (reference 4.7 format).
 */
static void deliver_log_format_entry(VSTR *out, const char *rcpt, const char *orig, long offset,
                                     const char *dsn_orig, int notify, const char *dsn,
                                     const char *action, const char *reason)
{
    VSTR *q = vstr_alloc(64);

    addr_quote_external(rcpt ? rcpt : "", q);
    vstr_addch(out, '\n');
    if (cfg_bool("backwards_bounce_logfile_compatibility"))
        vstr_sprintf_append(out, "<%s>: %s\n", q->buf, reason ? reason : "");
    vstr_sprintf_append(out, "recipient=%s\n", q->len ? q->buf : "<>");
    if (orig && *orig && rcpt && strcasecmp(orig, rcpt) != 0) {
        addr_quote_external(orig, q);
        vstr_sprintf_append(out, "original_recipient=%s\n", q->buf);
    }
    if (offset > 0)
        vstr_sprintf_append(out, "offset=%ld\n", offset);
    if (dsn_orig && *dsn_orig)
        vstr_sprintf_append(out, "dsn_orig_rcpt=%s\n", dsn_orig);
    if (notify)
        vstr_sprintf_append(out, "notify_flags=%d\n", notify);
    if (dsn && *dsn)
        vstr_sprintf_append(out, "status=%s\n", dsn);
    if (action && *action)
        vstr_sprintf_append(out, "action=%s\n", action);
    if (reason && *reason)
        vstr_sprintf_append(out, "reason=%s\n", reason);
    vstr_addch(out, '\n');
    vstr_free(q);
}

/* deliver_log_append_full - deliver_log_append with DSN ORCPT and NOTIFY */
static int deliver_log_append_full(const char *log_queue, const char *qid, const char *rcpt,
                                   const char *orig, long offset, const char *dsn_orig, int notify,
                                   const char *dsn, const char *action, const char *reason)
{
    VSTR *path = vstr_alloc(64);
    VSTR *entry = vstr_alloc(256);
    struct stat st;
    uid_t uid;
    gid_t gid;
    int fd, ret = -1;

    if (!mail_queue_id_ok(qid)) {
        msg_warn("append file %s: bad queue id", log_queue);
        goto out;
    }
    mail_queue_path(path, log_queue, qid);
    if ((fd = open(path->buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0 &&
        errno == ENOENT && mkdir_parent(path->buf) == 0)
        fd = open(path->buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        msg_warn("append file %s: %m", path->buf);
        goto out;
    }
    if (geteuid() == 0 && mail_owner_ids(&uid, &gid) == 0 && fchown(fd, uid, gid) < 0)
        msg_warn("fchown %s: %m", path->buf);
    if (flock(fd, LOCK_EX) < 0 || fstat(fd, &st) < 0) {
        msg_warn("lock file %s: %m", path->buf);
        (void)close(fd);
        goto out;
    }
    deliver_log_format_entry(entry, rcpt, orig, offset, dsn_orig, notify, dsn, action, reason);
    if (write_all(fd, entry->buf, entry->len) < 0 || fsync(fd) < 0) {
        msg_warn("append file %s: %m", path->buf);
        if (ftruncate(fd, st.st_size) < 0)
            msg_warn("truncate file %s: %m", path->buf);
        (void)close(fd);
        goto out;
    }
    if (close(fd) < 0)
        msg_warn("close file %s: %m", path->buf);
    ret = 0;
out:
    vstr_free(path);
    vstr_free(entry);
    return ret;
}

/*
 * deliver_log_append - append one entry to defer/QID or bounce/QID (see
 * deliver.h). Without DSN ORCPT/NOTIFY information.
 */
int deliver_log_append(const char *log_queue, const char *qid, const char *rcpt, const char *orig,
                       long offset, const char *dsn, const char *action, const char *reason)
{
    return deliver_log_append_full(log_queue, qid, rcpt, orig, offset, NULL, 0, dsn, action,
                                   reason);
}

/* deliver_record - store the outcome in the recipient */
static void deliver_record(DELIVER_RCPT *rcpt, int status, const char *dsn, const char *reason)
{
    myfree(rcpt->dsn);
    myfree(rcpt->reason);
    rcpt->dsn = mystrdup(dsn);
    rcpt->reason = mystrdup(reason);
    rcpt->status = status;
    rcpt->reported = 1;
}

/* check_index - panic on a bad recipient index */
static DELIVER_RCPT *check_index(DELIVER_REQUEST *req, int i)
{
    if (i < 0 || i >= req->nrcpt)
        msg_panic("deliver: bad recipient index %d (of %d)", i, req->nrcpt);
    return req->rcpts + i;
}

/* valid_dsn - "d.ddd.ddd" with the given class digit set */
static int valid_dsn(const char *dsn, const char *classes)
{
    const char *cp = dsn;
    int part, digits;

    if (dsn == NULL || strchr(classes, *dsn) == NULL || dsn[1] != '.')
        return 0;
    cp = dsn + 2;
    for (part = 0; part < 2; part++) {
        for (digits = 0; *cp >= '0' && *cp <= '9'; cp++)
            digits++;
        if (digits < 1 || digits > 3)
            return 0;
        if (part == 0 && *cp++ != '.')
            return 0;
    }
    return *cp == 0;
}

/* deliver_defer_common - defer with an already formatted text */
static void deliver_defer_common(DELIVER_REQUEST *req, DELIVER_RCPT *rcpt, const char *relay,
                                 const char *dsn, const char *status, const char *text)
{
    VSTR *line = vstr_alloc(256);

    (void)deliver_log_append_full(MAIL_QUEUE_DEFER, req->queue_id, rcpt->address, rcpt->orig_addr,
                                  rcpt->offset, rcpt->dsn_orig, rcpt->notify, dsn, "delayed", text);
    deliver_format_log(line, req, rcpt, relay, dsn, status, text);
    msg_info("%s", line->buf);
    deliver_record(rcpt, DELIVER_STAT_DEFER, dsn, text);
    vstr_free(line);
}

/*
 * deliver_sent - recipient i was delivered: log status=sent and mark its R
 * record done in place (Postfix sent() + deliver_completed()).
 */
void deliver_sent(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn, const char *fmt,
                  ...)
{
    DELIVER_RCPT *rcpt = check_index(req, i);
    VSTR *text = vstr_alloc(100);
    VSTR *line = vstr_alloc(256);
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(text, fmt, ap);
    va_end(ap);
    if (!valid_dsn(dsn, "2"))
        dsn = "2.0.0";
    deliver_format_log(line, req, rcpt, relay, dsn, "sent", text->buf);
    msg_info("%s", line->buf);
    if (req->fd >= 0 && rcpt->offset > 0 && qfile_mark_done(req->fd, rcpt->offset) < 0)
        msg_warn("%s: mark recipient done at offset %ld: %m", req->queue_id, rcpt->offset);
    deliver_record(rcpt, DELIVER_STAT_OK, dsn, text->buf);
    vstr_free(text);
    vstr_free(line);
}

/*
 * deliver_bounce - recipient i failed permanently: append to bounce/QID,
 * log status=bounced and mark done. With soft_bounce=yes the recipient is
 * deferred instead (4.x.x code, status=SOFTBOUNCE). If the bounce log
 * cannot be written the recipient is deferred, so nothing is lost.
 */
void deliver_bounce(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn,
                    const char *fmt, ...)
{
    DELIVER_RCPT *rcpt = check_index(req, i);
    VSTR *text = vstr_alloc(100);
    VSTR *line = vstr_alloc(256);
    char soft[32];
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(text, fmt, ap);
    va_end(ap);
    if (!valid_dsn(dsn, "5"))
        dsn = "5.0.0";
    if (cfg_bool("soft_bounce")) {
        snprintf(soft, sizeof(soft), "4%s", dsn + 1);
        deliver_defer_common(req, rcpt, relay, soft, "SOFTBOUNCE", text->buf);
    } else if (deliver_log_append_full(MAIL_QUEUE_BOUNCE, req->queue_id, rcpt->address,
                                       rcpt->orig_addr, rcpt->offset, rcpt->dsn_orig, rcpt->notify,
                                       dsn, "failed", text->buf) < 0) {
        deliver_defer_common(req, rcpt, relay, "4.3.0", "deferred",
                             "bounce or trace service failure");
    } else {
        deliver_format_log(line, req, rcpt, relay, dsn, "bounced", text->buf);
        msg_info("%s", line->buf);
        if (req->fd >= 0 && rcpt->offset > 0 && qfile_mark_done(req->fd, rcpt->offset) < 0)
            msg_warn("%s: mark recipient done at offset %ld: %m", req->queue_id, rcpt->offset);
        deliver_record(rcpt, DELIVER_STAT_OK, dsn, text->buf);
    }
    vstr_free(text);
    vstr_free(line);
}

/*
 * deliver_defer - recipient i failed temporarily: append to defer/QID, log
 * status=deferred; the R record stays pending.
 */
void deliver_defer(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn, const char *fmt,
                   ...)
{
    DELIVER_RCPT *rcpt = check_index(req, i);
    VSTR *text = vstr_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(text, fmt, ap);
    va_end(ap);
    if (!valid_dsn(dsn, "4"))
        dsn = "4.0.0";
    deliver_defer_common(req, rcpt, relay, dsn, "deferred", text->buf);
    vstr_free(text);
}

/*
 * deliver_set_conn_time - end of connection setup (delays "c").
 */
void deliver_set_conn_time(DELIVER_REQUEST *req)
{
    gettimeofday(&req->conn, NULL);
}

/* queue_name_ok - only plain queue directory names */
static int queue_name_ok(const char *name)
{
    return *name && strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* get_long - attribute as long, default 0 */
static long get_long(const ATTR_LIST *list, const char *name)
{
    long v = 0;

    (void)attr_get_long(list, name, &v);
    return v;
}

/*
 * deliver_request_read - agent side: read one request (see deliver.h).
 * Returns NULL at EOF or on a protocol error.
 */
DELIVER_REQUEST *deliver_request_read(STREAM *client)
{
    ATTR_LIST *list;
    DELIVER_REQUEST *req;
    VSTR *path;
    long count, v;
    int i;

    if (greeted_client != client) {
        if (attr_print_str(client, "protocol", "delivery_request_protocol") < 0 ||
            attr_print_end(client) < 0 || stream_flush(client) < 0) {
            greeted_client = NULL;
            return NULL;
        }
        greeted_client = client;
    }
    list = attr_list_alloc();
    if (attr_scan(client, list, ATTR_LIMIT_DEFAULT) < 0) {
        attr_list_free(list);
        greeted_client = NULL;
        return NULL;
    }
    req = deliver_request_alloc();
    req->client = client;
    gettimeofday(&req->agent, NULL);
    req->flags = (int)get_long(list, "flags");
    req->queue_name = dup_or_empty(list, "queue_name");
    req->queue_id = dup_or_empty(list, "queue_id");
    req->data_offset = get_long(list, "offset");
    req->data_size = get_long(list, "size");
    req->nexthop = dup_or_empty(list, "nexthop");
    req->encoding = dup_or_empty(list, "encoding");
    req->sender = dup_or_empty(list, "sender");
    req->arrival.tv_sec = get_long(list, "arrival_sec");
    req->arrival.tv_usec = get_long(list, "arrival_usec");
    req->active.tv_sec = get_long(list, "active_sec");
    req->active.tv_usec = get_long(list, "active_usec");
    req->client_name = dup_or_empty(list, "log_client_name");
    req->client_addr = dup_or_empty(list, "log_client_address");
    req->client_port = dup_or_empty(list, "log_client_port");
    req->client_proto = dup_or_empty(list, "log_protocol_name");
    req->client_helo = dup_or_empty(list, "log_helo_name");
    req->rewrite_context = dup_or_empty(list, "rewrite_context");
    if (attr_get_long(list, "recipient_count", &count) < 0 || count < 0 ||
        count > DELIVER_MAX_RCPT || !mail_queue_id_ok(req->queue_id) ||
        !queue_name_ok(req->queue_name) || req->data_offset < 0 || req->arrival.tv_usec < 0 ||
        req->arrival.tv_usec >= 1000000 || req->active.tv_usec < 0 ||
        req->active.tv_usec >= 1000000) {
        msg_warn("%s: malformed delivery request", stream_path(client));
        goto bad;
    }
    req->rcpts = mymalloc(sizeof(DELIVER_RCPT) * (size_t)(count ? count : 1));
    memset(req->rcpts, 0, sizeof(DELIVER_RCPT) * (size_t)(count ? count : 1));
    for (i = 0; i < count; i++) {
        DELIVER_RCPT *r = req->rcpts + i;

        if (attr_scan(client, list, ATTR_LIMIT_DEFAULT) < 0)
            goto bad;
        req->nrcpt = i + 1;
        r->orig_addr = dup_or_empty(list, "original_recipient");
        r->address = dup_or_empty(list, "recipient");
        r->offset = get_long(list, "offset");
        r->dsn_orig = dup_or_empty(list, "dsn_orig_rcpt");
        v = get_long(list, "notify_flags");
        r->notify = (int)v;
        r->status = DELIVER_STAT_DEFER;
    }
    attr_list_free(list);

    path = vstr_alloc(64);
    mail_queue_path(path, req->queue_name, req->queue_id);
    if ((req->fd = open(path->buf, O_RDWR | O_CLOEXEC)) < 0) {
        msg_warn("open queue file %s: %m", path->buf);
    } else if (flock(req->fd, LOCK_SH) < 0) {
        msg_warn("shared lock %s: %m", path->buf);
        (void)close(req->fd);
        req->fd = -1;
    } else {
        req->fp = stream_fdopen(req->fd, path->buf);
        if (stream_seek(req->fp, req->data_offset, SEEK_SET) < 0) {
            msg_warn("seek queue file %s: %m", path->buf);
            stream_free(req->fp);
            req->fp = NULL;
            (void)close(req->fd);
            req->fd = -1;
        }
    }
    vstr_free(path);
    return req;

bad:
    attr_list_free(list);
    deliver_request_free(req);
    greeted_client = NULL;
    return NULL;
}

/*
 * deliver_request_done - agent side: send the per-recipient results and
 * the final status; recipients without an outcome are deferred first.
 * Closes the queue file and frees req. Returns 0, or -1 if the client is
 * gone (the caller drops the connection).
 */
int deliver_request_done(DELIVER_REQUEST *req, const char *hop_reason)
{
    STREAM *client = req->client;
    int status = DELIVER_STAT_OK;
    int i, ret = 0;

    for (i = 0; i < req->nrcpt; i++) {
        DELIVER_RCPT *r = req->rcpts + i;

        if (!r->reported)
            deliver_defer(req, i, "none", "4.3.0", "%s",
                          hop_reason && *hop_reason ? hop_reason
                                                    : "delivery agent reported no status");
        if (r->status != DELIVER_STAT_OK)
            status = DELIVER_STAT_DEFER;
        if (attr_print_long(client, "offset", r->offset) < 0 ||
            attr_print_long(client, "status", r->status) < 0 ||
            attr_print_str(client, "dsn", r->dsn ? r->dsn : "") < 0 ||
            attr_print_str(client, "reason", r->reason ? r->reason : "") < 0 ||
            attr_print_end(client) < 0)
            ret = -1;
    }
    if (attr_print_long(client, "status", status) < 0 ||
        attr_print_str(client, "hop_reason", hop_reason ? hop_reason : "") < 0 ||
        attr_print_end(client) < 0 || stream_flush(client) < 0)
        ret = -1;
    if (ret < 0)
        greeted_client = NULL;
    deliver_request_free(req);
    return ret;
}

/*
 * deliver_request_write - qmgr side: send one request (see deliver.h) and
 * flush. Returns 0 or -1.
 */
int deliver_request_write(STREAM *st, const DELIVER_REQUEST *req)
{
#define S(x) ((x) ? (x) : "")
    int i, err = 0;

    err |= attr_print_long(st, "flags", req->flags);
    err |= attr_print_str(st, "queue_name", S(req->queue_name));
    err |= attr_print_str(st, "queue_id", S(req->queue_id));
    err |= attr_print_long(st, "offset", req->data_offset);
    err |= attr_print_long(st, "size", req->data_size);
    err |= attr_print_str(st, "nexthop", S(req->nexthop));
    err |= attr_print_str(st, "encoding", S(req->encoding));
    err |= attr_print_str(st, "sender", S(req->sender));
    err |= attr_print_long(st, "arrival_sec", (long)req->arrival.tv_sec);
    err |= attr_print_long(st, "arrival_usec", (long)req->arrival.tv_usec);
    err |= attr_print_long(st, "active_sec", (long)req->active.tv_sec);
    err |= attr_print_long(st, "active_usec", (long)req->active.tv_usec);
    err |= attr_print_str(st, "log_client_name", S(req->client_name));
    err |= attr_print_str(st, "log_client_address", S(req->client_addr));
    err |= attr_print_str(st, "log_client_port", S(req->client_port));
    err |= attr_print_str(st, "log_protocol_name", S(req->client_proto));
    err |= attr_print_str(st, "log_helo_name", S(req->client_helo));
    err |= attr_print_str(st, "rewrite_context", S(req->rewrite_context));
    err |= attr_print_long(st, "recipient_count", req->nrcpt);
    err |= attr_print_end(st);
    for (i = 0; i < req->nrcpt && err == 0; i++) {
        const DELIVER_RCPT *r = req->rcpts + i;

        err |= attr_print_str(st, "original_recipient", S(r->orig_addr));
        err |= attr_print_str(st, "recipient", S(r->address));
        err |= attr_print_long(st, "offset", r->offset);
        err |= attr_print_str(st, "dsn_orig_rcpt", S(r->dsn_orig));
        err |= attr_print_long(st, "notify_flags", r->notify);
        err |= attr_print_end(st);
    }
    if (err == 0 && stream_flush(st) < 0)
        err = -1;
    return err ? -1 : 0;
#undef S
}

/*
 * deliver_reply_read - qmgr side: read the per-recipient results and the
 * final {status, hop_reason}. Returns 0, or -1 on EOF, timeout or a
 * malformed reply (treat as an agent crash).
 */
int deliver_reply_read(STREAM *st, DELIVER_REQUEST *req)
{
    ATTR_LIST *list = attr_list_alloc();
    const char *s;
    long v;
    int i;

    for (i = 0; i < req->nrcpt; i++) {
        DELIVER_RCPT *r = req->rcpts + i;

        if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 || attr_get_long(list, "status", &v) < 0)
            goto bad;
        myfree(r->dsn);
        myfree(r->reason);
        r->status = v == DELIVER_STAT_OK ? DELIVER_STAT_OK : DELIVER_STAT_DEFER;
        r->dsn = mystrdup((s = attr_get(list, "dsn")) ? s : "");
        r->reason = mystrdup((s = attr_get(list, "reason")) ? s : "");
        r->reported = 1;
    }
    if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 || attr_get_long(list, "status", &v) < 0)
        goto bad;
    req->status = v == DELIVER_STAT_OK ? DELIVER_STAT_OK : DELIVER_STAT_DEFER;
    myfree(req->hop_reason);
    req->hop_reason = mystrdup((s = attr_get(list, "hop_reason")) ? s : "");
    attr_list_free(list);
    return 0;
bad:
    attr_list_free(list);
    return -1;
}

/* deliver_read_content - see deliver.h */
int deliver_read_content(DELIVER_REQUEST *req, VSTR *content, ARGV *delivered_to)
{
    VSTR *rec = vstr_alloc(1024);
    int type;
    int at_bol = 1, in_headers = 1;

    vstr_reset(content);
    for (;;) {
        type = rec_get(req->fp, rec, 0);
        if (type == REC_TYPE_XTRA)
            break;
        if (type != REC_TYPE_NORM && type != REC_TYPE_CONT) {
            vstr_free(rec);
            return -1;
        }
        /* Collect Delivered-To values from the primary header block. */
        if (in_headers && at_bol) {
            if (VSTR_LEN(rec) == 0 && type == REC_TYPE_NORM) {
                in_headers = 0;
            } else if (VSTR_LEN(rec) > 13 && strncasecmp(VSTR_STR(rec), "Delivered-To:", 13) == 0) {
                const char *cp = VSTR_STR(rec) + 13;
                const char *end = VSTR_STR(rec) + VSTR_LEN(rec);

                while (cp < end && isspace((unsigned char)*cp))
                    cp++;
                while (end > cp && isspace((unsigned char)end[-1]))
                    end--;
                argv_addn(delivered_to, cp, (size_t)(end - cp));
            } else if (!isspace((unsigned char)VSTR_STR(rec)[0]) &&
                       strchr(VSTR_STR(rec), ':') == NULL) {
                in_headers = 0;
            }
        }
        vstr_addmem(content, VSTR_STR(rec), VSTR_LEN(rec));
        if (type == REC_TYPE_NORM) {
            vstr_addch(content, '\n');
            at_bol = 1;
        } else {
            at_bol = 0;
        }
    }
    vstr_free(rec);
    return 0;
}
