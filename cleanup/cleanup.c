/*
 * NAME
 *     cleanup - canonicalize and enqueue Postern mail
 * SYNOPSIS
 *     cleanup [generic server options]    (started by master(8))
 * DESCRIPTION
 *     cleanup(8) turns a submission from smtpd(8), pickup(8) or bounce(8)
 *     into a committed queue file in incoming/, as Postfix's cleanup does
 *     (reference sections 2.1, 2.4, 3, 4.4). It runs under
 *     single_server_main() with -u (as mail_owner); one connection carries
 *     any number of messages (lib/cleanup_proto.h):
 *
 *       server: {protocol=cleanup_protocol}            (once)
 *       client: {flags=N}
 *       server: {queue_id=QID}                         (incoming/QID exists)
 *       client: records T A.. F S (A O R).. M N/L.. X extracted.. E
 *       server: {status=N, reason=TEXT}
 *
 *     Per message it takes one flow-control token (mail_flow_get, waits at
 *     most in_flow_delay), creates incoming/QID with mail_queue_enter() and
 *     writes through one buffered stream: a zero SIZE placeholder, T (the
 *     client's or now), "A create_time=SEC", the client's envelope records,
 *     the sender (qualified with @$myorigin, sender_canonical_maps then
 *     canonical_maps; the null sender stays null) and for every recipient
 *     the result of recipient_canonical_maps, canonical_maps and the
 *     recursive one-to-many virtual_alias_maps expansion (cleanup_addr.c),
 *     each written as [A notify_flags=N] A dsn_orig_rcpt=rfc822;ORIG, O
 *     ORIG, R FINAL with duplicates (same original and final address)
 *     dropped. The content is copied unchanged; while the primary headers
 *     go by it counts Received: headers (hopcount_limit), logs
 *     "QID: message-id=<...>" (or resent-message-id) as written, and at the
 *     end of the headers adds the missing (Resent-)Message-Id, Date and From
 *     headers, but only in the local rewrite context ("A
 *     rewrite_context=local", or always_add_missing_headers = yes; trap 16).
 *     Without a Message-ID that it may add it logs "QID: message-id=<>".
 *     Extracted recipients (sendmail -t) are expanded the same way.
 *     When the client's flags have CLEANUP_FLAG_FILTER, each complete
 *     header (continuation lines joined, at most header_size_limit bytes)
 *     goes through header_checks (MIME headers: mime_header_checks); in the
 *     body, following multipart boundaries, the headers of MIME parts go
 *     through mime_header_checks, those of message/rfc822 parts through
 *     nested_header_checks, and the other lines through body_checks,
 *     before they are written (cleanup_checks.c, header_checks(5)): REJECT
 *     (status CONT, or DEFER for a 4.x.x text, reason "5.7.1 text"),
 *     DISCARD (file removed, status 0), HOLD (file committed in hold/
 *     instead of incoming/), WARN/INFO (logged), IGNORE (dropped), PREPEND
 *     and REPLACE; each logged as Postfix's cleanup_act_log() does.
 *     Headers are written as N records, one per physical line.
 *     At END it rewrites the SIZE record (content size, data offset,
 *     recipient count, 0, content length, 0), then commits: flush, pwrite
 *     the SIZE record, fchmod 0700, fsync, close (trap 4), triggers
 *     public/qmgr with "I" and replies status 0.
 * DIAGNOSTICS
 *     Status bits (CLEANUP_STAT_*): BAD for a record type a client may not
 *     send (p, w, C, or one outside its segment, reference 3.3) or a
 *     missing sender; SIZE when the content exceeds message_size_limit;
 *     HOPS when hopcount_limit Received: headers are seen; RCPT when no
 *     recipient remains; DEFER (reason "4.3.0 ...") when a lookup table
 *     fails and (reason "4.6.0 ...") when the alias expansion limits are
 *     exceeded, and (reason "4.3.0 ...") when a header/body_checks table
 *     fails ("QID: header_checks map lookup problem -- message not
 *     accepted, try again later"); WRITE when the queue file cannot be
 *     written. On any error,
 *     and when the client disconnects mid-message, the file is removed.
 *     Problems are logged with msg_warn as "QID: ...".
 * SEE ALSO
 *     Postfix cleanup(8), cleanup_envelope.c, cleanup_message.c,
 *     cleanup_extracted.c, cleanup_map1n.c, cleanup_act.c, header_checks(5);
 *     reference sections 2-4, 7.2, 10.2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "argv.h"
#include "attr.h"
#include "cleanup.h"
#include "cleanup_proto.h"
#include "config.h"
#include "mail_queue.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define CLEANUP_REC_LIMIT (1024 * 1024) /* longest record accepted from a client */
#define CLEANUP_HDR_KEEP 4096           /* Message-ID text kept for logging */
#define CLEANUP_MIME_DEPTH 20           /* nested multipart boundaries followed */

/* Where a body line belongs while the MIME structure is followed. */
#define MIME_TEXT 0           /* body text: body_checks */
#define MIME_PART_HEADERS 1   /* headers after a boundary: mime_header_checks */
#define MIME_NESTED_HEADERS 2 /* headers of a message/rfc822 part */

/* Configuration, read once per process. */
static CLEANUP_ADDR_CFG addr_cfg;
static const char *var_myhostname;
static long var_message_limit;
static long var_hopcount_limit;
static int var_always_add_hdrs;
static MAPS *virtual_maps;
static MAPS *canonical_maps;
static MAPS *rcpt_canonical_maps;
static MAPS *send_canonical_maps;
static MAPS *header_checks;        /* header_checks */
static MAPS *mime_header_checks;   /* mime_header_checks ($header_checks) */
static MAPS *body_checks;          /* body_checks */
static MAPS *nested_header_checks; /* nested_header_checks ($header_checks) */
static long var_body_check_limit;
static long var_header_limit; /* header_size_limit: excess is discarded */

/* The file being written, for the fatal-error hook. */
static VSTR *unfinished_qid;

