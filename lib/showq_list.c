/*
 * NAME
 *      showq_list - list the mail queue for showq(8) and postqueue(1)
 *
 * DESCRIPTION
 *      See showq_list.h. The walk follows Postfix showq/showq.c: queues
 *      maildrop, active, incoming, deferred, hold in that order; only
 *      committed files (mail_open_ok; maildrop files need only be regular
 *      files, as they belong to the submitting user); size = the first
 *      SIZE field (content size), or the file size for maildrop; pending
 *      'R' recipients only; the delay reason per recipient from the
 *      defer/[hash/]QID logfile ("recipient=" and "reason=" lines of each
 *      blank-line separated entry, reference 4.7).
 *
 *      The legacy printer reproduces postqueue/showq_compat.c: header
 *      "%-11s %7s %-20s %s" (long IDs "%-17s %8s %-19s %s"), message lines
 *      "%-11s %7ld %20.20s %s" with the status character after the ID ('*'
 *      active, '!' hold, '#' force-expired), MAILER-DAEMON for the null
 *      sender, reasons "(%s)" right-aligned to column 78 and printed only
 *      when they change ("(reason unavailable)" after a reason), recipients
 *      in column 42, a blank line between messages, and "-- N Kbytes in M
 *      Request(s)." or "Mail queue is empty" (trap 28). The JSON printer
 *      reproduces postqueue/showq_json.c, one object per line.
 *
 * DIAGNOSTICS
 *      Unreadable or corrupt queue files are skipped silently (they may be
 *      in flux); protocol errors make showq_list_receive() return -1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "attr.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "showq_list.h"
#include "stream.h"
#include "vstr.h"

struct SHOWQ_PRINT {
    STREAM *out;
    int format;
    int long_ids;
    unsigned long count;
    unsigned long long total;
};

typedef struct WALK_CTX {
    const char *queue;
    SHOWQ_FN fn;
    void *ctx;
} WALK_CTX;

/* defer_reasons - recipient/reason pairs from defer/QID (argv pairs) */
static ARGV *defer_reasons(const char *qid)
{
    ARGV *pairs = argv_alloc(4);
    VSTR *path = vstr_alloc(100);
    VSTR *line = vstr_alloc(200);
    char *rcpt = NULL;
    char *reason = NULL;
    STREAM *st;
    int fd;
    int ch;

    if ((fd = mail_queue_open(MAIL_QUEUE_DEFER, qid, O_RDONLY)) < 0)
        goto out;
    st = stream_fdopen(fd, mail_queue_path(path, MAIL_QUEUE_DEFER, qid));
    for (;;) {
        ch = stream_get_line(st, line, 100000);
        if (ch != STREAM_EOF && VSTR_LEN(line) > 0 && VSTR_STR(line)[VSTR_LEN(line) - 1] == '\n')
            vstr_truncate(line, VSTR_LEN(line) - 1);
        if (ch == STREAM_EOF || VSTR_LEN(line) == 0) {
            if (rcpt && reason)
                argv_add(pairs, rcpt, reason, (char *)0);
            myfree(rcpt);
            myfree(reason);
            rcpt = reason = NULL;
            if (ch == STREAM_EOF)
                break;
            continue;
        }
        if (strncmp(VSTR_STR(line), "recipient=", 10) == 0) {
            myfree(rcpt);
            rcpt = mystrdup(VSTR_STR(line) + 10);
        } else if (strncmp(VSTR_STR(line), "reason=", 7) == 0) {
            myfree(reason);
            reason = mystrdup(VSTR_STR(line) + 7);
        }
    }
    stream_close(st);
out:
    vstr_free(path);
    vstr_free(line);
    return pairs;
}

/* find_reason - the last logged reason for a recipient, or "" */
static const char *find_reason(const ARGV *pairs, const char *addr)
{
    const char *found = "";
    int i;

    for (i = 0; i + 1 < pairs->argc; i += 2)
        if (strcmp(pairs->argv[i], addr) == 0 || (*addr == 0 && strcmp(pairs->argv[i], "<>") == 0))
            found = pairs->argv[i + 1];
    return found;
}

