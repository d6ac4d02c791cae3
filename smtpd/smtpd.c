/*
 * NAME
 *	smtpd - Postern SMTP server
 *
 * SYNOPSIS
 *	smtpd [generic daemon options]   (started by master(8))
 *
 * DESCRIPTION
 *	The SMTP server accepts connections handed over by the master (one
 *	client at a time, single_server_main, run with -u as mail_owner) and
 *	speaks RFC 5321 ESMTP: HELO, EHLO, MAIL (SIZE=, BODY=7BIT/8BITMIME;
 *	RET= and ENVID= are accepted quietly), RCPT (NOTIFY=, ORCPT=), DATA,
 *	RSET, NOOP, QUIT, VRFY, ETRN (not implemented: 502), STARTTLS
 *	and AUTH (not available). EHLO announces PIPELINING, SIZE, VRFY
 *	(unless disable_vrfy_command), ENHANCEDSTATUSCODES and 8BITMIME
 *	(reference 9.2), minus smtpd_discard_ehlo_keywords.
 *
 *	Replies and log lines follow Postfix 3.7 (reference 9.1, 9.4, 10.2).
 *	Replies are buffered and flushed only when no more client input is
 *	waiting (PIPELINING, RFC 2920).
 *
 *	At the first accepted RCPT of a transaction the server starts a
 *	message with cleanup(8) (the connection to public/cleanup is opened
 *	once and kept for later messages and sessions of this process),
 *	logs "QID: client=name[addr]", and streams the envelope: A
 *	attributes, S, then A/O/R per recipient; at DATA the M record, the
 *	Received: header and the content as N/L records, X and E. The queue
 *	ID is therefore known only after the first accepted RCPT (trap 10).
 *	Abandoning a transaction closes the cleanup connection, so cleanup
 *	removes the unfinished file.
 *
 *	DATA ends only at <CR><LF>.<CR><LF> (normalize semantics of
 *	smtpd_forbid_bare_newline, always on; reference 9.7, trap 25).
 *	Postfix 3.7 defaults to "no" (a bare LF line end could end DATA);
 *	Postern is stricter on purpose.
 *
 * DIAGNOSTICS
 *	"connect from name[addr]", "QID: client=name[addr]", reject lines
 *	(smtpd_check.c), "lost connection after CMD from ...", "timeout after
 *	CMD from ...", "too many errors after CMD from ...", "warning:
 *	non-SMTP command from ...", and "disconnect from name[addr] ehlo=1
 *	mail=1 rcpt=1/2 data=1 quit=1 commands=5/6".
 *
 * CONFIGURATION PARAMETERS
 *	See smtpd(8) in man/man8/smtpd.8.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "argv.h"
#include "cleanup_proto.h"
#include "config.h"
#include "mail_date.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "record.h"
#include "resolve.h"
#include "server.h"
#include "smtpd.h"
#include "stream.h"
#include "vstr.h"

/* Configuration, read in pre_init. */
static const char *var_myhostname;
static long var_line_limit;
static long var_size_limit;
static long var_rcpt_limit;
static int var_timeout;
static long var_soft_erlim;
static long var_hard_erlim;
static long var_err_sleep;
static long var_junk_limit;
static int var_helo_required;
static int var_disable_vrfy;
static int var_delay_reject;
static int var_strict_rfc821;
static int var_peername_lookup;
static int var_port_logging;
static int cleanup_flags;
static CIDR_LIST *mynetworks;
static ARGV *discard_ehlo;
static ARGV *local_rewrite_clients;

/* The cleanup connection, kept across messages and sessions. */
static CLEANUP_CLIENT *cleanup_conn;

/* Command counters for the disconnect line, in Postfix's order. */
enum {
    CMD_HELO,
    CMD_EHLO,
    CMD_STARTTLS,
    CMD_AUTH,
    CMD_MAIL,
    CMD_RCPT,
    CMD_DATA,
    CMD_BDAT,
    CMD_RSET,
    CMD_NOOP,
    CMD_VRFY,
    CMD_ETRN,
    CMD_QUIT,
    CMD_HELP,
    CMD_UNKNOWN,
    CMD_COUNT
};

static const char *cmd_names[CMD_COUNT] = {"helo", "ehlo", "starttls", "auth", "mail",
                                           "rcpt", "data", "bdat",     "rset", "noop",
                                           "vrfy", "etrn", "quit",     "help", "unknown"};
static int cmd_total[CMD_COUNT];
static int cmd_success[CMD_COUNT];

/* Why the session ended, for the "... after CMD from" line. */
static const char *end_reason;
static int session_done;

/*
 * smtpd_client_in_mynetworks - does the numeric address match mynetworks?
 */
int smtpd_client_in_mynetworks(const char *addr)
{
    return mynetworks != 0 && cidr_list_match(mynetworks, addr);
}