/* A tiny string set for duplicate elimination, open addressing. */
typedef struct DUPS {
    char **slots;
    size_t cap;
    size_t used;
} DUPS;

typedef struct STATE {
    STREAM *client;
    STREAM *dst;
    int fd;
    VSTR *qid;
    struct timeval created; /* mail_queue_enter time */
    long arrival_sec;       /* T record seconds */
    int flags;
    int errs;
    VSTR *reason;
    long offset;      /* bytes written so far */
    long data_offset; /* first content record */
    long xtra_offset; /* the X record */
    int seg;          /* REC_SEG_ENV, CONT or XTRA */
    int time_done;
    int have_sender;
    char *sender;
    char *fullname;
    int local_ctx;
    char *pend_orig;
    char *pend_dsn_orcpt;
    long pend_notify;
    long rcpt_count;
    DUPS dups;
    /* headers */
    int in_header;
    int at_line_start;
    int have_hdr;      /* cur_hdr holds a header not yet written */
    VSTR *cur_hdr;     /* the current header, continuation lines joined by \n */
    VSTR *body_line;   /* a body line being gathered for body_checks */
    long body_checked; /* body bytes inspected (body_checks_size_limit) */
    int mime_mode;     /* MIME_* */
    int part_rfc822;   /* the part's Content-Type is message/rfc822 */
    int have_part_hdr; /* part_hdr holds a part header not yet written */
    VSTR *part_hdr;
    char *bounds[CLEANUP_MIME_DEPTH]; /* open multipart boundaries */
    int nbounds;
    /* header/body_checks (cleanup_checks.c) */
    int filter;       /* CLEANUP_FLAG_FILTER and not yet REJECT/DISCARD */
    char *first_rcpt; /* to=<> in action logs */
    char *log_name;   /* log_client_name */
    char *log_addr;   /* log_client_address */
    char *log_proto;  /* log_protocol_name */
    char *log_helo;   /* log_helo_name */
    char *log_origin; /* log_message_origin */
    int headers_seen; /* 1 << CLN_HDR_* */
    long hop_count;
    int resent;
    int logged_msgid;
    long content_bytes;
    VSTR *buf;
    VSTR *tmp;
} STATE;

