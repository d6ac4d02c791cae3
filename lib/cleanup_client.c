/*
 * NAME
 *	cleanup_client - client side of the cleanup(8) submission protocol
 *
 * SYNOPSIS
 *	#include "cleanup_proto.h"
 *
 * DESCRIPTION
 *	Talks to public/cleanup as described in cleanup_proto.h (Postfix's
 *	attr0 lists and queue-file records, reference 4.2 and 4.4, except that
 *	one connection carries many messages and the queue ID follows the
 *	flags). Records are written with rec_put() into cl->st without
 *	flushing; cleanup_finish() flushes once and waits for the status.
 *
 *	cleanup_stat_reply() maps a status to the SMTP reply smtpd sends,
 *	checking the bits in Postfix's order (reference 4.4): BARE_LF, a
 *	reason that is itself an SMTP reply, DEFER, BAD, SIZE, HOPS, CONT,
 *	WRITE, PROXY, then NOPERM and RCPT.
 *
 * DIAGNOSTICS
 *	cleanup_open() logs "warning: connect to public/cleanup: ..." or a
 *	bad-greeting warning and returns NULL; the caller replies 451.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "cleanup_proto.h"
#include "config.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "stream.h"
#include "vstr.h"

/* How long we wait for cleanup (seconds): $ipc_timeout. */
static int cleanup_timeout(void)
{
    long t = cfg_is_known("ipc_timeout") ? cfg_time("ipc_timeout") : 3600;

    return t > 0 ? (int)t : 3600;
}

/*
 * cleanup_open - connect to public/cleanup and check its greeting
 *
 * Returns a client, or NULL (warning logged) when the service cannot be
 * reached or does not greet with protocol=cleanup_protocol. Paths are
 * relative to queue_directory (the caller has chdir'ed there).
 */
CLEANUP_CLIENT *cleanup_open(void)
{
    int fd;
    STREAM *st;
    ATTR_LIST *list;
    CLEANUP_CLIENT *cl;

    if ((fd = unix_connect(CLEANUP_SERVICE, 0, 10)) < 0) {
        msg_warn("connect to %s: %m", CLEANUP_SERVICE);
        return 0;
    }
    close_on_exec(fd, 1);
    st = stream_fdopen(fd, CLEANUP_SERVICE);
    stream_set_timeout(st, cleanup_timeout());
    list = attr_list_alloc();
    if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 ||
        attr_expect(list, "protocol", "cleanup_protocol") < 0) {
        msg_warn("%s: bad or missing service greeting", CLEANUP_SERVICE);
        attr_list_free(list);
        stream_close(st);
        return 0;
    }
    attr_list_free(list);
    cl = mymalloc(sizeof(*cl));
    cl->st = st;
    return cl;
}

/*
 * cleanup_begin - start one message
 *
 * Sends {flags=N}, reads {queue_id=QID} and stores the ID in qid. Returns
 * 0, or -1 when the connection broke or the reply was malformed (the
 * caller must cleanup_close() the client).
 */
int cleanup_begin(CLEANUP_CLIENT *cl, int flags, VSTR *qid)
{
    ATTR_LIST *list;
    const char *id;
    int ret = -1;

    if (attr_print_long(cl->st, "flags", flags) < 0 || attr_print_end(cl->st) < 0 ||
        stream_flush(cl->st) < 0)
        return -1;
    list = attr_list_alloc();
    if (attr_scan(cl->st, list, ATTR_LIMIT_DEFAULT) == 0 &&
        (id = attr_get(list, "queue_id")) != 0 && *id != 0) {
        vstr_strcpy(qid, id);
        ret = 0;
    }
    attr_list_free(list);
    return ret;
}

/*
 * cleanup_finish - flush the records and read the verdict
 *
 * Returns the status bit mask (CLEANUP_STAT_*, 0 = queued and fsynced),
 * with the server's reason text in reason (may be empty), or -1 when the
 * connection broke (the caller must cleanup_close() it).
 */