/* Send one reply line (buffered). 4xx/5xx replies count as errors and,
 * past smtpd_soft_error_limit, are delayed by smtpd_error_sleep_time. */
static void reply(SMTPD_STATE *state, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(SMTPD_STATE *state, const char *fmt, ...)
{
    va_list ap;
    static VSTR *buf;

    if (buf == 0)
        buf = vstr_alloc(256);
    vstr_reset(buf);
    va_start(ap, fmt);
    vstr_vsprintf_append(buf, fmt, ap);
    va_end(ap);
    if (msg_verbose)
        msg_info("> %s: %s", state->namaddr, buf->buf);
    if ((buf->buf[0] == '4' || buf->buf[0] == '5') && strncmp(buf->buf, "421", 3) != 0) {
        state->error_count++;
        if (state->error_count > var_soft_erlim && var_err_sleep > 0) {
            stream_flush(state->client);
            sleep((unsigned)var_err_sleep);
        }
    }
    vstr_addstr(buf, "\r\n");
    stream_write(state->client, buf->buf, buf->len);
}

/* Abandon the cleanup transaction: closing makes cleanup drop the file. */
static void cleanup_abandon(SMTPD_STATE *state)
{
    if (state->cleanup_open) {
        cleanup_close(cleanup_conn);
        cleanup_conn = 0;
        state->cleanup_open = 0;
    }
}

/* Reset the mail transaction (RSET, HELO/EHLO, after DATA, at the end). */
static void mail_reset(SMTPD_STATE *state)
{
    cleanup_abandon(state);
    myfree(state->sender);
    state->sender = 0;
    myfree(state->recipient);
    state->recipient = 0;
    myfree(state->first_rcpt);
    state->first_rcpt = 0;
    state->rcpt_count = 0;
    state->msg_size = 0;
    state->data_bytes = 0;
    vstr_reset(state->queue_id);
}

/* Write one A record "name=value" to cleanup. */
static void put_attr(const char *name, const char *value)
{
    rec_fprintf(cleanup_conn->st, REC_TYPE_ATTR, "%s=%s", name, value);
}

/* Is the client in local_header_rewrite_clients? (trap 16) */
static int local_rewrite(SMTPD_STATE *state)
{
    int i;
    VSTR *lit;
    int r;

    for (i = 0; i < local_rewrite_clients->argc; i++) {
        const char *w = local_rewrite_clients->argv[i];
        if (strcasecmp(w, "permit_mynetworks") == 0 && state->in_mynetworks)
            return 1;
        if (strcasecmp(w, "static:all") == 0)
            return 1;
        if (strcasecmp(w, "permit_inet_interfaces") == 0) {
            lit = vstr_alloc(64);
            vstr_sprintf(lit, "[%s]", state->addr);
            r = resolve_local_domain(lit->buf);
            vstr_free(lit);
            if (r == 1)
                return 1;
        }
    }
    return 0;
}

/*
 * Start a message with cleanup at the first accepted recipient: open or
 * reuse the connection, get the queue ID, log "QID: client=...", send the
 * envelope attributes and the sender. Returns 0 or -1.
 */
static int cleanup_start(SMTPD_STATE *state)
{
    int attempt;

    for (attempt = 0; attempt < 2; attempt++) {
        if (cleanup_conn == 0 && (cleanup_conn = cleanup_open()) == 0)
            return -1;
        if (cleanup_begin(cleanup_conn, cleanup_flags, state->queue_id) == 0)
            break;
        /* A stale connection (cleanup restarted): retry once. */
        cleanup_close(cleanup_conn);
        cleanup_conn = 0;
        vstr_reset(state->queue_id);
        if (attempt == 1) {
            msg_warn("%s: cleanup service does not answer", CLEANUP_SERVICE);
            return -1;
        }
    }
    state->cleanup_open = 1;
    msg_info("%s: client=%s", state->queue_id->buf, state->namaddr);
    put_attr("log_client_name", state->name);
    put_attr("log_client_address", state->addr);
    put_attr("log_client_port", state->port);
    if (state->helo_name)
        put_attr("log_helo_name", state->helo_name);
    put_attr("log_protocol_name", state->protocol);
    put_attr("client_name", state->name);
    put_attr("reverse_client_name", state->reverse_name);
    put_attr("client_address", state->addr);
    put_attr("client_port", state->port);
    if (state->helo_name)
        put_attr("helo_name", state->helo_name);
    put_attr("protocol_name", state->protocol);
    put_attr("rewrite_context", local_rewrite(state) ? "local" : "remote");
    rec_put(cleanup_conn->st, REC_TYPE_FROM, state->sender, strlen(state->sender));
    if (stream_error(cleanup_conn->st))
        return -1;
    return 0;
}

/* Split "VERB args": returns the verb length; *args points past blanks. */
static size_t split_verb(const char *line, const char **args)
{
    size_t n = strcspn(line, " \t");
    const char *p = line + n;

    while (*p == ' ' || *p == '\t')
        p++;
    *args = p;
    return n;
}

/* HELO and EHLO. */
static int helo_cmd(SMTPD_STATE *state, const char *args, int ehlo)
{
    VSTR *arg;
    size_t i;

    if (*args == 0) {
        reply(state, "501 Syntax: %s hostname", ehlo ? "EHLO" : "HELO");
        return -1;
    }
    mail_reset(state);
    myfree(state->helo_name);
    arg = vstr_alloc(64);
    vstr_strcpy(arg, args);
    while (arg->len && (arg->buf[arg->len - 1] == ' ' || arg->buf[arg->len - 1] == '\t'))
        vstr_truncate(arg, arg->len - 1);
    state->helo_name = vstr_export(arg);
    state->protocol = ehlo ? "ESMTP" : "SMTP";
    if (!var_delay_reject && smtpd_check_helo(state) == SMTPD_CHECK_REJECT) {
        reply(state, "%s", state->reply->buf);
        myfree(state->helo_name);
        state->helo_name = 0;
        return -1;
    }
    if (!ehlo) {
        reply(state, "250 %s", var_myhostname);
        return 0;
    }
    {
        static const char *const kw[] = {"PIPELINING", "SIZE", "VRFY", "ENHANCEDSTATUSCODES",
                                         "8BITMIME"};
        ARGV *lines = argv_alloc(8);
        VSTR *tmp = vstr_alloc(32);
        for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
            int j, discard = 0;
            if (strcmp(kw[i], "VRFY") == 0 && var_disable_vrfy)
                continue;
            for (j = 0; j < discard_ehlo->argc; j++)
                if (strcasecmp(discard_ehlo->argv[j], kw[i]) == 0)
                    discard = 1;
            if (discard)
                continue;
            if (strcmp(kw[i], "SIZE") == 0 && var_size_limit > 0)
                vstr_sprintf(tmp, "SIZE %ld", var_size_limit);
            else
                vstr_strcpy(tmp, kw[i]);
            argv_add(lines, tmp->buf, (char *)0);
        }
        reply(state, "250%c%s", lines->argc ? '-' : ' ', var_myhostname);
        for (i = 0; i < (size_t)lines->argc; i++)
            reply(state, "250%c%s", i + 1 < (size_t)lines->argc ? '-' : ' ', lines->argv[i]);
        argv_free(lines);
        vstr_free(tmp);
    }
    return 0;
}

