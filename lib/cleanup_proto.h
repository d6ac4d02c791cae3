/*
 * cleanup_proto - the submission protocol into cleanup(8), client side
 * (smtpd, pickup, bounce).
 *
 * Wire protocol (attr0 lists and queue-file records on one unix stream to
 * public/cleanup; Postfix's, reference 4.4, with one difference: the
 * connection carries any number of messages, so the queue ID is announced
 * after the flags instead of in the greeting):
 *   server: {protocol=cleanup_protocol}
 *   per message:
 *     client: {flags=N}
 *     server: {queue_id=QID}            (the file incoming/QID now exists)
 *     client: records T, A..., [F], S, (A O R)..., M, content N/L..., X,
 *             extracted records..., E
 *     server: {status=N, reason=TEXT}   (status 0 only after fsync)
 *   A client that wants to abandon a message closes the connection; cleanup
 *   then removes the unfinished file.
 *
 * cleanup_open() connects and checks the greeting: a client, or NULL with a
 * warning logged. cleanup_begin(cl, flags, qid) starts a message: 0, storing
 * the queue ID, or -1 (the connection is broken: cleanup_close it).
 * The caller writes records with rec_put(cl->st, ...).
 * cleanup_finish(cl, reason) flushes and reads the reply: the status bits
 * (CLEANUP_STAT_*; reason gets the text), or -1 if the connection broke.
 * cleanup_close() closes and frees.
 * cleanup_stat_reply(status, reason, out) formats the SMTP reply smtpd
 * sends for a status (reference 4.4 order and texts), e.g. "451 4.3.0
 * Error: queue file write error"; for status 0 it is left to the caller.
 */
#ifndef POSTERN_CLEANUP_PROTO_H
#define POSTERN_CLEANUP_PROTO_H

#include "stream.h"
#include "vstr.h"

#define CLEANUP_FLAG_NONE 0
#define CLEANUP_FLAG_BOUNCE (1 << 0)
#define CLEANUP_FLAG_FILTER (1 << 1)
#define CLEANUP_FLAG_HOLD (1 << 2)
#define CLEANUP_FLAG_DISCARD (1 << 3)
#define CLEANUP_FLAG_BCC_OK (1 << 4)
#define CLEANUP_FLAG_MAP_OK (1 << 5)
#define CLEANUP_FLAG_MILTER (1 << 6)
#define CLEANUP_FLAG_SMTP_REPLY (1 << 7)
#define CLEANUP_FLAG_SMTPUTF8 (1 << 8)
#define CLEANUP_FLAG_AUTOUTF8 (1 << 9)
#define CLEANUP_FLAG_MASK_EXTERNAL (CLEANUP_FLAG_FILTER | CLEANUP_FLAG_MAP_OK | CLEANUP_FLAG_MILTER)

#define CLEANUP_STAT_OK 0
#define CLEANUP_STAT_BAD (1 << 0)
#define CLEANUP_STAT_WRITE (1 << 1)
#define CLEANUP_STAT_SIZE (1 << 2)
#define CLEANUP_STAT_CONT (1 << 3)
#define CLEANUP_STAT_HOPS (1 << 4)
#define CLEANUP_STAT_RCPT (1 << 6)
#define CLEANUP_STAT_PROXY (1 << 7)
#define CLEANUP_STAT_DEFER (1 << 8)
#define CLEANUP_STAT_NOPERM (1 << 9)
#define CLEANUP_STAT_BARE_LF (1 << 16)

#define CLEANUP_SERVICE "public/cleanup"

typedef struct CLEANUP_CLIENT {
    STREAM *st;
} CLEANUP_CLIENT;

extern CLEANUP_CLIENT *cleanup_open(void);
extern int cleanup_begin(CLEANUP_CLIENT *cl, int flags, VSTR *qid);
extern int cleanup_finish(CLEANUP_CLIENT *cl, VSTR *reason);
extern void cleanup_close(CLEANUP_CLIENT *cl);
extern void cleanup_stat_reply(int status, const char *reason, VSTR *out);

#endif
