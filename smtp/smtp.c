/*
 * NAME
 *      smtp, lmtp - Postern SMTP/LMTP client (delivery agent)
 *
 * SYNOPSIS
 *      lmtp [generic daemon options]     (started by master, master.cf
 *                                         "lmtp unix - - n - - lmtp")
 *
 * DESCRIPTION
 *      One program with two names (reference 8.3): basename(argv[0])
 *      "lmtp" speaks LMTP (RFC 2033), "smtp" is the SMTP client. Any other
 *      name is fatal. The SMTP role is not implemented yet: every
 *      recipient is deferred with "4.3.0 SMTP client not implemented yet"
 *      and a warning is logged.
 *
 *      The agent reads delivery requests from qmgr (lib/deliver.h). The
 *      request's nexthop selects the server:
 *          unix:/path, unix:private/dovecot-lmtp (relative to
 *          queue_directory, the daemon's working directory),
 *          inet:host:port, host:port, [host]:port, host, [host]
 *      (the default LMTP port is 24; no MX lookup is done for LMTP).
 *
 *      Session: greeting, LHLO $lmtp_lhlo_name, then per message MAIL
 *      FROM, one RCPT TO per recipient and DATA. When the server announces
 *      PIPELINING, MAIL, all RCPTs and DATA go out in one write. Each RCPT
 *      reply is a per-recipient result (4xx defer, 5xx bounce). After the
 *      content (dot-stuffed, CRLF line ends) the server sends one reply per
 *      accepted recipient (RFC 2033 section 4.2), each recorded with
 *      deliver_sent/deliver_defer/deliver_bounce. The content is sent as
 *      queued: LMTP adds no headers (the server adds Return-Path and
 *      Delivered-To).
 *
 *      The connection is kept while the process lives and reused for the
 *      next request to the same destination (RSET first; a dead cached
 *      connection is replaced by a new one), up to
 *      lmtp_connection_reuse_time_limit seconds; QUIT is sent when the
 *      process exits.
 *
 *      Timeouts (seconds, Postfix's defaults): lmtp_connect_timeout (0 =
 *      the system's), lmtp_lhlo_timeout 300, lmtp_mail_timeout 300,
 *      lmtp_rcpt_timeout 300, lmtp_data_init_timeout 120,
 *      lmtp_data_xfer_timeout 180, lmtp_data_done_timeout 600,
 *      lmtp_rset_timeout 20, lmtp_quit_timeout 300. The number of
 *      recipients per request is lmtp_destination_recipient_limit,
 *      enforced by qmgr when it builds requests.
 *
 * DIAGNOSTICS
 *      Delivery lines as Postfix writes them: "QID: to=<rcpt>,
 *      relay=HOST[ADDR], delay=.., delays=.., dsn=2.0.0, status=sent (250
 *      2.0.0 <rcpt> ID Saved)". For a UNIX socket HOST is $myhostname and
 *      ADDR the socket path as given in the nexthop ("private/dovecot-lmtp");
 *      for TCP it is host[address]:port.
 *      Server rejections: "host HOST[ADDR] said: 550 5.1.1 ... (in reply to
 *      RCPT TO command)". Connection failures ("connect to HOST[ADDR]:
 *      reason", dsn 4.4.1), a bad greeting (dsn 4.x.x of the reply) and a
 *      lost connection ("lost connection with HOST[ADDR] while ...", dsn
 *      4.4.2) defer every remaining recipient and report a hop_reason so
 *      that qmgr throttles the destination.
 *
 * SEE ALSO
 *      RFC 2033 (LMTP), RFC 5321, RFC 2920 (PIPELINING); Postfix lmtp(8);
 *      reference sections 8.3 and 10.2.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "deliver.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define REPLY_LINE_LIMIT 4096 /* bytes per reply line kept; the rest is skipped */
#define REPLY_MAX_LINES 1000  /* a multi-line reply longer than this is an error */