/* Match "FROM:"/"TO:" case-insensitively; returns the text after it. */
static const char *skip_keyword(const char *args, const char *kw)
{
    size_t n = strlen(kw);

    if (strncasecmp(args, kw, n) != 0)
        return 0;
    return args + n;
}

/* MAIL FROM. */
static int mail_cmd(SMTPD_STATE *state, const char *args)
{
    const char *path;
    const char *rest;
    VSTR *addr;
    ARGV *params;
    int i;
    long size = 0;

    if (var_helo_required && state->helo_name == 0) {
        reply(state, "503 5.5.1 Error: send HELO/EHLO first");
        return -1;
    }
    if (state->sender != 0) {
        reply(state, "503 5.5.1 Error: nested MAIL command");
        return -1;
    }
    if ((path = skip_keyword(args, "FROM:")) == 0 || (var_strict_rfc821 && *path != '<')) {
        reply(state, "501 5.5.4 Syntax: MAIL FROM:<address>");
        return -1;
    }
    addr = vstr_alloc(64);
    if (addr_parse_path(path, addr, &rest, var_strict_rfc821) < 0) {
        vstr_free(addr);
        reply(state, "501 5.1.7 Bad sender address syntax");
        return -1;
    }
    params = argv_split(rest, " \t");
    for (i = 0; i < params->argc; i++) {
        const char *p = params->argv[i];
        if (strncasecmp(p, "SIZE=", 5) == 0) {
            char *end;
            errno = 0;
            size = strtol(p + 5, &end, 10);
            if (p[5] == 0 || *end != 0 || size < 0 || errno == ERANGE ||
                !isdigit((unsigned char)p[5])) {
                reply(state, "501 5.5.4 Bad message size syntax");
                goto fail;
            }
        } else if (strncasecmp(p, "BODY=", 5) == 0) {
            if (strcasecmp(p + 5, "8BITMIME") != 0 && strcasecmp(p + 5, "7BIT") != 0) {
                reply(state, "501 5.5.4 Unsupported BODY parameter");
                goto fail;
            }
        } else if (strncasecmp(p, "RET=", 4) == 0 || strncasecmp(p, "ENVID=", 6) == 0) {
            /* DSN parameters: accepted quietly. */
        } else {
            reply(state, "555 5.5.4 Unsupported option: %s", p);
            goto fail;
        }
    }
    if (var_size_limit > 0 && size > var_size_limit) {
        reply(state, "552 5.3.4 Message size exceeds fixed limit");
        goto fail;
    }
    state->sender = vstr_export(addr);
    addr = 0;
    state->msg_size = size;
    if (!var_delay_reject && (smtpd_check_client(state) == SMTPD_CHECK_REJECT ||
                              smtpd_check_mail(state) == SMTPD_CHECK_REJECT)) {
        reply(state, "%s", state->reply->buf);
        myfree(state->sender);
        state->sender = 0;
        argv_free(params);
        return -1;
    }
    argv_free(params);
    reply(state, "250 2.1.0 Ok");
    return 0;

fail:
    vstr_free(addr);
    argv_free(params);
    return -1;
}