/* walk_one - describe one queue file and call back */
static void walk_one(const char *qid, void *context)
{
    WALK_CTX *w = context;
    VSTR *path = vstr_alloc(100);
    QFILE *qf;
    struct stat st;
    STREAM *fp;
    SHOWQ_MSG msg;
    ARGV *pairs;
    int maildrop = strcmp(w->queue, MAIL_QUEUE_MAILDROP) == 0;
    int fd, i, n;

    if (maildrop) {
        mail_queue_path(path, w->queue, qid);
        if (lstat(VSTR_STR(path), &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IXUSR) == 0) {
            vstr_free(path);
            return;
        }
    } else if (!mail_open_ok(w->queue, qid, &st, path)) {
        vstr_free(path);
        return;
    }
    if ((fd = open(VSTR_STR(path), O_RDONLY | O_CLOEXEC)) < 0) {
        vstr_free(path);
        return;
    }
    fp = stream_fdopen(fd, VSTR_STR(path));
    qf = qfile_alloc();
    if (qfile_read(fp, qf, maildrop ? QFILE_FLAG_NO_SIZE : QFILE_FLAG_NONE) == 0) {
        pairs = defer_reasons(qid);
        memset(&msg, 0, sizeof(msg));
        msg.queue = w->queue;
        msg.id = qid;
        msg.time = qf->arrival_sec ? qf->arrival_sec : (long)st.st_mtime;
        msg.size = maildrop ? (long)st.st_size : qf->content_size;
        msg.forced_expire = (st.st_mode & MAIL_QUEUE_STAT_EXPIRE) != 0;
        msg.sender = qf->sender;
        msg.rcpt = mymalloc(sizeof(char *) * ((size_t)qf->nrcpt + 1));
        msg.reason = mymalloc(sizeof(char *) * ((size_t)qf->nrcpt + 1));
        for (i = n = 0; i < qf->nrcpt; i++) {
            if (qf->rcpts[i].done)
                continue;
            msg.rcpt[n] = qf->rcpts[i].address;
            msg.reason[n] = (char *)find_reason(pairs, qf->rcpts[i].address);
            n++;
        }
        msg.nrcpt = n;
        w->fn(&msg, w->ctx);
        myfree(msg.rcpt);
        myfree(msg.reason);
        argv_free(pairs);
    }
    qfile_free(qf);
    stream_close(fp);
    vstr_free(path);
}

/* showq_list_walk - call fn for every message, in showq's queue order */
void showq_list_walk(SHOWQ_FN fn, void *ctx)
{
    static const char *queues[] = {MAIL_QUEUE_MAILDROP, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING,
                                   MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD,   NULL};
    WALK_CTX w;
    int i;

    w.fn = fn;
    w.ctx = ctx;
    for (i = 0; queues[i]; i++) {
        w.queue = queues[i];
        mail_queue_scan(queues[i], walk_one, &w);
    }
}

/* send_one - one message in the showq protocol */
static void send_one(const SHOWQ_MSG *msg, void *ctx)
{
    STREAM *st = ctx;
    int i;

    attr_print_str(st, "queue_name", msg->queue);
    attr_print_str(st, "queue_id", msg->id);
    attr_print_long(st, "time", msg->time);
    attr_print_long(st, "size", msg->size);
    attr_print_long(st, "forced_expire", msg->forced_expire);
    attr_print_str(st, "sender", msg->sender);
    attr_print_end(st);
    for (i = 0; i < msg->nrcpt; i++) {
        attr_print_str(st, "recipient", msg->rcpt[i]);
        attr_print_str(st, "reason", msg->reason[i]);
        attr_print_end(st);
    }
    attr_print_end(st);
}

/* showq_list_send - the whole listing on st, flushed: 0 or -1 */
int showq_list_send(STREAM *st)
{
    attr_print_str(st, "protocol", "showq_protocol");
    attr_print_end(st);
    showq_list_walk(send_one, st);
    return stream_flush(st);
}