/* One cached LMTP session. */
typedef struct SESSION {
    STREAM *st;
    char *dest;  /* nexthop it was opened for */
    char *host;  /* for "host[addr]" */
    char *addr;  /* address or socket path */
    char *relay; /* the relay= text: host[addr] or host[addr]:port */
    int pipelining;
    time_t start;
} SESSION;

static SESSION *cached;
static int lmtp_role;
static const char *proto_name = "lmtp";

/* One server reply: code, dsn and the text (lines joined with a space). */
typedef struct REPLY {
    int code;
    char dsn[16];
    VSTR *text;
} REPLY;

/* param_time - the <proto>_NAME time parameter, seconds */
static long param_time(const char *suffix)
{
    char name[64];

    snprintf(name, sizeof(name), "%s_%s", proto_name, suffix);
    if (!cfg_is_known(name))
        msg_fatal("unknown parameter %s", name);
    return cfg_time(name);
}

/* session_free - close a session without QUIT */
static void session_free(SESSION *s)
{
    if (s == NULL)
        return;
    if (s->st)
        stream_close(s->st);
    myfree(s->dest);
    myfree(s->host);
    myfree(s->addr);
    myfree(s->relay);
    myfree(s);
}

/*
 * lmtp_parse_dsn - extract an enhanced status code "d.ddd.ddd" from the
 * start of text (after the reply code) into dsn (size >= 16); when absent,
 * derive "C.0.0" from the reply code's class. Returns the length of the
 * dsn found in text (0 if none).
 */
static size_t lmtp_parse_dsn(const char *text, int code, char *dsn)
{
    const char *cp = text;
    int parts = 0;
    size_t n;

    for (;;) {
        n = strspn(cp, "0123456789");
        if (n == 0 || n > 3)
            break;
        cp += n;
        parts++;
        if (parts == 3 || *cp != '.')
            break;
        cp++;
    }
    n = (size_t)(cp - text);
    if (parts == 3 && (text[0] == '2' || text[0] == '4' || text[0] == '5') && text[1] == '.' &&
        n < 16 && (*cp == ' ' || *cp == 0) && text[0] - '0' == code / 100) {
        memcpy(dsn, text, n);
        dsn[n] = 0;
        return n;
    }
    snprintf(dsn, 16, "%d.0.0", code / 100 >= 2 && code / 100 <= 5 ? code / 100 : 4);
    return 0;
}

/*
 * lmtp_get_reply - read one (possibly multi-line) reply. Returns 0 with
 * r->code 200..599, or -1 on EOF, timeout or a malformed reply.
 */
static int lmtp_get_reply(STREAM *st, REPLY *r)
{
    VSTR *line = vstr_alloc(128);
    int lines = 0;
    int ch;

    vstr_reset(r->text);
    r->code = 0;
    for (;;) {
        const char *s;
        size_t len;

        ch = stream_get_line(st, line, REPLY_LINE_LIMIT);
        if (ch == STREAM_EOF)
            break;
        if (ch != '\n') { /* over-long line: skip to its end */
            int c;
            while ((c = stream_getc(st)) != STREAM_EOF && c != '\n')
                ;
            if (c == STREAM_EOF)
                break;
        }
        s = VSTR_STR(line);
        len = VSTR_LEN(line);
        while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
            len--;
        if (len < 3 || s[0] < '2' || s[0] > '5' || s[1] < '0' || s[1] > '9' || s[2] < '0' ||
            s[2] > '9' || (len > 3 && s[3] != ' ' && s[3] != '-')) {
            msg_warn("malformed %s reply: %.100s", lmtp_role ? "LMTP" : "SMTP", s);
            break;
        }
        if (VSTR_LEN(r->text) > 0)
            vstr_addch(r->text, ' ');
        vstr_addmem(r->text, s, len);
        if (len <= 3 || s[3] == ' ') {
            r->code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
            /* dsn from the first line's text */
            lmtp_parse_dsn(VSTR_LEN(r->text) > 4 ? VSTR_STR(r->text) + 4 : "", r->code, r->dsn);
            vstr_free(line);
            return 0;
        }
        if (++lines > REPLY_MAX_LINES)
            break;
    }
    vstr_free(line);
    return -1;
}