/* RCPT TO. */
static int rcpt_cmd(SMTPD_STATE *state, const char *args)
{
    const char *path;
    const char *rest;
    VSTR *addr;
    ARGV *params;
    const char *orcpt = 0;
    long notify = 0;
    int i;

    if (state->sender == 0) {
        reply(state, "503 5.5.1 Error: need MAIL command");
        return -1;
    }
    if ((path = skip_keyword(args, "TO:")) == 0 || (var_strict_rfc821 && *path != '<')) {
        reply(state, "501 5.5.4 Syntax: RCPT TO:<address>");
        return -1;
    }
    addr = vstr_alloc(64);
    if (addr_parse_path(path, addr, &rest, var_strict_rfc821) < 0 || addr->len == 0) {
        vstr_free(addr);
        reply(state, "501 5.1.3 Bad recipient address syntax");
        return -1;
    }
    params = argv_split(rest, " \t");
    for (i = 0; i < params->argc; i++) {
        const char *p = params->argv[i];
        if (strncasecmp(p, "NOTIFY=", 7) == 0) {
            ARGV *words = argv_split(p + 7, ",");
            int j;
            for (j = 0; j < words->argc; j++) {
                if (strcasecmp(words->argv[j], "NEVER") == 0)
                    notify |= 1;
                else if (strcasecmp(words->argv[j], "SUCCESS") == 0)
                    notify |= 2;
                else if (strcasecmp(words->argv[j], "DELAY") == 0)
                    notify |= 4;
                else if (strcasecmp(words->argv[j], "FAILURE") == 0)
                    notify |= 8;
                else
                    notify = -1;
            }
            argv_free(words);
            if (notify <= 0 || ((notify & 1) && notify != 1)) {
                reply(state, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
                goto fail;
            }
        } else if (strncasecmp(p, "ORCPT=", 6) == 0) {
            orcpt = p + 6;
        } else {
            reply(state, "555 5.5.4 Unsupported option: %s", p);
            goto fail;
        }
    }
    myfree(state->recipient);
    state->recipient = mystrdup(addr->buf);
    if (var_rcpt_limit > 0 && state->rcpt_count >= var_rcpt_limit) {
        reply(state, "452 4.5.3 Error: too many recipients");
        goto fail;
    }
    if (smtpd_check_rcpt(state) == SMTPD_CHECK_REJECT) {
        reply(state, "%s", state->reply->buf);
        goto fail;
    }
    if (!state->cleanup_open && cleanup_start(state) < 0) {
        cleanup_abandon(state);
        if (cleanup_conn) {
            cleanup_close(cleanup_conn);
            cleanup_conn = 0;
        }
        vstr_reset(state->queue_id);
        reply(state, "451 4.3.0 Error: queue file write error");
        goto fail;
    }
    if (notify > 0)
        rec_fprintf(cleanup_conn->st, REC_TYPE_ATTR, "notify_flags=%ld", notify);
    if (orcpt)
        put_attr("dsn_orig_rcpt", orcpt);
    rec_put(cleanup_conn->st, REC_TYPE_ORCP, addr->buf, addr->len);
    rec_put(cleanup_conn->st, REC_TYPE_RCPT, addr->buf, addr->len);
    if (state->rcpt_count == 0)
        state->first_rcpt = mystrdup(addr->buf);
    state->rcpt_count++;
    vstr_free(addr);
    argv_free(params);
    reply(state, "250 2.1.5 Ok");
    return 0;

fail:
    vstr_free(addr);
    argv_free(params);
    return -1;
}

/* DATA output: content records to cleanup, unless over the size limit. */
typedef struct DATA_CTX {
    SMTPD_STATE *state;
    SMTPD_DATA data;
    int too_big;
} DATA_CTX;

static void data_out(void *ctx, int type, const char *buf, size_t len)
{
    DATA_CTX *dc = ctx;

    if (dc->too_big)
        return;
    if (var_size_limit > 0 && dc->data.bytes > var_size_limit) {
        dc->too_big = 1;
        return;
    }
    rec_put(cleanup_conn->st, type, buf, len);
}

/* DATA. */
static int data_cmd(SMTPD_STATE *state, const char *args)
{
    VSTR *line;
    VSTR *hdr;
    VSTR *date;
    VSTR *why;
    DATA_CTX dc;
    int status;
    int ret = -1;

    if (*args) {
        reply(state, "501 5.5.4 Syntax: DATA");
        return -1;
    }
    if (state->rcpt_count == 0) {
        if (state->sender == 0)
            reply(state, "503 5.5.1 Error: need RCPT command");
        else
            reply(state, "554 5.5.1 Error: no valid recipients");
        return -1;
    }
    if (smtpd_check_data(state) == SMTPD_CHECK_REJECT) {
        reply(state, "%s", state->reply->buf);
        return -1;
    }

    /* The M record and our Received: header (reference 9.1). */
    hdr = vstr_alloc(256);
    date = vstr_alloc(64);
    rec_put(cleanup_conn->st, REC_TYPE_MESG, "", 0);
    vstr_sprintf(hdr, "Received: from %s (%s [%s])",
                 state->helo_name ? state->helo_name : state->name, state->name, state->rfc_addr);
    rec_put(cleanup_conn->st, REC_TYPE_NORM, hdr->buf, hdr->len);
    mail_date(date, time((time_t *)0));
    if (state->rcpt_count == 1 && state->first_rcpt) {
        VSTR *q = vstr_alloc(64);
        vstr_sprintf(hdr, "\tby %s (%s) with %s id %s", var_myhostname,
                     *cfg_str("mail_name") ? cfg_str("mail_name") : "Postfix", state->protocol,
                     state->queue_id->buf);
        rec_put(cleanup_conn->st, REC_TYPE_NORM, hdr->buf, hdr->len);
        addr_quote_external(state->first_rcpt, q);
        vstr_sprintf(hdr, "\tfor <%s>; %s", q->buf, date->buf);
        rec_put(cleanup_conn->st, REC_TYPE_NORM, hdr->buf, hdr->len);
        vstr_free(q);
    } else {
        vstr_sprintf(hdr, "\tby %s (%s) with %s id %s;", var_myhostname,
                     *cfg_str("mail_name") ? cfg_str("mail_name") : "Postfix", state->protocol,
                     state->queue_id->buf);
        rec_put(cleanup_conn->st, REC_TYPE_NORM, hdr->buf, hdr->len);
        vstr_sprintf(hdr, "\t%s", date->buf);
        rec_put(cleanup_conn->st, REC_TYPE_NORM, hdr->buf, hdr->len);
    }
    vstr_free(hdr);
    vstr_free(date);

    reply(state, "354 End data with <CR><LF>.<CR><LF>");
    stream_flush(state->client);

    dc.state = state;
    dc.too_big = 0;
    smtpd_data_init(&dc.data, data_out, &dc);
    line = vstr_alloc((size_t)var_line_limit + 1);
    for (;;) {
        int ch = stream_get_line(state->client, line, (size_t)var_line_limit);
        if (ch == STREAM_EOF) {
            end_reason = stream_timedout(state->client) ? "timeout" : "lost connection";
            state->data_bytes = dc.data.bytes;
            vstr_free(line);
            cleanup_abandon(state);
            if (stream_timedout(state->client)) {
                stream_clearerr(state->client);
                reply(state, "421 4.4.2 %s Error: timeout exceeded", var_myhostname);
            }
            session_done = 1;
            return -1;
        }
        if (smtpd_data_feed(&dc.data, line->buf, line->len))
            break;
        state->data_bytes = dc.data.bytes;
    }
    vstr_free(line);
    state->where = "END-OF-MESSAGE";

    if (dc.too_big || (var_size_limit > 0 && dc.data.bytes > var_size_limit)) {
        cleanup_abandon(state);
        reply(state, "552 5.3.4 Error: message file too big");
    } else {
        rec_put(cleanup_conn->st, REC_TYPE_XTRA, "", 0);
        rec_put(cleanup_conn->st, REC_TYPE_END, "", 0);
        why = vstr_alloc(64);
        status = stream_error(cleanup_conn->st) ? -1 : cleanup_finish(cleanup_conn, why);
        if (status < 0) {
            cleanup_close(cleanup_conn);
            cleanup_conn = 0;
            state->cleanup_open = 0;
            reply(state, "451 4.3.0 Error: queue file write error");
        } else {
            state->cleanup_open = 0; /* the message is finished either way */
            if (status == 0) {
                reply(state, "250 2.0.0 Ok: queued as %s", state->queue_id->buf);
                state->junk_cmds = 0;
                ret = 0;
            } else {
                VSTR *text = vstr_alloc(64);
                cleanup_stat_reply(status, why->buf, text);
                reply(state, "%s", text->buf);
                vstr_free(text);
            }
        }
        vstr_free(why);
    }
    mail_reset(state);
    return ret;
}

/* VRFY. */
static int vrfy_cmd(SMTPD_STATE *state, const char *args)
{
    VSTR *addr;
    const char *rest;

    if (var_disable_vrfy) {
        reply(state, "502 5.5.1 VRFY command is disabled");
        return -1;
    }
    if (*args == 0) {
        reply(state, "501 5.5.4 Syntax: VRFY address [SMTPUTF8]");
        return -1;
    }
    addr = vstr_alloc(64);
    if (addr_parse_path(args, addr, &rest, 0) < 0 || addr->len == 0) {
        vstr_free(addr);
        reply(state, "501 5.1.3 Bad recipient address syntax");
        return -1;
    }
    {
        char *saved = state->recipient;
        state->recipient = vstr_export(addr);
        if (smtpd_check_vrfy(state) == SMTPD_CHECK_REJECT) {
            reply(state, "%s", state->reply->buf);
            myfree(state->recipient);
            state->recipient = saved;
            return -1;
        }
        reply(state, "252 2.0.0 %s", args);
        myfree(state->recipient);
        state->recipient = saved;
    }
    return 0;
}

/* Client name: reverse lookup, then forward confirmation. */
static void lookup_client(SMTPD_STATE *state)
{
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char host[NI_MAXHOST];
    struct addrinfo hints, *res, *ai;
    int ok = 0;

    state->name = mystrdup("unknown");
    state->reverse_name = mystrdup("unknown");
    if (!var_peername_lookup || strcmp(state->addr, "unknown") == 0)
        return;
    if (getpeername(stream_fileno(state->client), (struct sockaddr *)&ss, &sslen) < 0)
        return;
    if (getnameinfo((struct sockaddr *)&ss, sslen, host, sizeof(host), 0, 0, NI_NAMEREQD) != 0)
        return;
    if (!smtpd_valid_hostname(host))
        return;
    myfree(state->reverse_name);
    state->reverse_name = mystrdup(host);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, 0, &hints, &res) != 0)
        return;
    for (ai = res; ai && !ok; ai = ai->ai_next) {
        char num[NI_MAXHOST];
        if (getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num), 0, 0, NI_NUMERICHOST) == 0 &&
            strcasecmp(num, state->addr) == 0)
            ok = 1;
    }
    freeaddrinfo(res);
    if (ok) {
        myfree(state->name);
        state->name = mystrdup(host);
    }
}

