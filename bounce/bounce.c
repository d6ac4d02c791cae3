/*
 * NAME
 *     bounce - delivery status notifications
 * SYNOPSIS
 *     bounce [generic server options]    (started by master(8))
 * DESCRIPTION
 *     bounce(8) turns the per-message bounce logfile bounce/QID (reference
 *     4.7 format: blank-line separated entries of name=value lines,
 *     recipient=, original_recipient=, offset=, dsn_orig_rcpt=, status=,
 *     action=, reason=; the old-style "<rcpt>: text" line is ignored) into
 *     a non-delivery notification to the sender. It runs under
 *     single_server_main() on private/bounce with -u. Protocol (attr0):
 *
 *       server: {protocol=delivery_status_protocol}
 *       per request:
 *         client: {nrequest=N, queue_id=QID, sender=ADDR, queue_name=Q}
 *         server: {status=0|1}
 *
 *     nrequest 1 (FLUSH): send the notification, remove bounce/QID, reply
 *     status 0; any failure replies 1 and keeps the log (qmgr retries).
 *     nrequest 2 (WARN): delay warnings are not implemented
 *     (delay_warning_time is 0 by default); replies 0.
 *
 *     The notification (RFC 3464, RFC 6522) is submitted through cleanup(8)
 *     with the null sender and "A rewrite_context=local" (cleanup adds
 *     Message-Id and Date): From: MAILER-DAEMON@$myhostname (Mail Delivery
 *     System), Subject: Undelivered Mail Returned to Sender,
 *     multipart/report; report-type=delivery-status with a text/plain part
 *     listing "<rcpt>: reason" for each failed recipient, a
 *     message/delivery-status part (Reporting-MTA, X-Postfix-Queue-ID,
 *     X-Postfix-Sender, Arrival-Date; per recipient Final-Recipient,
 *     Original-Recipient, Action, Status, Diagnostic-Code) and the original
 *     message headers as text/rfc822-headers, read from the queue file
 *     queue_name/QID. It logs "QID: sender non-delivery notification:
 *     NEWQID" as Postfix does.
 *
 *     Mail from the null sender gets no notification (Postfix would send it
 *     to the postmaster): bounce logs "QID: undeliverable null-sender
 *     message; notification discarded" and removes the log.
 * DIAGNOSTICS
 *     Problems (unreadable log, cleanup unavailable or rejecting) are
 *     logged with msg_warn and answered with status 1.
 * SEE ALSO
 *     Postfix bounce(8), bounce_notify_service.c; RFC 3464; reference 4.7.
 */
#include <errno.h>
#include <strings.h>
#include <fcntl.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_proto.h"
#include "config.h"
#include "mail_queue.h"
#include "mail_date.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define BOUNCE_LINE_LIMIT (64 * 1024) /* longest logfile line accepted */
#define BOUNCE_REC_LIMIT (1024 * 1024)

#define BOUNCE_CMD_FLUSH 1
#define BOUNCE_CMD_WARN 2

typedef struct BOUNCE_RCPT {
    char *recipient;
    char *orig;
    char *dsn_orig;
    char *status;
    char *action;
    char *reason;
} BOUNCE_RCPT;

typedef struct BOUNCE_LOG {
    BOUNCE_RCPT *rcpts;
    int count;
    int cap;
} BOUNCE_LOG;

/* log_free - release a parsed logfile. */
static void log_free(BOUNCE_LOG *log)
{
    int i;

    for (i = 0; i < log->count; i++) {
        myfree(log->rcpts[i].recipient);
        myfree(log->rcpts[i].orig);
        myfree(log->rcpts[i].dsn_orig);
        myfree(log->rcpts[i].status);
        myfree(log->rcpts[i].action);
        myfree(log->rcpts[i].reason);
    }
    myfree(log->rcpts);
    memset(log, 0, sizeof(*log));
}

/* set_field - replace *field with a copy of value. */
static void set_field(char **field, const char *value)
{
    myfree(*field);
    *field = mystrdup(value);
}

/*
 * log_read - parse bounce/QID. Returns 0 (entries in log, possibly none),
 * or -1 with errno (ENOENT: no logfile).
 */