/* lmtp_cmd - write one command line (buffered; caller flushes) */
static int lmtp_cmd(STREAM *st, const char *fmt, const char *arg)
{
    stream_printf(st, fmt, arg);
    return stream_puts(st, "\r\n");
}

/* lmtp_disconnect - QUIT (best effort) and drop the cached session */
static void lmtp_disconnect(int quit)
{
    if (cached == NULL)
        return;
    if (quit && cached->st) {
        REPLY r = {0};
        r.text = vstr_alloc(64);
        stream_set_timeout(cached->st, (int)param_time("quit_timeout"));
        if (lmtp_cmd(cached->st, "%s", "QUIT") == 0 && stream_flush(cached->st) == 0)
            (void)lmtp_get_reply(cached->st, &r);
        vstr_free(r.text);
    }
    session_free(cached);
    cached = NULL;
}

/*
 * lmtp_connect - open a session to nexthop. Returns the session, or NULL
 * with why (the reason text) and dsn set.
 */
static SESSION *lmtp_connect(const char *nexthop, VSTR *why, char *dsn)
{
    SESSION *s = mymalloc(sizeof(*s));
    const char *myhost = cfg_str("myhostname");
    int conn_timeout = (int)param_time("connect_timeout");
    int fd = -1;
    REPLY r = {0};
    VSTR *tmp;

    memset(s, 0, sizeof(*s));
    s->dest = mystrdup(nexthop);
    if (strncmp(nexthop, "unix:", 5) == 0) {
        const char *path = nexthop + 5;

        s->host = mystrdup(myhost);
        s->addr = mystrdup(path);
        tmp = vstr_alloc(64);
        vstr_sprintf(tmp, "%s[%s]", s->host, s->addr);
        s->relay = mystrdup(VSTR_STR(tmp));
        vstr_free(tmp);
        fd = unix_connect(path, 0, conn_timeout);
    } else {
        const char *hp = strncmp(nexthop, "inet:", 5) == 0 ? nexthop + 5 : nexthop;
        char *host;
        const char *port = "24";
        char *colon;
        VSTR *a = vstr_alloc(64), *p = vstr_alloc(16);

        if (*hp == '[') {
            const char *end = strchr(hp, ']');
            host = end ? mystrndup(hp + 1, (size_t)(end - hp - 1)) : mystrdup(hp + 1);
            if (end && end[1] == ':' && end[2])
                port = end + 2;
        } else {
            host = mystrdup(hp);
            if ((colon = strrchr(host, ':')) != NULL && strchr(host, ':') == colon) {
                *colon = 0;
                port = hp + (colon - host) + 1;
            }
        }
        s->host = host;
        fd = inet_connect(host, port, conn_timeout);
        if (fd >= 0 && peer_addr(fd, a, p) == 0)
            s->addr = mystrdup(VSTR_STR(a));
        else
            s->addr = mystrdup(host);
        tmp = vstr_alloc(64);
        vstr_sprintf(tmp, "%s[%s]:%s", s->host, s->addr, port);
        s->relay = mystrdup(VSTR_STR(tmp));
        vstr_free(tmp);
        vstr_free(a);
        vstr_free(p);
    }
    if (fd < 0) {
        vstr_sprintf(why, "connect to %s[%s]: %m", s->host, s->addr);
        strcpy(dsn, "4.4.1");
        session_free(s);
        return NULL;
    }
    close_on_exec(fd, 1);
    s->st = stream_fdopen(fd, s->relay);
    s->start = time(NULL);
    r.text = vstr_alloc(128);

    /* Greeting. */
    stream_set_timeout(s->st, (int)param_time(lmtp_role ? "lhlo_timeout" : "helo_timeout"));
    if (lmtp_get_reply(s->st, &r) < 0) {
        vstr_sprintf(why, "lost connection with %s while receiving the initial server greeting",
                     s->relay);
        strcpy(dsn, "4.4.2");
        goto fail;
    }
    if (r.code / 100 != 2) {
        vstr_sprintf(why, "host %s refused to talk to me: %s", s->relay, VSTR_STR(r.text));
        strcpy(dsn, r.dsn);
        dsn[0] = '4';
        goto fail;
    }
    /* LHLO; look for PIPELINING among the extensions. */
    lmtp_cmd(s->st, "LHLO %s", cfg_str(lmtp_role ? "lmtp_lhlo_name" : "smtp_helo_name"));
    if (stream_flush(s->st) < 0 || lmtp_get_reply(s->st, &r) < 0) {
        vstr_sprintf(why, "lost connection with %s while performing the LHLO handshake", s->relay);
        strcpy(dsn, "4.4.2");
        goto fail;
    }
    if (r.code / 100 != 2) {
        vstr_sprintf(why, "host %s refused to talk to me: %s (in reply to LHLO command)", s->relay,
                     VSTR_STR(r.text));
        strcpy(dsn, r.dsn);
        dsn[0] = '4';
        goto fail;
    }
    {
        /* The joined text is "250-name 250-EXT ... 250 EXT": look at words. */
        const char *cp = VSTR_STR(r.text);
        while ((cp = strcasestr(cp, "PIPELINING")) != NULL) {
            if ((cp == VSTR_STR(r.text) || cp[-1] == ' ' || cp[-1] == '-') &&
                (cp[10] == 0 || cp[10] == ' ')) {
                s->pipelining = 1;
                break;
            }
            cp += 10;
        }
    }
    vstr_free(r.text);
    return s;

fail:
    vstr_free(r.text);
    session_free(s);
    return NULL;
}