/* Log the disconnect line with the command counters (reference 9.4). */
static void log_disconnect(SMTPD_STATE *state)
{
    VSTR *line = vstr_alloc(128);
    int i, tot = 0, ok = 0;

    vstr_sprintf(line, "disconnect from %s", state->namaddr);
    for (i = 0; i < CMD_COUNT; i++) {
        if (cmd_total[i] == 0)
            continue;
        tot += cmd_total[i];
        ok += cmd_success[i];
        if (cmd_success[i] == cmd_total[i])
            vstr_sprintf_append(line, " %s=%d", cmd_names[i], cmd_total[i]);
        else
            vstr_sprintf_append(line, " %s=%d/%d", cmd_names[i], cmd_success[i], cmd_total[i]);
    }
    if (ok == tot)
        vstr_sprintf_append(line, " commands=%d", tot);
    else
        vstr_sprintf_append(line, " commands=%d/%d", ok, tot);
    msg_info("%s", line->buf);
    vstr_free(line);
}

/* Which counter a verb belongs to. */
static int cmd_index(const char *verb, size_t len)
{
    int i;

    /* Postfix 3.7 has no HELP command: it is "500 ... command not recognized"
     * and counted as unknown (checked against Postfix in the differential
     * test), so HELP is never matched here. */
    for (i = 0; i < CMD_UNKNOWN; i++)
        if (i != CMD_HELP && strlen(cmd_names[i]) == len &&
            strncasecmp(cmd_names[i], verb, len) == 0)
            return i;
    return CMD_UNKNOWN;
}