static int log_read(const char *qid, BOUNCE_LOG *log)
{
    int fd = mail_queue_open(MAIL_QUEUE_BOUNCE, qid, O_RDONLY);
    STREAM *st;
    VSTR *line = vstr_alloc(256);
    BOUNCE_RCPT *cur = 0;
    int ch;

    if (fd < 0) {
        vstr_free(line);
        return -1;
    }
    st = stream_fdopen(fd, qid);
    while ((ch = stream_get_line(st, line, BOUNCE_LINE_LIMIT)) != STREAM_EOF) {
        char *eq;

        while (line->len > 0 &&
               (line->buf[line->len - 1] == '\n' || line->buf[line->len - 1] == '\r'))
            vstr_truncate(line, line->len - 1);
        if (line->len == 0) {
            cur = 0;
            continue;
        }
        if (line->buf[0] == '<' || (eq = strchr(line->buf, '=')) == 0)
            continue; /* old-style "<rcpt>: text" line */
        *eq = 0;
        if (strcmp(line->buf, "recipient") == 0) {
            if (log->count >= log->cap) {
                log->cap = log->cap ? log->cap * 2 : 8;
                log->rcpts = myrealloc(log->rcpts, log->cap * sizeof(BOUNCE_RCPT));
            }
            cur = log->rcpts + log->count++;
            memset(cur, 0, sizeof(*cur));
            set_field(&cur->recipient, eq + 1);
            continue;
        }
        if (cur == 0)
            continue;
        if (strcmp(line->buf, "original_recipient") == 0)
            set_field(&cur->orig, eq + 1);
        else if (strcmp(line->buf, "dsn_orig_rcpt") == 0)
            set_field(&cur->dsn_orig, eq + 1);
        else if (strcmp(line->buf, "status") == 0)
            set_field(&cur->status, eq + 1);
        else if (strcmp(line->buf, "action") == 0)
            set_field(&cur->action, eq + 1);
        else if (strcmp(line->buf, "reason") == 0)
            set_field(&cur->reason, eq + 1);
    }
    (void)stream_close(st);
    vstr_free(line);
    return 0;
}

/* put_line - one text line as an N record. */
static void put_line(STREAM *st, const char *text)
{
    rec_put(st, REC_TYPE_NORM, text, strlen(text));
}

/*
 * open_original - open queue_name/QID, read its envelope and position the
 * stream at the first content record. Returns the stream (arrival time in
 * *arrival) or NULL (logged).
 */
static STREAM *open_original(const char *queue_name, const char *qid, long *arrival)
{
    int fd = mail_queue_open(queue_name, qid, O_RDONLY);
    QFILE *qf;
    STREAM *src;

    *arrival = 0;
    if (fd < 0) {
        msg_warn("%s: open %s/%s: %m", qid, queue_name, qid);
        return 0;
    }
    src = stream_fdopen(fd, qid);
    qf = qfile_alloc();
    if (qfile_read(src, qf, QFILE_FLAG_NONE) < 0) {
        msg_warn("%s: %s/%s: %s", qid, queue_name, qid, qf->error);
    } else if (stream_seek(src, qf->data_offset, SEEK_SET) < 0) {
        msg_warn("%s: seek %s/%s: %m", qid, queue_name, qid);
    } else {
        *arrival = qf->arrival_sec;
        qfile_free(qf);
        return src;
    }
    qfile_free(qf);
    (void)stream_close(src);
    return 0;
}

/*
 * copy_headers - copy the original message's primary headers (the content
 * records up to the first empty line) from src into st.
 */
static void copy_headers(STREAM *st, STREAM *src)
{
    VSTR *buf = vstr_alloc(1024);
    int type;
    int at_start = 1;

    while ((type = rec_get(src, buf, BOUNCE_REC_LIMIT)) == REC_TYPE_NORM || type == REC_TYPE_CONT) {
        if (at_start && type == REC_TYPE_NORM && buf->len == 0)
            break;
        rec_put(st, type, buf->buf, buf->len);
        at_start = (type == REC_TYPE_NORM);
    }
    if (!at_start) /* never leave a partial line */
        rec_put(st, REC_TYPE_NORM, "", 0);
    vstr_free(buf);
}

/*
 * send_notice - build and submit the non-delivery notification. Returns 0
 * and the new queue ID, or -1.
 */