/* lmtp_rset - check a cached session with RSET; 0 if usable */
static int lmtp_rset(SESSION *s)
{
    REPLY r = {0};
    int ok;

    r.text = vstr_alloc(64);
    stream_set_timeout(s->st, (int)param_time("rset_timeout"));
    ok = lmtp_cmd(s->st, "%s", "RSET") == 0 && stream_flush(s->st) == 0 &&
         lmtp_get_reply(s->st, &r) == 0 && r.code / 100 == 2;
    vstr_free(r.text);
    return ok ? 0 : -1;
}

/* report - record one recipient's outcome from a server reply */
static void report(DELIVER_REQUEST *req, int i, SESSION *s, const REPLY *r, const char *command)
{
    if (r->code / 100 == 2)
        deliver_sent(req, i, s->relay, r->dsn, "%s", VSTR_STR(r->text));
    else if (r->code / 100 == 5)
        deliver_bounce(req, i, s->relay, r->dsn, "host %s said: %s (in reply to %s command)",
                       s->relay, VSTR_STR(r->text), command);
    else {
        char dsn[16];
        snprintf(dsn, sizeof(dsn), "%s", r->dsn);
        dsn[0] = '4';
        deliver_defer(req, i, s->relay, dsn, "host %s said: %s (in reply to %s command)", s->relay,
                      VSTR_STR(r->text), command);
    }
}

/* defer_rest - defer every recipient not yet reported */
static void defer_rest(DELIVER_REQUEST *req, const char *relay, const char *dsn, const char *why)
{
    int i;

    for (i = 0; i < req->nrcpt; i++)
        if (!req->rcpts[i].reported)
            deliver_defer(req, i, relay, dsn, "%s", why);
}

/*
 * lmtp_send_content - copy the message content records to the server,
 * dot-stuffed, with CRLF line ends, followed by ".". Returns 0, -1 on a
 * network error, -2 on a queue file error.
 */