/* Upper-case command name for "after CMD" log lines. */
static const char *cmd_where[CMD_COUNT] = {"HELO", "EHLO", "STARTTLS", "AUTH", "MAIL",
                                           "RCPT", "DATA", "BDAT",     "RSET", "NOOP",
                                           "VRFY", "ETRN", "QUIT",     "HELP", "UNKNOWN"};

/* One SMTP session. */
static void smtpd_service(STREAM *client, const char *service, char **argv)
{
    SMTPD_STATE state;
    VSTR *addr = vstr_alloc(64), *port = vstr_alloc(16);
    VSTR *line = vstr_alloc(256);
    VSTR *tmp = vstr_alloc(64);

    memset(&state, 0, sizeof(state));
    memset(cmd_total, 0, sizeof(cmd_total));
    memset(cmd_success, 0, sizeof(cmd_success));
    end_reason = 0;
    session_done = 0;
    state.client = client;
    state.queue_id = vstr_alloc(32);
    state.reply = vstr_alloc(128);
    state.resolve = resolve_reply_alloc();
    state.protocol = "SMTP";
    state.where = "CONNECT";
    stream_set_timeout(client, var_timeout);

    if (peer_addr(stream_fileno(client), addr, port) < 0) {
        vstr_strcpy(addr, "unknown");
        vstr_strcpy(port, "unknown");
    }
    state.addr = vstr_export(addr);
    state.port = vstr_export(port);
    if (strchr(state.addr, ':'))
        vstr_sprintf(tmp, "IPv6:%s", state.addr);
    else
        vstr_strcpy(tmp, state.addr);
    state.rfc_addr = mystrdup(tmp->buf);
    lookup_client(&state);
    if (var_port_logging)
        vstr_sprintf(tmp, "%s[%s]:%s", state.name, state.addr, state.port);
    else
        vstr_sprintf(tmp, "%s[%s]", state.name, state.addr);
    state.namaddr = mystrdup(tmp->buf);
    state.in_mynetworks = smtpd_client_in_mynetworks(state.addr);
    msg_info("connect from %s", state.namaddr);

    if (!var_delay_reject && smtpd_check_client(&state) == SMTPD_CHECK_REJECT) {
        /* Postfix answers every command with the reject; we hang up. */
        reply(&state, "%s", state.reply->buf);
        session_done = 1;
    } else {
        reply(&state, "220 %s", cfg_str("smtpd_banner"));
    }

    while (!session_done) {
        const char *args;
        size_t vlen;
        int idx;
        int ch;
        int r = -1;

        if (state.error_count >= var_hard_erlim) {
            end_reason = "too many errors";
            reply(&state, "421 4.7.0 %s Error: too many errors", var_myhostname);
            break;
        }
        if (stream_bufcount(client) == 0 && stream_flush(client) < 0) {
            end_reason = "lost connection";
            break;
        }
        ch = stream_get_line(client, line, (size_t)var_line_limit);
        if (ch == STREAM_EOF) {
            if (stream_timedout(client)) {
                end_reason = "timeout";
                stream_clearerr(client);
                reply(&state, "421 4.4.2 %s Error: timeout exceeded", var_myhostname);
            } else {
                end_reason = "lost connection";
            }
            break;
        }
        if (ch != '\n') {
            /* Over-long command: discard the rest of the line. */
            VSTR *junk = vstr_alloc(256);
            int c2;
            do {
                c2 = stream_get_line(client, junk, (size_t)var_line_limit);
            } while (c2 != STREAM_EOF && c2 != '\n');
            vstr_free(junk);
        }
        while (line->len && (line->buf[line->len - 1] == '\n' || line->buf[line->len - 1] == '\r'))
            vstr_truncate(line, line->len - 1);
        if (msg_verbose)
            msg_info("< %s: %s", state.namaddr, line->buf);
        {
            const char *p = line->buf;
            while (*p == ' ' || *p == '\t')
                p++;
            vlen = split_verb(p, &args);
            if (vlen == 0) {
                reply(&state, "500 5.5.2 Error: bad syntax");
                continue;
            }
            if (!isalpha((unsigned char)*p) || (vlen == 3 && strncasecmp(p, "GET", 3) == 0) ||
                (vlen == 4 && strncasecmp(p, "POST", 4) == 0) ||
                (vlen == 7 && strncasecmp(p, "CONNECT", 7) == 0)) {
                msg_warn("non-SMTP command from %s: %.100s", state.namaddr, line->buf);
                reply(&state, "221 2.7.0 Error: I can break rules, too. Goodbye.");
                break;
            }
            idx = cmd_index(p, vlen);
        }
        cmd_total[idx]++;
        state.where = cmd_where[idx];
        /* Trim trailing blanks of the arguments. */
        {
            size_t off = (size_t)(args - line->buf);
            while (line->len > off &&
                   (line->buf[line->len - 1] == ' ' || line->buf[line->len - 1] == '\t'))
                vstr_truncate(line, line->len - 1);
            args = line->buf + off;
        }
        if (idx == CMD_NOOP || idx == CMD_VRFY || idx == CMD_ETRN || idx == CMD_RSET ||
            idx == CMD_HELP) {
            if (state.junk_cmds++ > var_junk_limit)
                state.error_count++;
        }
        switch (idx) {
        case CMD_HELO:
        case CMD_EHLO:
            r = helo_cmd(&state, args, idx == CMD_EHLO);
            break;
        case CMD_MAIL:
            r = mail_cmd(&state, args);
            break;
        case CMD_RCPT:
            r = rcpt_cmd(&state, args);
            break;
        case CMD_DATA:
            r = data_cmd(&state, args);
            break;
        case CMD_RSET:
            if (*args) {
                reply(&state, "501 5.5.4 Syntax: RSET");
                break;
            }
            mail_reset(&state);
            reply(&state, "250 2.0.0 Ok");
            r = 0;
            break;
        case CMD_NOOP:
            reply(&state, "250 2.0.0 Ok");
            r = 0;
            break;
        case CMD_VRFY:
            r = vrfy_cmd(&state, args);
            break;
        case CMD_ETRN:
        case CMD_BDAT:
            reply(&state, "502 5.5.1 Error: command not implemented");
            break;
        case CMD_STARTTLS:
            reply(&state, "502 5.5.1 Error: command not implemented");
            break;
        case CMD_AUTH:
            reply(&state, "503 5.5.1 Error: authentication not enabled");
            break;
        case CMD_QUIT:
            reply(&state, "221 2.0.0 Bye");
            r = 0;
            session_done = 1;
            break;
        default:
            reply(&state, "500 5.5.2 Error: command not recognized");
            break;
        }
        if (r == 0)
            cmd_success[idx]++;
    }
    stream_flush(client);

    if (end_reason) {
        if (strcmp(state.where, "DATA") == 0)
            msg_info("%s after %s (%ld bytes) from %s", end_reason, state.where, state.data_bytes,
                     state.namaddr);
        else
            msg_info("%s after %s from %s", end_reason, state.where, state.namaddr);
    }
    log_disconnect(&state);

    mail_reset(&state);
    myfree(state.helo_name);
    myfree(state.name);
    myfree(state.reverse_name);
    myfree(state.addr);
    myfree(state.rfc_addr);
    myfree(state.port);
    myfree(state.namaddr);
    vstr_free(state.queue_id);
    vstr_free(state.reply);
    resolve_reply_free(state.resolve);
    vstr_free(line);
    vstr_free(tmp);
    (void)service;
    (void)argv;
}