static int send_notice(const char *qid, const char *sender, const char *queue_name,
                       const BOUNCE_LOG *log, VSTR *newqid)
{
    const char *host = cfg_str("myhostname");
    CLEANUP_CLIENT *cl;
    STREAM *st;
    VSTR *line = vstr_alloc(256);
    VSTR *boundary = vstr_alloc(64);
    VSTR *date = vstr_alloc(64);
    VSTR *reason = vstr_alloc(64);
    struct timeval now;
    long arrival;
    int status;
    int i;

    if ((cl = cleanup_open()) == 0)
        goto fail;
    if (cleanup_begin(cl, CLEANUP_FLAG_MAP_OK, newqid) < 0) {
        cleanup_close(cl);
        goto fail;
    }
    st = cl->st;
    gettimeofday(&now, 0);
    vstr_sprintf(line, "%ld %ld", (long)now.tv_sec, (long)now.tv_usec);
    rec_put(st, REC_TYPE_TIME, line->buf, line->len);
    rec_put(st, REC_TYPE_ATTR, "rewrite_context=local", 21);
    rec_put(st, REC_TYPE_FROM, "", 0);
    vstr_sprintf(line, "dsn_orig_rcpt=rfc822;%s", sender);
    rec_put(st, REC_TYPE_ATTR, line->buf, line->len);
    rec_put(st, REC_TYPE_ORCP, sender, strlen(sender));
    rec_put(st, REC_TYPE_RCPT, sender, strlen(sender));
    rec_put(st, REC_TYPE_MESG, "", 0);

    vstr_sprintf(boundary, "%s.%ld/%s", qid, (long)now.tv_sec, host);
    vstr_sprintf(line, "From: MAILER-DAEMON@%s (Mail Delivery System)", host);
    put_line(st, line->buf);
    put_line(st, "Subject: Undelivered Mail Returned to Sender");
    vstr_sprintf(line, "To: %s", sender);
    put_line(st, line->buf);
    put_line(st, "Auto-Submitted: auto-replied");
    put_line(st, "MIME-Version: 1.0");
    put_line(st, "Content-Type: multipart/report; report-type=delivery-status;");
    vstr_sprintf(line, "\tboundary=\"%s\"", boundary->buf);
    put_line(st, line->buf);
    put_line(st, "Content-Transfer-Encoding: 8bit");
    put_line(st, "");
    put_line(st, "This is a MIME-encapsulated message.");
    put_line(st, "");

    /* Part 1: the human-readable text. */
    vstr_sprintf(line, "--%s", boundary->buf);
    put_line(st, line->buf);
    put_line(st, "Content-Description: Notification");
    put_line(st, "Content-Type: text/plain; charset=us-ascii");
    put_line(st, "");
    vstr_sprintf(line, "This is the mail system at host %s.", host);
    put_line(st, line->buf);
    put_line(st, "");
    put_line(st, "I'm sorry to have to inform you that your message could not");
    put_line(st, "be delivered to one or more recipients. It's attached below.");
    put_line(st, "");
    put_line(st, "For further assistance, please send mail to postmaster.");
    put_line(st, "");
    put_line(st, "If you do so, please include this problem report. You can");
    put_line(st, "delete your own text from the attached returned message.");
    put_line(st, "");
    put_line(st, "                   The mail system");
    for (i = 0; i < log->count; i++) {
        const BOUNCE_RCPT *r = log->rcpts + i;
        put_line(st, "");
        vstr_sprintf(line, "<%s>: %s", r->recipient, r->reason ? r->reason : "");
        put_line(st, line->buf);
    }
    put_line(st, "");

    /* Part 2: the machine-readable report (RFC 3464). */
    vstr_sprintf(line, "--%s", boundary->buf);
    put_line(st, line->buf);
    put_line(st, "Content-Description: Delivery report");
    put_line(st, "Content-Type: message/delivery-status");
    put_line(st, "");
    vstr_sprintf(line, "Reporting-MTA: dns; %s", host);
    put_line(st, line->buf);
    vstr_sprintf(line, "X-Postfix-Queue-ID: %s", qid);
    put_line(st, line->buf);
    vstr_sprintf(line, "X-Postfix-Sender: rfc822; %s", sender);
    put_line(st, line->buf);
    {
        STREAM *orig = open_original(queue_name, qid, &arrival);

        if (arrival > 0) {
            mail_date(date, arrival);
            vstr_sprintf(line, "Arrival-Date: %s", date->buf);
            put_line(st, line->buf);
        }
        for (i = 0; i < log->count; i++) {
            const BOUNCE_RCPT *r = log->rcpts + i;
            put_line(st, "");
            vstr_sprintf(line, "Final-Recipient: rfc822; %s", r->recipient);
            put_line(st, line->buf);
            if (r->dsn_orig && strncasecmp(r->dsn_orig, "rfc822;", 7) == 0) {
                vstr_sprintf(line, "Original-Recipient: %s", r->dsn_orig);
                put_line(st, line->buf);
            } else if (r->orig && *r->orig) {
                vstr_sprintf(line, "Original-Recipient: rfc822;%s", r->orig);
                put_line(st, line->buf);
            }
            vstr_sprintf(line, "Action: %s", r->action ? r->action : "failed");
            put_line(st, line->buf);
            vstr_sprintf(line, "Status: %s", r->status ? r->status : "5.0.0");
            put_line(st, line->buf);
            vstr_sprintf(line, "Diagnostic-Code: X-Postfix; %s", r->reason ? r->reason : "");
            put_line(st, line->buf);
        }
        put_line(st, "");

        /* Part 3: the original headers. */
        vstr_sprintf(line, "--%s", boundary->buf);
        put_line(st, line->buf);
        put_line(st, "Content-Description: Undelivered Message Headers");
        put_line(st, "Content-Type: text/rfc822-headers");
        put_line(st, "");
        if (orig) {
            copy_headers(st, orig);
            (void)stream_close(orig);
        }
    }
    put_line(st, "");
    vstr_sprintf(line, "--%s--", boundary->buf);
    put_line(st, line->buf);
    rec_put(st, REC_TYPE_XTRA, "", 0);
    rec_put(st, REC_TYPE_END, "", 0);

    status = cleanup_finish(cl, reason);
    cleanup_close(cl);
    if (status != 0) {
        msg_warn("%s: cleanup rejected the notification: status %d%s%s", qid, status,
                 reason->len ? ": " : "", reason->buf);
        goto fail;
    }
    vstr_free(line);
    vstr_free(boundary);
    vstr_free(date);
    vstr_free(reason);
    return 0;

fail:
    vstr_free(line);
    vstr_free(boundary);
    vstr_free(date);
    vstr_free(reason);
    return -1;
}