/* dups_hash - FNV-1a */
static size_t dups_hash(const char *s)
{
    size_t h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* dups_add - add key; returns 1 if it was new, 0 if already present. */
static int dups_add(DUPS *d, const char *key)
{
    size_t i;

    if (d->used * 2 >= d->cap) {
        size_t ncap = d->cap ? d->cap * 2 : 16;
        char **nslots = mymalloc(ncap * sizeof(char *));
        memset(nslots, 0, ncap * sizeof(char *));
        for (i = 0; i < d->cap; i++) {
            if (d->slots[i]) {
                size_t j = dups_hash(d->slots[i]) & (ncap - 1);
                while (nslots[j])
                    j = (j + 1) & (ncap - 1);
                nslots[j] = d->slots[i];
            }
        }
        myfree(d->slots);
        d->slots = nslots;
        d->cap = ncap;
    }
    i = dups_hash(key) & (d->cap - 1);
    while (d->slots[i]) {
        if (strcmp(d->slots[i], key) == 0)
            return 0;
        i = (i + 1) & (d->cap - 1);
    }
    d->slots[i] = mystrdup(key);
    d->used++;
    return 1;
}

static void dups_free(DUPS *d)
{
    size_t i;

    for (i = 0; i < d->cap; i++)
        myfree(d->slots[i]);
    myfree(d->slots);
    memset(d, 0, sizeof(*d));
}

/* rec_len - bytes one record of len data bytes takes in the file. */
static long rec_len(size_t len)
{
    long n = 2;

    while (len >= 128) {
        len >>= 7;
        n++;
    }
    return n;
}

/* out_rec - write one record to the queue file, tracking the offset. */
static void out_rec(STATE *state, int type, const void *data, size_t len)
{
    if (state->errs)
        return;
    if (rec_put(state->dst, type, data, len) == REC_TYPE_ERROR) {
        msg_warn("%s: queue file write error: %m", state->qid->buf);
        state->errs |= CLEANUP_STAT_WRITE;
        return;
    }
    state->offset += rec_len(len) + (long)len;
}

static void out_str(STATE *state, int type, const char *str)
{
    out_rec(state, type, str, strlen(str));
}

/* out_fmt - formatted record (uses state->tmp). */
static void out_fmt(STATE *state, int type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void out_fmt(STATE *state, int type, const char *fmt, ...)
{
    va_list ap;

    vstr_reset(state->tmp);
    va_start(ap, fmt);
    vstr_vsprintf_append(state->tmp, fmt, ap);
    va_end(ap);
    out_rec(state, type, state->tmp->buf, state->tmp->len);
}

static void set_reason(STATE *state, const char *text)
{
    if (state->reason->len == 0)
        vstr_strcpy(state->reason, text);
}

/* ensure_time - write T (now, unless the client sent one) and create_time. */
static void ensure_time(STATE *state, const char *client_t)
{
    if (state->time_done)
        return;
    state->time_done = 1;
    if (client_t) {
        out_str(state, REC_TYPE_TIME, client_t);
        state->arrival_sec = strtol(client_t, 0, 10);
        if (state->arrival_sec <= 0)
            state->arrival_sec = state->created.tv_sec;
    } else {
        out_fmt(state, REC_TYPE_TIME, "%ld %ld", (long)state->created.tv_sec,
                (long)state->created.tv_usec);
        state->arrival_sec = state->created.tv_sec;
    }
    out_fmt(state, REC_TYPE_ATTR, "create_time=%ld", (long)state->created.tv_sec);
}

/* map_error - record a table failure or limit while mapping addr. */
static void map_error(STATE *state, int status, const char *title, const char *addr)
{
    if (status == CLEANUP_MAP_LIMIT) {
        msg_warn("%s: unreasonable %s map expansion for %s -- message not accepted, try again "
                 "later",
                 state->qid->buf, title, addr);
        set_reason(state, "4.6.0 Alias expansion error");
    } else {
        msg_warn("%s: %s map lookup problem for %s -- message not accepted, try again later",
                 state->qid->buf, title, addr);
        set_reason(state, "4.3.0 Temporary lookup failure");
    }
    state->errs |= CLEANUP_STAT_DEFER;
}

/* canon_addr - apply the specific then the generic canonical map. */
static int canon_addr(STATE *state, MAPS *specific, const char *title, const char *addr, VSTR *out)
{
    VSTR *tmp = vstr_alloc(100);
    int st;

    vstr_strcpy(out, addr);
    if (specific && specific->count) {
        st = cleanup_map11(specific, out->buf, &addr_cfg, addr_cfg.propagate_canon, tmp);
        if (st < 0) {
            map_error(state, st, title, addr);
            vstr_free(tmp);
            return -1;
        }
        vstr_strcpy(out, tmp->buf);
    }
    if (canonical_maps && canonical_maps->count) {
        st = cleanup_map11(canonical_maps, out->buf, &addr_cfg, addr_cfg.propagate_canon, tmp);
        if (st < 0) {
            map_error(state, st, "canonical_maps", addr);
            vstr_free(tmp);
            return -1;
        }
        vstr_strcpy(out, tmp->buf);
    }
    vstr_free(tmp);
    return 0;
}

/* do_sender - qualify, canonicalize and write S. */
static void do_sender(STATE *state, const char *addr)
{
    VSTR *q = vstr_alloc(100);
    VSTR *c = vstr_alloc(100);

    cleanup_qualify(addr, addr_cfg.myorigin, q);
    if (*addr && canon_addr(state, send_canonical_maps, "sender_canonical_maps", q->buf, c) < 0)
        vstr_strcpy(c, q->buf);
    else if (*addr == 0)
        vstr_reset(c);
    myfree(state->sender);
    state->sender = mystrdup(c->buf);
    state->have_sender = 1;
    out_str(state, REC_TYPE_FROM, state->sender);
    vstr_free(q);
    vstr_free(c);
}

/* do_rcpt - expand one client recipient and write its records. */
static void do_rcpt(STATE *state, const char *addr)
{
    const char *orig = state->pend_orig ? state->pend_orig : addr;
    VSTR *q = vstr_alloc(100);
    VSTR *c = vstr_alloc(100);
    ARGV *list = 0;
    int st;
    int i;

    if (state->first_rcpt == 0)
        state->first_rcpt = mystrdup(addr);
    cleanup_qualify(addr, addr_cfg.myorigin, q);
    if (canon_addr(state, rcpt_canonical_maps, "recipient_canonical_maps", q->buf, c) == 0) {
        st = cleanup_map1n(virtual_maps, c->buf, &addr_cfg, &list);
        if (st != CLEANUP_MAP_OK)
            map_error(state, st, "virtual_alias_maps", c->buf);
    }
    if (list && state->errs == 0) {
        for (i = 0; i < list->argc; i++) {
            vstr_sprintf(q, "%s\n%s", orig, list->argv[i]);
            if (!dups_add(&state->dups, q->buf))
                continue;
            if (state->pend_notify > 0)
                out_fmt(state, REC_TYPE_ATTR, "notify_flags=%ld", state->pend_notify);
            if (state->pend_dsn_orcpt)
                out_fmt(state, REC_TYPE_ATTR, "dsn_orig_rcpt=%s", state->pend_dsn_orcpt);
            else
                out_fmt(state, REC_TYPE_ATTR, "dsn_orig_rcpt=rfc822;%s", orig);
            out_str(state, REC_TYPE_ORCP, orig);
            out_str(state, REC_TYPE_RCPT, list->argv[i]);
            state->rcpt_count++;
        }
    }
    if (list)
        argv_free(list);
    myfree(state->pend_orig);
    myfree(state->pend_dsn_orcpt);
    state->pend_orig = 0;
    state->pend_dsn_orcpt = 0;
    state->pend_notify = 0;
    vstr_free(q);
    vstr_free(c);
}

/* out_lines - write text as N records, one per '\n'-separated line. */
static void out_lines(STATE *state, const char *text, size_t len)
{
    const char *end = text + len;
    const char *nl;

    for (;;) {
        nl = memchr(text, '\n', (size_t)(end - text));
        out_rec(state, REC_TYPE_NORM, text, nl ? (size_t)(nl - text) : (size_t)(end - text));
        if (nl == 0)
            break;
        text = nl + 1;
    }
}

/* check_log - Postfix's cleanup_act_log() line for one action. */
static void check_log(STATE *state, const char *action, const char *klass, const char *content,
                      const char *text)
{
    VSTR *line = vstr_alloc(200);
    VSTR *origin = vstr_alloc(100);

    if (state->log_origin)
        vstr_strcpy(origin, state->log_origin);
    else if (state->log_name || state->log_addr)
        vstr_sprintf(origin, "%s[%s]", state->log_name ? state->log_name : "unknown",
                     state->log_addr ? state->log_addr : "unknown");
    else
        vstr_strcpy(origin, "local");
    cleanup_check_log_format(line, state->qid->buf, action, klass, content, origin->buf,
                             state->have_sender ? state->sender : 0, state->first_rcpt,
                             state->log_proto, state->log_helo, text);
    msg_info("%s", line->buf);
    vstr_free(line);
    vstr_free(origin);
}

/*
 * check_content - look content ("header" or "body" klass) up in maps
 * (named map_class) and carry out the action (header_checks(5)). Returns
 * CLEANUP_ACT_DUNNO (keep it), _IGNORE (drop it) or _REPLACE / _PREPEND
 * with *text the new or extra line. A table failure defers the message.
 */
static int check_content(STATE *state, MAPS *maps, const char *map_class, const char *klass,
                         const char *content, const char **text)
{
    const char *value;
    int act;
    int is_hdr = (strcmp(klass, "header") == 0);

    if (maps == 0 || !state->filter || state->errs)
        return CLEANUP_ACT_DUNNO;
    value = maps_find(maps, content, 0);
    if (value == 0) {
        if (maps->error != DICT_ERR_NONE) {
            msg_warn("%s: %s map lookup problem -- message not accepted, try again later",
                     state->qid->buf, map_class);
            set_reason(state, "4.3.0 Temporary lookup failure");
            state->errs |= CLEANUP_STAT_DEFER;
        }
        return CLEANUP_ACT_DUNNO;
    }
    act = cleanup_check_parse(value, text);
    switch (act) {
    case CLEANUP_ACT_REJECT:
        if (cleanup_check_reject_reason(*text, state->tmp) == '4')
            state->errs |= CLEANUP_STAT_DEFER;
        else
            state->errs |= CLEANUP_STAT_CONT;
        vstr_strcpy(state->reason, state->tmp->buf);
        state->filter = 0;
        check_log(state, "reject", klass, content, state->reason->buf);
        return CLEANUP_ACT_DUNNO;
    case CLEANUP_ACT_DISCARD:
        check_log(state, "discard", klass, content, *text);
        state->flags |= CLEANUP_FLAG_DISCARD;
        state->filter = 0;
        return CLEANUP_ACT_DUNNO;
    case CLEANUP_ACT_HOLD:
        check_log(state, "hold", klass, content, *text);
        state->flags |= CLEANUP_FLAG_HOLD;
        return CLEANUP_ACT_DUNNO;
    case CLEANUP_ACT_WARN:
        check_log(state, "warning", klass, content, *text);
        return CLEANUP_ACT_DUNNO;
    case CLEANUP_ACT_INFO:
        check_log(state, "info", klass, content, *text);
        return CLEANUP_ACT_DUNNO;
    case CLEANUP_ACT_IGNORE:
        return CLEANUP_ACT_IGNORE;
    case CLEANUP_ACT_PREPEND:
    case CLEANUP_ACT_REPLACE: {
        const char *name = act == CLEANUP_ACT_PREPEND ? "PREPEND" : "REPLACE";

        if (**text == 0) {
            msg_warn("%s action without text in %s map", name, map_class);
            return CLEANUP_ACT_DUNNO;
        }
        if (is_hdr && cleanup_header_name_len(*text, strlen(*text)) == 0) {
            msg_warn("bad %s header text \"%s\" in %s map -- need \"headername: headervalue\"",
                     name, *text, map_class);
            return CLEANUP_ACT_DUNNO;
        }
        check_log(state, act == CLEANUP_ACT_PREPEND ? "prepend" : "replace", klass, content, *text);
        return act;
    }
    case CLEANUP_ACT_UNKNOWN:
        msg_warn("unknown command in %s map: %s", map_class, value);
        return CLEANUP_ACT_DUNNO;
    default:
        return CLEANUP_ACT_DUNNO;
    }
}

/* mime_note - remember a multipart boundary or a message/rfc822 type. */
static void mime_note(STATE *state, const char *text, size_t len)
{
    int kind = cleanup_mime_content_type(text, len, state->tmp);

    if (kind == CLEANUP_MIME_MULTIPART && state->nbounds < CLEANUP_MIME_DEPTH)
        state->bounds[state->nbounds++] = mystrdup(state->tmp->buf);
    else if (kind == CLEANUP_MIME_RFC822 && state->mime_mode == MIME_PART_HEADERS)
        state->part_rfc822 = 1;
}

/* mime_pop - forget the boundaries opened after index keep. */
static void mime_pop(STATE *state, int keep)
{
    while (state->nbounds > keep)
        myfree(state->bounds[--state->nbounds]);
}

/*
 * finish_part_header - a header of a MIME part (mime_header_checks) or of
 * an attached message (nested_header_checks; its MIME headers
 * mime_header_checks) is complete: check it, note its MIME type, write it.
 */
static void finish_part_header(STATE *state)
{
    const char *text = 0;
    MAPS *maps = mime_header_checks;
    const char *map_class = "mime_header_checks";
    VSTR *h = state->part_hdr;
    int act;

    if (!state->have_part_hdr)
        return;
    state->have_part_hdr = 0;
    if (state->mime_mode == MIME_NESTED_HEADERS && !cleanup_is_mime_header(h->buf, h->len)) {
        maps = nested_header_checks;
        map_class = "nested_header_checks";
    }
    act = check_content(state, maps, map_class, "header", h->buf, &text);
    if (act == CLEANUP_ACT_IGNORE)
        return;
    if (act == CLEANUP_ACT_PREPEND)
        out_str(state, REC_TYPE_NORM, text);
    if (act == CLEANUP_ACT_REPLACE) {
        vstr_strcpy(h, text);
    }
    mime_note(state, h->buf, h->len);
    out_lines(state, h->buf, h->len);
}

/*
 * emit_header - write one complete header (text, len: continuation lines
 * joined by '\n') and note what cleanup needs from it: its class, the
 * Received: count, and the (Resent-)Message-ID that it logs.
 */
static void emit_header(STATE *state, const char *text, size_t len)
{
    int klass = cleanup_header_class(text, len);

    state->headers_seen |= 1 << klass;
    if (klass >= CLN_HDR_RESENT_FROM)
        state->resent = 1;
    if (klass == CLN_HDR_RECEIVED && ++state->hop_count >= var_hopcount_limit &&
        var_hopcount_limit > 0 && !(state->errs & CLEANUP_STAT_HOPS)) {
        msg_warn("%s: message rejected: hopcount exceeded", state->qid->buf);
        state->errs |= CLEANUP_STAT_HOPS;
    }
    mime_note(state, text, len);
    if (klass == CLN_HDR_MESSAGE_ID || klass == CLN_HDR_RESENT_MESSAGE_ID) {
        cleanup_header_value(text, len < CLEANUP_HDR_KEEP ? len : CLEANUP_HDR_KEEP, state->tmp);
        msg_info("%s: %smessage-id=%s", state->qid->buf,
                 klass == CLN_HDR_RESENT_MESSAGE_ID ? "resent-" : "", state->tmp->buf);
        state->logged_msgid = 1;
    }
    out_lines(state, text, len);
}

/*
 * finish_header - the gathered header is complete: run header_checks (or
 * mime_header_checks for MIME headers) on it, then write it.
 */
static void finish_header(STATE *state)
{
    const char *text = 0;
    MAPS *maps;
    const char *map_class;
    int act;

    if (!state->have_hdr)
        return;
    state->have_hdr = 0;
    if (cleanup_is_mime_header(state->cur_hdr->buf, state->cur_hdr->len)) {
        maps = mime_header_checks;
        map_class = "mime_header_checks";
    } else {
        maps = header_checks;
        map_class = "header_checks";
    }
    act = check_content(state, maps, map_class, "header", state->cur_hdr->buf, &text);
    if (act == CLEANUP_ACT_IGNORE)
        return;
    if (act == CLEANUP_ACT_PREPEND) {
        out_str(state, REC_TYPE_NORM, text);
    } else if (act == CLEANUP_ACT_REPLACE) {
        char *copy = mystrdup(text);

        emit_header(state, copy, strlen(copy));
        myfree(copy);
        return;
    }
    emit_header(state, state->cur_hdr->buf, state->cur_hdr->len);
}

/* end_headers - add missing headers (local context only, trap 16). */
static void end_headers(STATE *state)
{
    const char *prefix;
    VSTR *v;

    finish_header(state);
    state->in_header = 0;
    if (!state->local_ctx && !var_always_add_hdrs) {
        if (!state->logged_msgid)
            msg_info("%s: message-id=<>", state->qid->buf);
        return;
    }
    prefix = state->resent ? "Resent-" : "";
    v = vstr_alloc(200);
    if (!(state->headers_seen &
          (1 << (state->resent ? CLN_HDR_RESENT_MESSAGE_ID : CLN_HDR_MESSAGE_ID)))) {
        cleanup_msgid_format(v, state->created.tv_sec, state->qid->buf, var_myhostname);
        out_fmt(state, REC_TYPE_NORM, "%sMessage-Id: %s", prefix, v->buf);
        msg_info("%s: %smessage-id=%s", state->qid->buf, state->resent ? "resent-" : "", v->buf);
    }
    if (!(state->headers_seen & (1 << (state->resent ? CLN_HDR_RESENT_DATE : CLN_HDR_DATE)))) {
        cleanup_date_format(v, state->arrival_sec);
        out_fmt(state, REC_TYPE_NORM, "%sDate: %s", prefix, v->buf);
    }
    if (!(state->headers_seen & (1 << (state->resent ? CLN_HDR_RESENT_FROM : CLN_HDR_FROM)))) {
        cleanup_from_format(v, prefix, state->sender, state->fullname);
        out_rec(state, REC_TYPE_NORM, v->buf, v->len);
    }
    vstr_free(v);
}

/* body_text - one logical body text line: body_checks, then write it. */
static void body_text(STATE *state, const char *line, size_t len)
{
    const char *text = 0;
    int act = CLEANUP_ACT_DUNNO;

    if (body_checks && state->body_checked <= var_body_check_limit)
        act = check_content(state, body_checks, "body_checks", "body", line, &text);
    state->body_checked += (long)len + 1;
    if (act == CLEANUP_ACT_PREPEND || act == CLEANUP_ACT_REPLACE)
        out_str(state, REC_TYPE_NORM, text);
    if (act != CLEANUP_ACT_IGNORE && act != CLEANUP_ACT_REPLACE)
        out_rec(state, REC_TYPE_NORM, line, len);
}

/*
 * body_line_done - one complete logical body line while checks are on:
 * follow the MIME structure (boundaries, part headers, attached message
 * headers) and send the line to the right table.
 */
static void body_line_done(STATE *state, const char *line, size_t len)
{
    int i;
    int m;

    if (state->mime_mode != MIME_TEXT) {
        if (len == 0) { /* end of the part's (or attached message's) headers */
            finish_part_header(state);
            out_rec(state, REC_TYPE_NORM, line, 0);
            state->mime_mode = (state->mime_mode == MIME_PART_HEADERS && state->part_rfc822)
                                   ? MIME_NESTED_HEADERS
                                   : MIME_TEXT;
            state->part_rfc822 = 0;
            return;
        }
        if (state->have_part_hdr && (line[0] == ' ' || line[0] == '\t')) {
            vstr_addch(state->part_hdr, '\n');
            vstr_addmem(state->part_hdr, line, len);
            return;
        }
        if (cleanup_header_name_len(line, len) > 0) {
            finish_part_header(state);
            vstr_memcpy(state->part_hdr, line, len);
            state->have_part_hdr = 1;
            return;
        }
        finish_part_header(state); /* not a header: the part's text begins */
        state->mime_mode = MIME_TEXT;
        state->part_rfc822 = 0;
    }
    for (i = state->nbounds - 1; i >= 0; i--) {
        if ((m = cleanup_mime_boundary_match(line, len, state->bounds[i])) != 0) {
            if (m == 2) {
                mime_pop(state, i);
            } else {
                mime_pop(state, i + 1);
                state->mime_mode = MIME_PART_HEADERS;
            }
            break;
        }
    }
    body_text(state, line, len);
}

/*
 * body_record - one body record. Without checks it is copied as is; with
 * them the logical line (L records joined) is handled once it is complete.
 */
static void body_record(STATE *state, int type, const char *data, size_t len)
{
    int checks = state->filter && (body_checks || mime_header_checks || nested_header_checks);

    if (!checks && state->body_line->len == 0 && !state->have_part_hdr) {
        out_rec(state, type, data, len);
        return;
    }
    vstr_addmem(state->body_line, data, len);
    if (type == REC_TYPE_CONT)
        return;
    if (checks) {
        body_line_done(state, state->body_line->buf, state->body_line->len);
    } else {
        finish_part_header(state); /* checks ended (REJECT/DISCARD) */
        out_rec(state, REC_TYPE_NORM, state->body_line->buf, state->body_line->len);
    }
    vstr_reset(state->body_line);
}

/*
 * hdr_add - append (sep, if not 0, then) data to the current header, up to
 * header_size_limit bytes; the excess is discarded, as in Postfix.
 */
static void hdr_add(STATE *state, int sep, const char *data, size_t len)
{
    size_t room;

    if (var_header_limit > 0) {
        if (state->cur_hdr->len + (sep != 0) > (size_t)var_header_limit)
            return;
        room = (size_t)var_header_limit - state->cur_hdr->len - (sep != 0);
        if (len > room)
            len = room;
    }
    if (sep)
        vstr_addch(state->cur_hdr, sep);
    vstr_addmem(state->cur_hdr, data, len);
}

/* do_content - one N or L record of the message content. */
static void do_content(STATE *state, int type, const char *data, size_t len)
{
    state->content_bytes += (long)len + (type == REC_TYPE_NORM);
    if (var_message_limit > 0 && state->content_bytes > var_message_limit &&
        !(state->errs & CLEANUP_STAT_SIZE)) {
        msg_warn("%s: message file too big", state->qid->buf);
        state->errs |= CLEANUP_STAT_SIZE;
    }
    if (state->in_header) {
        if (!state->at_line_start) {
            /* the rest of a long header line */
            if (state->have_hdr)
                hdr_add(state, 0, data, len);
            state->at_line_start = (type == REC_TYPE_NORM);
            return;
        }
        if (state->have_hdr && len > 0 && (data[0] == ' ' || data[0] == '\t')) {
            hdr_add(state, '\n', data, len);
            state->at_line_start = (type == REC_TYPE_NORM);
            return;
        }
        if (len > 0 && cleanup_header_name_len(data, len) > 0) {
            finish_header(state);
            vstr_reset(state->cur_hdr);
            hdr_add(state, 0, data, len);
            state->have_hdr = 1;
            state->at_line_start = (type == REC_TYPE_NORM);
            return;
        }
        /* an empty line, or a line that is not a header: the body begins */
        end_headers(state);
        if (len == 0 && type == REC_TYPE_NORM) {
            out_rec(state, type, data, len); /* the separator is not body */
            state->at_line_start = 1;
            return;
        }
    }
    body_record(state, type, data, len);
    state->at_line_start = (type == REC_TYPE_NORM);
}

/* bad_record - a record type the client may not send here. */
static void bad_record(STATE *state, int type)
{
    if (!(state->errs & CLEANUP_STAT_BAD))
        msg_warn("%s: record type %d not allowed", state->qid->buf, type);
    state->errs |= CLEANUP_STAT_BAD;
}

/* keep_attr - remember an attribute value for the action logs. */
static void keep_attr(char **slot, const char *value)
{
    myfree(*slot);
    *slot = mystrdup(value);
}

/* do_attr - an A record in the envelope or extracted segment. */
static void do_attr(STATE *state, const char *data, size_t len)
{
    long n;

    if (strncmp(data, "dsn_orig_rcpt=", 14) == 0) {
        myfree(state->pend_dsn_orcpt);
        state->pend_dsn_orcpt = mystrdup(data + 14);
        return;
    }
    if (strncmp(data, "notify_flags=", 13) == 0) {
        n = strtol(data + 13, 0, 10);
        state->pend_notify = n > 0 ? n : 0;
        return;
    }
    if (strcmp(data, "rewrite_context=local") == 0)
        state->local_ctx = 1;
    else if (strncmp(data, "log_client_name=", 16) == 0)
        keep_attr(&state->log_name, data + 16);
    else if (strncmp(data, "log_client_address=", 19) == 0)
        keep_attr(&state->log_addr, data + 19);
    else if (strncmp(data, "log_protocol_name=", 18) == 0)
        keep_attr(&state->log_proto, data + 18);
    else if (strncmp(data, "log_helo_name=", 14) == 0)
        keep_attr(&state->log_helo, data + 14);
    else if (strncmp(data, "log_message_origin=", 19) == 0)
        keep_attr(&state->log_origin, data + 19);
    out_rec(state, REC_TYPE_ATTR, data, len);
}

/*
 * read_message - the record loop of one message. Returns 0 after END, -1
 * when the client went away or sent an unreadable record.
 */
static int read_message(STATE *state)
{
    int type;
    const char *data;
    size_t len;

    for (;;) {
        type = rec_get_raw(state->client, state->buf, CLEANUP_REC_LIMIT);
        if (type == REC_TYPE_EOF || type == REC_TYPE_ERROR)
            return -1;
        data = state->buf->buf;
        len = state->buf->len;
        if (state->seg == REC_SEG_ENV) {
            if (type == REC_TYPE_TIME && !state->time_done) {
                ensure_time(state, data);
                continue;
            }
            ensure_time(state, 0);
            if (type == 0 || strchr("MTcFILSDRO/WVA>K<ion", type) == 0) {
                bad_record(state, type);
                continue;
            }
            switch (type) {
            case REC_TYPE_TIME:
                continue; /* a second T: ignore */
            case REC_TYPE_FULL:
                myfree(state->fullname);
                state->fullname = mystrdup(data);
                out_rec(state, type, data, len);
                continue;
            case REC_TYPE_FROM:
                if (state->have_sender) {
                    bad_record(state, type);
                    continue;
                }
                do_sender(state, data);
                continue;
            case REC_TYPE_ORCP:
                myfree(state->pend_orig);
                state->pend_orig = mystrdup(data);
                continue;
            case REC_TYPE_RCPT:
                do_rcpt(state, data);
                continue;
            case REC_TYPE_ATTR:
                do_attr(state, data, len);
                continue;
            case REC_TYPE_MESG:
                if (!state->have_sender) {
                    if (!(state->errs & CLEANUP_STAT_BAD))
                        msg_warn("%s: no sender record", state->qid->buf);
                    state->errs |= CLEANUP_STAT_BAD;
                }
                out_rec(state, type, data, 0);
                state->data_offset = state->offset;
                state->seg = REC_SEG_CONT;
                continue;
            default:
                out_rec(state, type, data, len);
                continue;
            }
        } else if (state->seg == REC_SEG_CONT) {
            if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
                do_content(state, type, data, len);
            } else if (type == REC_TYPE_XTRA) {
                if (state->in_header)
                    end_headers(state);
                finish_part_header(state);
                if (state->body_line->len > 0) { /* an unfinished long line */
                    out_rec(state, REC_TYPE_NORM, state->body_line->buf, state->body_line->len);
                    vstr_reset(state->body_line);
                }
                state->xtra_offset = state->offset;
                out_rec(state, type, data, 0);
                state->seg = REC_SEG_XTRA;
            } else {
                bad_record(state, type);
            }
        } else {
            if (type == 0 || strchr("EDRO/PreAFIL>Kon", type) == 0) {
                bad_record(state, type);
                continue;
            }
            switch (type) {
            case REC_TYPE_ORCP:
                myfree(state->pend_orig);
                state->pend_orig = mystrdup(data);
                break;
            case REC_TYPE_RCPT:
                do_rcpt(state, data);
                break;
            case REC_TYPE_ATTR:
                do_attr(state, data, len);
                break;
            case REC_TYPE_END:
                out_rec(state, type, data, 0);
                return 0;
            default:
                out_rec(state, type, data, len);
                break;
            }
        }
    }
}

/* remove_file - drop the unfinished queue file. */
static void remove_file(STATE *state)
{
    if (state->dst) {
        (void)stream_close(state->dst);
        state->dst = 0;
    }
    if (mail_queue_remove(MAIL_QUEUE_INCOMING, state->qid->buf) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s/%s: %m", state->qid->buf, MAIL_QUEUE_INCOMING, state->qid->buf);
    vstr_reset(unfinished_qid);
}

/* commit_file - rewrite SIZE, fchmod, fsync, close (trap 4). 0 or -1. */
static int commit_file(STATE *state)
{
    VSTR *size = state->tmp;
    long content = state->xtra_offset - state->data_offset;
    int fd = state->fd;

    rec_size_format(size, content, state->data_offset, state->rcpt_count, 0, content, 0);
    if (size->len != REC_SIZE_LEN)
        msg_panic("%s: SIZE record has %zu bytes", state->qid->buf, size->len);
    if (stream_flush(state->dst) < 0 || pwrite(fd, size->buf, size->len, 2) != REC_SIZE_LEN ||
        mail_queue_commit(fd, 0) < 0) {
        if (errno == EFBIG)
            state->errs |= CLEANUP_STAT_SIZE;
        else
            state->errs |= CLEANUP_STAT_WRITE;
        msg_warn("%s: queue file write error: %m", state->qid->buf);
        return -1;
    }
    if (stream_close(state->dst) < 0) {
        state->dst = 0;
        state->errs |= CLEANUP_STAT_WRITE;
        msg_warn("%s: queue file close error: %m", state->qid->buf);
        return -1;
    }
    state->dst = 0;
    return 0;
}

/* reply - send {status, reason}; 0 or -1. */
static int reply(STREAM *client, int status, const char *reason)
{
    if (attr_print_long(client, "status", status) < 0 ||
        attr_print_str(client, "reason", reason) < 0 || attr_print_end(client) < 0 ||
        stream_flush(client) < 0)
        return -1;
    return 0;
}

/* state_reset - forget the previous message. */
static void state_reset(STATE *state)
{
    myfree(state->sender);
    myfree(state->fullname);
    myfree(state->pend_orig);
    myfree(state->pend_dsn_orcpt);
    myfree(state->first_rcpt);
    myfree(state->log_name);
    myfree(state->log_addr);
    myfree(state->log_proto);
    myfree(state->log_helo);
    myfree(state->log_origin);
    state->first_rcpt = state->log_name = state->log_addr = 0;
    state->log_proto = state->log_helo = state->log_origin = 0;
    dups_free(&state->dups);
    state->sender = state->fullname = state->pend_orig = state->pend_dsn_orcpt = 0;
    state->dst = 0;
    state->fd = -1;
    state->arrival_sec = 0;
    state->flags = state->errs = 0;
    vstr_reset(state->reason);
    state->offset = state->data_offset = state->xtra_offset = 0;
    state->seg = REC_SEG_ENV;
    state->time_done = state->have_sender = state->local_ctx = 0;
    state->pend_notify = 0;
    state->rcpt_count = 0;
    state->in_header = 1;
    state->at_line_start = 1;
    state->have_hdr = 0;
    if (state->body_line)
        vstr_reset(state->body_line);
    state->body_checked = 0;
    state->mime_mode = MIME_TEXT;
    state->part_rfc822 = 0;
    state->have_part_hdr = 0;
    mime_pop(state, 0);
    state->headers_seen = 0;
    state->hop_count = 0;
    state->resent = state->logged_msgid = 0;
    state->content_bytes = 0;
}

/*
 * cleanup_message - one message: {flags} already read. Returns 0 when the
 * connection may carry another message, -1 when it must be dropped.
 */
static int cleanup_message(STATE *state, long flags)
{
    VSTR *size = state->tmp;
    int rc;

    state_reset(state);
    state->flags = (int)flags;
    state->filter = (state->flags & CLEANUP_FLAG_FILTER) != 0;
    (void)mail_flow_get(1);
    state->fd = mail_queue_enter(MAIL_QUEUE_INCOMING, 0, state->qid, &state->created);
    vstr_strcpy(unfinished_qid, state->qid->buf);
    state->dst = stream_fdopen(state->fd, state->qid->buf);
    rec_size_format(size, 0, 0, 0, 0, 0, 0);
    out_rec(state, REC_TYPE_SIZE, size->buf, size->len);

    if (attr_print_str(state->client, "queue_id", state->qid->buf) < 0 ||
        attr_print_end(state->client) < 0 || stream_flush(state->client) < 0) {
        remove_file(state);
        return -1;
    }
    if (read_message(state) < 0) {
        if (msg_verbose)
            msg_info("%s: client disconnected or sent a bad record", state->qid->buf);
        remove_file(state);
        return -1;
    }
    if (state->errs == 0 && state->rcpt_count == 0) {
        msg_warn("%s: no recipients specified", state->qid->buf);
        state->errs |= CLEANUP_STAT_RCPT;
    }
    if (state->errs == 0 && (state->flags & CLEANUP_FLAG_DISCARD)) {
        /* header/body_checks DISCARD: accepted, and silently dropped */
        remove_file(state);
        return reply(state->client, 0, "");
    }
    if (state->errs == 0 && (state->flags & CLEANUP_FLAG_HOLD) &&
        mail_queue_rename(state->qid->buf, MAIL_QUEUE_INCOMING, MAIL_QUEUE_HOLD) < 0) {
        msg_warn("%s: rename %s to %s: %m", state->qid->buf, MAIL_QUEUE_INCOMING, MAIL_QUEUE_HOLD);
        state->errs |= CLEANUP_STAT_WRITE;
    }
    if (state->errs == 0 && commit_file(state) == 0) {
        vstr_reset(unfinished_qid);
        if (state->flags & CLEANUP_FLAG_HOLD)
            return reply(state->client, 0, ""); /* qmgr does not scan hold/ */
        /*
         * The file is committed (fsync'ed): answer first, so the client's
         * 250 never waits for qmgr to accept the trigger, then wake qmgr.
         */
        rc = reply(state->client, 0, "");
        (void)unix_trigger("public/qmgr", "I", 1);
        return rc;
    }
    remove_file(state);
    rc = reply(state->client, state->errs, state->reason->buf);
    return rc;
}

/* cleanup_service - serve one client connection (any number of messages). */
static void cleanup_service(STREAM *client, const char *service, char **argv)
{
    STATE state;
    ATTR_LIST *req = attr_list_alloc();
    long flags;

    memset(&state, 0, sizeof(state));
    state.client = client;
    state.qid = vstr_alloc(32);
    state.reason = vstr_alloc(100);
    state.cur_hdr = vstr_alloc(100);
    state.body_line = vstr_alloc(100);
    state.part_hdr = vstr_alloc(100);
    state.buf = vstr_alloc(2048);
    state.tmp = vstr_alloc(200);
    state.fd = -1;

    if (attr_print_str(client, "protocol", "cleanup_protocol") == 0 &&
        attr_print_end(client) == 0 && stream_flush(client) == 0) {
        while (attr_scan(client, req, ATTR_LIMIT_DEFAULT) == 0) {
            if (attr_get_long(req, "flags", &flags) < 0) {
                msg_warn("cleanup: request without flags attribute");
                break;
            }
            if (cleanup_message(&state, flags) < 0)
                break;
        }
    }
    state_reset(&state);
    attr_list_free(req);
    vstr_free(state.qid);
    vstr_free(state.reason);
    vstr_free(state.cur_hdr);
    vstr_free(state.body_line);
    vstr_free(state.part_hdr);
    vstr_free(state.buf);
    vstr_free(state.tmp);
}

/* cleanup_fatal_hook - msg_fatal removes the unfinished queue file. */
static void cleanup_fatal_hook(void)
{
    if (unfinished_qid && unfinished_qid->len > 0) {
        (void)mail_queue_remove(MAIL_QUEUE_INCOMING, unfinished_qid->buf);
        vstr_reset(unfinished_qid);
    }
}

/* has_word - list parameter contains word. */
static int has_word(const char *param, const char *word)
{
    ARGV *list = cfg_list(param);
    int i;
    int found = 0;

    for (i = 0; i < list->argc; i++)
        if (strcasecmp(list->argv[i], word) == 0)
            found = 1;
    argv_free(list);
    return found;
}

/* open_maps - a *_maps parameter, or NULL when empty. */
static MAPS *open_maps(const char *param)
{
    const char *value = cfg_str(param);

    if (value == 0 || *value == 0)
        return 0;
    return maps_create(param, value, DICT_FLAGS_DEFAULT);
}

/* open_checks - a header/body_checks table list, or NULL when empty. Keys
 * are message text: not folded to lower case (Postfix opens these tables
 * with DICT_FLAG_LOCK only; pattern tables have their own 'i' flag). */
static MAPS *open_checks(const char *param)
{
    const char *value = cfg_str(param);

    if (value == 0 || *value == 0)
        return 0;
    return maps_create(param, value, DICT_FLAG_LOCK);
}

/* cleanup_pre_init - open tables as root, read parameters. */
static void cleanup_pre_init(const char *service, char **argv)
{
    addr_cfg.myorigin = cfg_str("myorigin");
    addr_cfg.recursion_limit = (int)cfg_long("virtual_alias_recursion_limit");
    addr_cfg.expansion_limit = (int)cfg_long("virtual_alias_expansion_limit");
    addr_cfg.propagate_virtual = has_word("propagate_unmatched_extensions", "virtual");
    addr_cfg.propagate_canon = has_word("propagate_unmatched_extensions", "canonical");
    var_myhostname = cfg_str("myhostname");
    var_message_limit = cfg_long("message_size_limit");
    var_hopcount_limit = cfg_long("hopcount_limit");
    var_always_add_hdrs = cfg_bool("always_add_missing_headers");
    virtual_maps = open_maps("virtual_alias_maps");
    canonical_maps = open_maps("canonical_maps");
    rcpt_canonical_maps = open_maps("recipient_canonical_maps");
    send_canonical_maps = open_maps("sender_canonical_maps");
    header_checks = open_checks("header_checks");
    mime_header_checks = open_checks("mime_header_checks");
    body_checks = open_checks("body_checks");
    nested_header_checks = open_checks("nested_header_checks");
    var_body_check_limit = cfg_long("body_checks_size_limit");
    var_header_limit = cfg_long("header_size_limit");
    unfinished_qid = vstr_alloc(32);
    msg_cleanup_hook(cleanup_fatal_hook);
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = cleanup_pre_init,
    };

    msg_init(argv[0], MSG_SYSLOG);
    single_server_main(argc, argv, cleanup_service, &opts);
}
