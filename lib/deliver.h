/*
 * deliver - the delivery request protocol between qmgr and the delivery
 * agents (virtual, local, lmtp, smtp, pipe, error, discard), and the
 * per-recipient outcome reporting every agent uses (reference 4.5, 8, 10.2).
 *
 * Wire protocol on private/<transport> (attr0 lists; one connection carries
 * any number of requests, one at a time):
 *   agent: {protocol=delivery_request_protocol}
 *   per request:
 *     qmgr:  {flags, queue_name, queue_id, offset (data offset), size
 *             (content length), nexthop, encoding, sender, arrival_sec,
 *             arrival_usec, active_sec, active_usec, log_client_name,
 *             log_client_address, log_client_port, log_protocol_name,
 *             log_helo_name, rewrite_context, recipient_count=N}
 *     then N lists {original_recipient, recipient, offset (of its R
 *             record), dsn_orig_rcpt, notify_flags}
 *     agent: N lists {offset, status (0 sent/bounced-and-recorded, 1
 *             deferred), dsn, reason} — one per recipient, in request order
 *             — then {status=0|1, hop_reason=TEXT} where hop_reason is
 *             non-empty when the next hop itself is broken (qmgr throttles
 *             the destination) and status 1 means some recipient was
 *             deferred.
 *   An agent that dies without replying is a crash: qmgr defers the
 *   request with "unknown mail transport error" and throttles the
 *   transport.
 *
 * Agent side:
 * deliver_request_read(client) sends the greeting if not yet sent on this
 * connection, reads one request, opens queue_name/queue_id O_RDWR with a
 * shared flock (LOCK_SH), and positions a STREAM at the data offset. Returns
 * the request, or NULL at EOF or on a protocol error (drop the connection).
 * If the queue file cannot be opened, request->fp is NULL and the agent must
 * defer every recipient ("cannot access mail queue").
 * deliver_request_done(req, hop_reason) sends the per-recipient results and
 * the final status, closes the queue file and frees req. Returns 0, or -1 if
 * the client went away.
 * deliver_sent(req, i, relay, dsn, fmt, ...) records recipient i as
 * delivered: writes the log line "QID: to=<rcpt>[, orig_to=<orig>],
 * relay=RELAY, delay=D, delays=a/b/c/d, dsn=DSN, status=sent (TEXT)" with
 * Postfix's delay formatting, and marks the R record D in place.
 * deliver_bounce(...) appends the reason to bounce/QID (the logfile format
 * of reference 4.7, fsync'ed, owned by mail_owner), logs status=bounced and
 * marks D. deliver_defer(...) appends to defer/QID, logs status=deferred,
 * does not mark. With soft_bounce=yes, bounce becomes defer
 * (status=SOFTBOUNCE logged as Postfix does). relay is "virtual", "none",
 * "host[addr]:port". deliver_set_conn_time(req) marks the end of connection
 * setup (delays c), for network agents; local agents need not call it.
 * format_delay(v, seconds) appends Postfix's delay format (2 significant
 * digits, at most 2 decimals, no trailing zeros: 0, 0.01, 0.1, 1.1, 23).
 *
 * qmgr side:
 * deliver_request_write(st, req) writes a request built by qmgr (greeting
 * already checked by the caller with attr_scan + attr_expect); returns 0 or
 * -1. deliver_reply_read(st, req) reads the N recipient results into
 * req->rcpts[i].status/dsn/reason and the final status and hop_reason;
 * 0 or -1.
 */
#ifndef POSTERN_DELIVER_H
#define POSTERN_DELIVER_H
#include <sys/time.h>
#include <sys/types.h>

#include "argv.h"
#include "stream.h"
#include "vstr.h"

#define DELIVER_STAT_OK 0
#define DELIVER_STAT_DEFER 1

typedef struct DELIVER_RCPT {
    char *orig_addr; /* original recipient */
    char *address;   /* recipient */
    long offset;     /* of the R record */
    char *dsn_orig;  /* dsn_orig_rcpt or "" */
    int notify;      /* notify_flags */
    /* results */
    int status;   /* DELIVER_STAT_OK (sent or bounced) or _DEFER */
    int reported; /* an outcome was recorded */
    char *dsn;    /* "2.0.0", "4.3.0", "5.1.1" */
    char *reason; /* text */
} DELIVER_RCPT;

typedef struct DELIVER_REQUEST {
    STREAM *client; /* agent side: the qmgr connection */
    int flags;
    char *queue_name;
    char *queue_id;
    long data_offset;
    long data_size;
    char *nexthop;
    char *encoding;
    char *sender;
    struct timeval arrival; /* message arrival (T record) */
    struct timeval active;  /* when qmgr took it into the active queue */
    struct timeval agent;   /* when the agent got the request */
    struct timeval conn;    /* end of connection setup (0 = none) */
    char *client_name, *client_addr, *client_port, *client_proto, *client_helo;
    char *rewrite_context;
    int nrcpt;
    DELIVER_RCPT *rcpts;
    int fd;           /* queue file, or -1 */
    STREAM *fp;       /* queue file positioned at data_offset, or NULL */
    int status;       /* final status */
    char *hop_reason; /* qmgr side: reply */
} DELIVER_REQUEST;

extern DELIVER_REQUEST *deliver_request_read(STREAM *client);
extern int deliver_request_done(DELIVER_REQUEST *req, const char *hop_reason);
extern void deliver_sent(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn,
                         const char *fmt, ...) __attribute__((format(printf, 5, 6)));
extern void deliver_bounce(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));
extern void deliver_defer(DELIVER_REQUEST *req, int i, const char *relay, const char *dsn,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
extern void deliver_set_conn_time(DELIVER_REQUEST *req);
/* deliver_read_content(req, content, delivered_to): the message content from
 * req->fp (positioned at the data offset) up to the X record, as text with
 * "\n" line ends (N = line + newline, L = piece of a long line), and the
 * values of the Delivered-To: headers of the primary header block appended
 * to delivered_to (for loop detection, reference 8.1). 0, or -1 when a record
 * other than N/L comes first (a corrupt queue file: defer). Used by the local
 * agents (virtual, local). */
extern int deliver_read_content(DELIVER_REQUEST *req, VSTR *content, ARGV *delivered_to);
extern void format_delay(VSTR *v, double seconds);

extern DELIVER_REQUEST *deliver_request_alloc(void);
extern void deliver_request_free(DELIVER_REQUEST *req);
extern int deliver_request_write(STREAM *st, const DELIVER_REQUEST *req);
extern int deliver_reply_read(STREAM *st, DELIVER_REQUEST *req);

/* Append one entry to the defer/ or bounce/ logfile of a message (reference
 * 4.7 format), fsync'ed; used by agents and by qmgr itself (e.g. "mail
 * transport unavailable"). Returns 0 or -1. */
extern int deliver_log_append(const char *log_queue, const char *qid, const char *rcpt,
                              const char *orig, long offset, const char *dsn, const char *action,
                              const char *reason);

#endif