/* bounce_flush - nrequest FLUSH. Returns the reply status (0 or 1). */
static int bounce_flush(const char *qid, const char *sender, const char *queue_name)
{
    BOUNCE_LOG log;
    VSTR *newqid;
    int rc = 1;

    memset(&log, 0, sizeof(log));
    if (log_read(qid, &log) < 0) {
        if (errno == ENOENT)
            return 0; /* nothing to report */
        msg_warn("%s: read %s/%s: %m", qid, MAIL_QUEUE_BOUNCE, qid);
        return 1;
    }
    if (log.count == 0) {
        rc = 0;
    } else if (*sender == 0) {
        msg_info("%s: undeliverable null-sender message; notification discarded", qid);
        rc = 0;
    } else {
        newqid = vstr_alloc(32);
        if (send_notice(qid, sender, queue_name, &log, newqid) == 0) {
            msg_info("%s: sender non-delivery notification: %s", qid, newqid->buf);
            rc = 0;
        }
        vstr_free(newqid);
    }
    if (rc == 0 && mail_queue_remove(MAIL_QUEUE_BOUNCE, qid) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s/%s: %m", qid, MAIL_QUEUE_BOUNCE, qid);
    log_free(&log);
    return rc;
}

/* queue_name_ok - only the queues a message can be in. */
static int queue_name_ok(const char *name)
{
    static const char *const ok[] = {MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED,
                                     MAIL_QUEUE_HOLD, 0};
    int i;

    for (i = 0; ok[i]; i++)
        if (strcmp(name, ok[i]) == 0)
            return 1;
    return 0;
}

/* bounce_service - serve one client connection (any number of requests). */
static void bounce_service(STREAM *client, const char *service, char **argv)
{
    ATTR_LIST *req = attr_list_alloc();
    long nrequest;
    const char *qid;
    const char *sender;
    const char *queue_name;
    int status;

    if (attr_print_str(client, "protocol", "delivery_status_protocol") < 0 ||
        attr_print_end(client) < 0 || stream_flush(client) < 0) {
        attr_list_free(req);
        return;
    }
    while (attr_scan(client, req, ATTR_LIMIT_DEFAULT) == 0) {
        qid = attr_get(req, "queue_id");
        sender = attr_get(req, "sender");
        queue_name = attr_get(req, "queue_name");
        if (attr_get_long(req, "nrequest", &nrequest) < 0 || qid == 0 || !mail_queue_id_ok(qid)) {
            msg_warn("malformed request from client");
            status = 1;
        } else if (nrequest == BOUNCE_CMD_FLUSH) {
            if (sender == 0 || queue_name == 0 || !queue_name_ok(queue_name)) {
                msg_warn("%s: malformed flush request", qid);
                status = 1;
            } else {
                status = bounce_flush(qid, sender, queue_name);
            }
        } else if (nrequest == BOUNCE_CMD_WARN) {
            status = 0;
        } else {
            msg_warn("%s: unsupported request %ld", qid, nrequest);
            status = 1;
        }
        if (attr_print_long(client, "status", status) < 0 || attr_print_end(client) < 0 ||
            stream_flush(client) < 0)
            break;
    }
    attr_list_free(req);
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {0};

    msg_init(argv[0], MSG_SYSLOG);
    single_server_main(argc, argv, bounce_service, &opts);
}