/* Cleanup flags from receive_override_options (Postfix input_transp). */
static int smtpd_cleanup_flags(void)
{
    int flags = CLEANUP_FLAG_MASK_EXTERNAL | CLEANUP_FLAG_SMTP_REPLY;
    ARGV *opts = cfg_list("receive_override_options");
    int i;

    for (i = 0; i < opts->argc; i++) {
        if (strcasecmp(opts->argv[i], "no_header_body_checks") == 0)
            flags &= ~CLEANUP_FLAG_FILTER;
        else if (strcasecmp(opts->argv[i], "no_address_mappings") == 0)
            flags &= ~CLEANUP_FLAG_MAP_OK;
        else if (strcasecmp(opts->argv[i], "no_milters") == 0)
            flags &= ~CLEANUP_FLAG_MILTER;
    }
    argv_free(opts);
    return flags;
}

/* pre_init: read parameters and open tables while still root. */
static void smtpd_pre_init(const char *service, char **argv)
{
    long hard;

    var_myhostname = cfg_str("myhostname");
    var_line_limit = cfg_long("line_length_limit");
    if (var_line_limit < 512)
        var_line_limit = 512;
    var_size_limit = cfg_long("message_size_limit");
    var_rcpt_limit = cfg_long("smtpd_recipient_limit");
    var_timeout = (int)cfg_time("smtpd_timeout");
    var_soft_erlim = cfg_long("smtpd_soft_error_limit");
    hard = cfg_long("smtpd_hard_error_limit");
    var_hard_erlim = hard > 0 ? hard : 20;
    var_err_sleep = cfg_time("smtpd_error_sleep_time");
    var_junk_limit = cfg_long("smtpd_junk_command_limit");
    var_helo_required = cfg_bool("smtpd_helo_required");
    var_disable_vrfy = cfg_bool("disable_vrfy_command");
    var_delay_reject = cfg_bool("smtpd_delay_reject");
    var_strict_rfc821 = cfg_bool("strict_rfc821_envelopes");
    var_peername_lookup = cfg_bool("smtpd_peername_lookup");
    var_port_logging = cfg_bool("smtpd_client_port_logging");
    cleanup_flags = smtpd_cleanup_flags();
    mynetworks = cidr_list_create(cfg_str("mynetworks"));
    discard_ehlo = cfg_list("smtpd_discard_ehlo_keywords");
    local_rewrite_clients = cfg_list("local_header_rewrite_clients");
    smtpd_check_init();
    (void)service;
    (void)argv;
}

/* pre_exit: close the cleanup connection politely. */
static void smtpd_pre_exit(void)
{
    if (cleanup_conn) {
        cleanup_close(cleanup_conn);
        cleanup_conn = 0;
    }
}

/*
 * main - run as a single-threaded server under master(8).
 */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = smtpd_pre_init,
        .pre_exit = smtpd_pre_exit,
    };

    single_server_main(argc, argv, smtpd_service, &opts);
}