/* showq_list_receive - parse showq's protocol: 0 at clean EOF, else -1 */
int showq_list_receive(STREAM *st, SHOWQ_FN fn, void *ctx)
{
    ATTR_LIST *list = attr_list_alloc();
    ATTR_LIST *rl = attr_list_alloc();
    ARGV *rcpts = argv_alloc(4);
    ARGV *reasons = argv_alloc(4);
    SHOWQ_MSG msg;
    long n;
    const char *v;
    int ret = -1;

    if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 ||
        attr_expect(list, "protocol", "showq_protocol") < 0)
        goto out;
    for (;;) {
        if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0) {
            ret = 0; /* clean end */
            break;
        }
        memset(&msg, 0, sizeof(msg));
        if ((msg.queue = attr_get(list, "queue_name")) == NULL ||
            (msg.id = attr_get(list, "queue_id")) == NULL ||
            (msg.sender = attr_get(list, "sender")) == NULL ||
            attr_get_long(list, "time", &msg.time) < 0 ||
            attr_get_long(list, "size", &msg.size) < 0)
            goto out;
        msg.forced_expire = attr_get_long(list, "forced_expire", &n) == 0 && n != 0;
        argv_free(rcpts);
        argv_free(reasons);
        rcpts = argv_alloc(4);
        reasons = argv_alloc(4);
        for (;;) {
            if (attr_scan(st, rl, ATTR_LIMIT_DEFAULT) < 0)
                goto out;
            if (rl->count == 0)
                break;
            if ((v = attr_get(rl, "recipient")) == NULL)
                goto out;
            argv_add(rcpts, v, (char *)0);
            v = attr_get(rl, "reason");
            argv_add(reasons, v ? v : "", (char *)0);
        }
        msg.nrcpt = rcpts->argc;
        msg.rcpt = rcpts->argv;
        msg.reason = reasons->argv;
        fn(&msg, ctx);
    }
out:
    attr_list_free(list);
    attr_list_free(rl);
    argv_free(rcpts);
    argv_free(reasons);
    return ret;
}

/* showq_print_alloc - printer state for SHOWQ_PRINT_LEGACY or _JSON */
SHOWQ_PRINT *showq_print_alloc(STREAM *out, int format, int long_ids)
{
    SHOWQ_PRINT *sp = mymalloc(sizeof(*sp));

    sp->out = out;
    sp->format = format;
    sp->long_ids = long_ids;
    sp->count = 0;
    sp->total = 0;
    return sp;
}

/* json_str - a JSON string literal */
static void json_str(STREAM *out, const char *s)
{
    const unsigned char *cp;

    stream_putc(out, '"');
    for (cp = (const unsigned char *)s; *cp; cp++) {
        switch (*cp) {
        case '"':
            stream_puts(out, "\\\"");
            break;
        case '\\':
            stream_puts(out, "\\\\");
            break;
        case '\n':
            stream_puts(out, "\\n");
            break;
        case '\r':
            stream_puts(out, "\\r");
            break;
        case '\t':
            stream_puts(out, "\\t");
            break;
        default:
            if (*cp < 0x20 || *cp == 0x7f)
                stream_printf(out, "\\u%04X", *cp);
            else
                stream_putc(out, *cp);
        }
    }
    stream_putc(out, '"');
}

/* print_json - one postqueue -j line */
static void print_json(SHOWQ_PRINT *sp, const SHOWQ_MSG *msg)
{
    STREAM *out = sp->out;
    int i;

    stream_puts(out, "{\"queue_name\": ");
    json_str(out, msg->queue);
    stream_puts(out, ", \"queue_id\": ");
    json_str(out, msg->id);
    stream_printf(out, ", \"arrival_time\": %ld, \"message_size\": %ld, \"forced_expire\": %s",
                  msg->time, msg->size, msg->forced_expire ? "true" : "false");
    stream_puts(out, ", \"sender\": ");
    json_str(out, msg->sender);
    stream_puts(out, ", \"recipients\": [");
    for (i = 0; i < msg->nrcpt; i++) {
        if (i > 0)
            stream_puts(out, ", ");
        stream_puts(out, "{\"address\": ");
        json_str(out, msg->rcpt[i]);
        if (msg->reason[i][0]) {
            stream_puts(out, ", \"delay_reason\": ");
            json_str(out, msg->reason[i]);
        }
        stream_putc(out, '}');
    }
    stream_puts(out, "]}\n");
}