static int lmtp_send_content(DELIVER_REQUEST *req, STREAM *st)
{
    VSTR *buf = vstr_alloc(1024);
    int bol = 1;
    int type;
    int ret = 0;

    if (stream_seek(req->fp, req->data_offset, SEEK_SET) < 0) {
        vstr_free(buf);
        return -2;
    }
    for (;;) {
        type = rec_get(req->fp, buf, 0);
        if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
            const char *d = VSTR_STR(buf);
            if (bol && VSTR_LEN(buf) > 0 && d[0] == '.')
                stream_putc(st, '.');
            stream_write(st, d, VSTR_LEN(buf));
            if (type == REC_TYPE_NORM) {
                stream_puts(st, "\r\n");
                bol = 1;
            } else {
                bol = 0;
            }
            if (stream_error(st)) {
                ret = -1;
                break;
            }
            continue;
        }
        if (type == REC_TYPE_XTRA || type == REC_TYPE_END)
            break;
        ret = -2; /* EOF, error or unexpected record inside the content */
        break;
    }
    vstr_free(buf);
    if (ret == 0) {
        if (!bol)
            stream_puts(st, "\r\n");
        stream_puts(st, ".\r\n");
        if (stream_flush(st) < 0)
            ret = -1;
    }
    return ret;
}

/* lmtp_deliver - one delivery request; returns the hop_reason ("" if none) */
static void lmtp_deliver(DELIVER_REQUEST *req, VSTR *hop)
{
    VSTR *why = vstr_alloc(128);
    char dsn[16];
    SESSION *s;
    REPLY r = {0};
    int *accepted = mymalloc(sizeof(int) * (size_t)(req->nrcpt > 0 ? req->nrcpt : 1));
    int naccepted = 0;
    int i;
    int reused = 0;
    const char *stage;
    const char *relay;

    r.text = vstr_alloc(256);
    vstr_reset(hop);

    /* A usable session: the cached one (checked with RSET), else a new one. */
    if (cached && (strcmp(cached->dest, req->nexthop) != 0 ||
                   time(NULL) - cached->start >= param_time("connection_reuse_time_limit")))
        lmtp_disconnect(1);
    if (cached && lmtp_rset(cached) < 0)
        lmtp_disconnect(0);
    if (cached) {
        reused = 1;
    } else if ((cached = lmtp_connect(req->nexthop, why, dsn)) == NULL) {
        const char *host = strncmp(req->nexthop, "unix:", 5) == 0 ? req->nexthop + 5 : "none";
        VSTR *rl = vstr_alloc(64);
        if (strncmp(req->nexthop, "unix:", 5) == 0)
            vstr_sprintf(rl, "%s[%s]", cfg_str("myhostname"), host);
        else
            vstr_sprintf(rl, "%s", "none");
        defer_rest(req, VSTR_STR(rl), dsn, VSTR_STR(why));
        vstr_sprintf(hop, "%s", VSTR_STR(why));
        vstr_free(rl);
        goto done;
    }
    (void)reused;
    s = cached;
    deliver_set_conn_time(req);
    relay = s->relay;

    /* MAIL, RCPT..., DATA: in one write with PIPELINING. */
    stream_set_timeout(s->st, (int)param_time("mail_timeout"));
    lmtp_cmd(s->st, "MAIL FROM:<%s>", req->sender);
    if (!s->pipelining) {
        stage = "MAIL FROM";
        if (stream_flush(s->st) < 0 || lmtp_get_reply(s->st, &r) < 0)
            goto lost;
        if (r.code / 100 != 2) {
            for (i = 0; i < req->nrcpt; i++)
                report(req, i, s, &r, "MAIL FROM");
            goto reset;
        }
    }
    for (i = 0; i < req->nrcpt; i++) {
        lmtp_cmd(s->st, "RCPT TO:<%s>", req->rcpts[i].address);
        if (!s->pipelining) {
            stage = "RCPT TO";
            stream_set_timeout(s->st, (int)param_time("rcpt_timeout"));
            if (stream_flush(s->st) < 0 || lmtp_get_reply(s->st, &r) < 0)
                goto lost;
            if (r.code / 100 == 2)
                accepted[naccepted++] = i;
            else
                report(req, i, s, &r, "RCPT TO");
        }
    }
    if (!s->pipelining && naccepted == 0)
        goto reset;
    lmtp_cmd(s->st, "%s", "DATA");
    stage = "MAIL FROM";
    if (stream_flush(s->st) < 0)
        goto lost;
    if (s->pipelining) {
        int mail_ok;
        if (lmtp_get_reply(s->st, &r) < 0)
            goto lost;
        mail_ok = r.code / 100 == 2;
        if (!mail_ok)
            for (i = 0; i < req->nrcpt; i++)
                report(req, i, s, &r, "MAIL FROM");
        stage = "RCPT TO";
        stream_set_timeout(s->st, (int)param_time("rcpt_timeout"));
        for (i = 0; i < req->nrcpt; i++) {
            if (lmtp_get_reply(s->st, &r) < 0)
                goto lost;
            if (!mail_ok)
                continue;
            if (r.code / 100 == 2)
                accepted[naccepted++] = i;
            else
                report(req, i, s, &r, "RCPT TO");
        }
    }
    stage = "DATA";
    stream_set_timeout(s->st, (int)param_time("data_init_timeout"));
    if (lmtp_get_reply(s->st, &r) < 0)
        goto lost;
    if (naccepted == 0)
        goto reset; /* the DATA reply (503/554) is of no interest */
    if (r.code != 354) {
        for (i = 0; i < naccepted; i++)
            report(req, accepted[i], s, &r, "DATA");
        goto reset;
    }
    stage = "message content";
    stream_set_timeout(s->st, (int)param_time("data_xfer_timeout"));
    switch (lmtp_send_content(req, s->st)) {
    case -1:
        goto lost;
    case -2:
        defer_rest(req, relay, "4.3.0", "error reading message file");
        lmtp_disconnect(0); /* the server is waiting for more content */
        goto done;
    }
    /* One reply per accepted recipient (RFC 2033 section 4.2). */
    stage = "end of DATA";
    stream_set_timeout(s->st, (int)param_time("data_done_timeout"));
    for (i = 0; i < naccepted; i++) {
        if (lmtp_get_reply(s->st, &r) < 0)
            goto lost;
        report(req, accepted[i], s, &r, "end of DATA");
    }
reset:
    /* Keep the session for the next request; RSET is sent before reuse. */
    goto done;

lost:
    vstr_sprintf(why, "lost connection with %s while sending %s", relay, stage);
    if (strcmp(stage, "end of DATA") == 0)
        vstr_sprintf(why, "lost connection with %s while receiving the reply to end of DATA",
                     relay);
    defer_rest(req, relay, "4.4.2", VSTR_STR(why));
    vstr_sprintf(hop, "%s", VSTR_STR(why));
    lmtp_disconnect(0);

done:
    vstr_free(why);
    vstr_free(r.text);
    myfree(accepted);
}