int cleanup_finish(CLEANUP_CLIENT *cl, VSTR *reason)
{
    ATTR_LIST *list;
    long status;
    const char *text;
    int ret = -1;

    vstr_reset(reason);
    if (stream_flush(cl->st) < 0)
        return -1;
    list = attr_list_alloc();
    if (attr_scan(cl->st, list, ATTR_LIMIT_DEFAULT) == 0 &&
        attr_get_long(list, "status", &status) == 0 && status >= 0) {
        if ((text = attr_get(list, "reason")) != 0)
            vstr_strcpy(reason, text);
        ret = (int)status;
    }
    attr_list_free(list);
    return ret;
}

/*
 * cleanup_close - close the connection and free the client (NULL allowed).
 * Closing in the middle of a message makes cleanup remove its file.
 */
void cleanup_close(CLEANUP_CLIENT *cl)
{
    if (cl == 0)
        return;
    stream_close(cl->st);
    myfree(cl);
}

/* Does text start with a complete "4xx "/"5xx " SMTP reply? */
static int is_smtp_reply(const char *text)
{
    return text != 0 && (text[0] == '4' || text[0] == '5') && isdigit((unsigned char)text[1]) &&
           isdigit((unsigned char)text[2]) && (text[3] == ' ' || text[3] == '-');
}

/*
 * cleanup_stat_reply - the SMTP reply for a non-zero cleanup status
 *
 * status is the CLEANUP_STAT_* mask, reason the server's text (may be
 * NULL). Stores the reply (without CRLF) in out, following reference 4.4:
 * BARE_LF "550 5.5.2 <myhostname> Error: bare <LF> received" (code from
 * smtpd_forbid_bare_newline_reject_code); a reason holding a full 4xx/5xx
 * reply is used as is; DEFER and CONT with a reason give "451 <reason>" /
 * "550 <reason>" (the reason carries its DSN, as Postfix allows for
 * header_checks); else "<code> <dsn> Error: <text>" from the table.
 * For status 0 out is left empty: the caller formats "250 2.0.0 Ok: queued
 * as QID".
 */
void cleanup_stat_reply(int status, const char *reason, VSTR *out)
{
    vstr_reset(out);
    if (status == 0)
        return;
    if (status & CLEANUP_STAT_BARE_LF) {
        const char *code = cfg_str("smtpd_forbid_bare_newline_reject_code");
        vstr_sprintf(out, "%s 5.5.2 %s Error: bare <LF> received", *code ? code : "550",
                     cfg_str("myhostname"));
        if (out->buf[0] == '4')
            out->buf[4] = '4';
    } else if (is_smtp_reply(reason)) {
        vstr_strcpy(out, reason);
    } else if (status & CLEANUP_STAT_DEFER) {
        if (reason && *reason)
            vstr_sprintf(out, "451 %s", reason);
        else
            vstr_strcpy(out, "451 4.7.1 Error: service unavailable");
    } else if (status & CLEANUP_STAT_BAD) {
        vstr_sprintf(out, "451 4.3.0 Error: internal error %d", status);
    } else if (status & CLEANUP_STAT_SIZE) {
        vstr_strcpy(out, "552 5.3.4 Error: message file too big");
    } else if (status & CLEANUP_STAT_HOPS) {
        vstr_strcpy(out, "554 5.4.0 Error: too many hops");
    } else if (status & CLEANUP_STAT_CONT) {
        if (reason && *reason)
            vstr_sprintf(out, "550 %s", reason);
        else
            vstr_strcpy(out, "550 5.7.1 Error: message content rejected");
    } else if (status & CLEANUP_STAT_WRITE) {
        vstr_strcpy(out, "451 4.3.0 Error: queue file write error");
    } else if (status & CLEANUP_STAT_PROXY) {
        vstr_strcpy(out, "451 4.3.0 Error: queue file write error");
    } else if (status & CLEANUP_STAT_NOPERM) {
        vstr_strcpy(out, "550 5.7.1 Error: service denied");
    } else if (status & CLEANUP_STAT_RCPT) {
        vstr_strcpy(out, "550 5.1.0 Error: no recipients specified");
    } else {
        vstr_sprintf(out, "451 4.3.0 Error: internal error %d", status);
    }
}