/* print_legacy - one message in the mailq format */
static void print_legacy(SHOWQ_PRINT *sp, const SHOWQ_MSG *msg)
{
    STREAM *out = sp->out;
    VSTR *id = vstr_alloc(32);
    const char *prev_reason = "";
    char tbuf[64];
    time_t t = (time_t)msg->time;
    struct tm *tm = localtime(&t);
    int status = ' ';
    int pad;
    int i;

    if (sp->count == 0) {
        if (sp->long_ids)
            stream_printf(out, "%-17s %8s %-19s %s\n", "----Queue ID-----", "--Size--",
                          "---Arrival Time----", "--Sender/Recipient------");
        else
            stream_printf(out, "%-11s %7s %-20s %s\n", "-Queue ID-", "--Size--",
                          "----Arrival Time----", "-Sender/Recipient-------");
    } else {
        stream_putc(out, '\n');
    }
    if (strcmp(msg->queue, MAIL_QUEUE_ACTIVE) == 0)
        status = '*';
    else if (strcmp(msg->queue, MAIL_QUEUE_HOLD) == 0)
        status = '!';
    if (msg->forced_expire)
        status = '#';
    vstr_sprintf(id, "%s%c", msg->id, status);
    if (tm == NULL || asctime_r(tm, tbuf) == NULL)
        snprintf(tbuf, sizeof(tbuf), "%ld", msg->time);
    if (sp->long_ids)
        stream_printf(out, "%-17s %8ld %19.19s %s\n", VSTR_STR(id), msg->size, tbuf,
                      *msg->sender ? msg->sender : "MAILER-DAEMON");
    else
        stream_printf(out, "%-11s %7ld %20.20s %s\n", VSTR_STR(id), msg->size, tbuf,
                      *msg->sender ? msg->sender : "MAILER-DAEMON");
    for (i = 0; i < msg->nrcpt; i++) {
        const char *reason = msg->reason[i];

        if (strcmp(reason, prev_reason) != 0) {
            const char *shown = *reason ? reason : "reason unavailable";

            pad = 76 - (int)strlen(shown);
            if (pad < 0)
                pad = 0;
            stream_printf(out, "%*s(%s)\n", pad, "", shown);
            prev_reason = reason;
        }
        if (sp->long_ids)
            stream_printf(out, "%-17s %8s %19s %s\n", "", "", "", msg->rcpt[i]);
        else
            stream_printf(out, "%-11s %7s %20s %s\n", "", "", "", msg->rcpt[i]);
    }
    vstr_free(id);
}

/* showq_print_msg - print one message (a SHOWQ_FN; ctx is the SHOWQ_PRINT) */
void showq_print_msg(const SHOWQ_MSG *msg, void *ctx)
{
    SHOWQ_PRINT *sp = ctx;

    if (sp->format == SHOWQ_PRINT_JSON)
        print_json(sp, msg);
    else
        print_legacy(sp, msg);
    sp->count++;
    if (msg->size > 0)
        sp->total += (unsigned long long)msg->size;
}

/* showq_print_finish - the summary line (legacy), flush and free */
void showq_print_finish(SHOWQ_PRINT *sp)
{
    if (sp->format == SHOWQ_PRINT_LEGACY) {
        if (sp->count == 0)
            stream_puts(sp->out, "Mail queue is empty\n");
        else
            stream_printf(sp->out, "\n-- %llu Kbytes in %lu Request%s.\n", sp->total / 1024,
                          sp->count, sp->count == 1 ? "" : "s");
    }
    stream_flush(sp->out);
    myfree(sp);
}