/* smtp_service - serve one qmgr connection: any number of requests */
static void smtp_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    VSTR *hop = vstr_alloc(128);
    int i;

    while ((req = deliver_request_read(client)) != NULL) {
        vstr_reset(hop);
        if (req->fp == NULL) {
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "none", "4.3.0", "cannot access mail queue");
        } else if (!lmtp_role) {
            msg_warn("%s: SMTP client not implemented yet: deferring", req->queue_id);
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "none", "4.3.0", "SMTP client not implemented yet");
        } else {
            lmtp_deliver(req, hop);
        }
        if (deliver_request_done(req, VSTR_STR(hop)) < 0)
            break;
    }
    vstr_free(hop);
}

/* smtp_pre_exit - say goodbye to a cached server */
static void smtp_pre_exit(void)
{
    lmtp_disconnect(1);
}

/* main - pick the role from the program name, run as a single server */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {.pre_exit = smtp_pre_exit};
    const char *base = strrchr(argv[0], '/');

    base = base ? base + 1 : argv[0];
    msg_init(argv[0], MSG_SYSLOG);
    if (strcmp(base, "lmtp") == 0) {
        lmtp_role = 1;
        proto_name = "lmtp";
    } else if (strcmp(base, "smtp") == 0) {
        lmtp_role = 0;
        proto_name = "smtp";
    } else {
        msg_fatal("unexpected command name: %s", base);
    }
    single_server_main(argc, argv, smtp_service, &opts);
}
