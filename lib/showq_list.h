/*
 * showq_list - the queue listing shared by showq(8) and postqueue(1).
 *
 * showq_list_walk(fn, ctx) visits, from the current directory (which must
 * be queue_directory), every committed message in maildrop, active,
 * incoming, deferred and hold (Postfix showq order) and calls fn with a
 * SHOWQ_MSG describing it: queue, ID, arrival time (T record, else mtime),
 * size (content size from the SIZE record; maildrop: the file size),
 * forced_expire (the g+x mode bit) and the pending recipients with their
 * delay reasons from defer/QID (reference 4.7). Unreadable files are skipped.
 *
 * showq_list_send(st) writes that listing in showq's attr0 protocol:
 *   {protocol=showq_protocol}, then per message
 *   {queue_name, queue_id, time, size, forced_expire, sender},
 *   per recipient {recipient, reason} (reason "" when unknown), and an
 *   empty list to end the message. The stream is flushed; 0 or -1.
 * showq_list_receive(st, fn, ctx) reads that protocol and calls fn per
 * message: 0 at a clean end, -1 on a protocol error.
 *
 * showq_print_legacy(out, fn-fed messages): the "mailq" format of
 * reference 11 and trap 28; showq_print_json(): postqueue -j lines. Both
 * take a SHOWQ_PRINT state created by showq_print_alloc(out, long_ids) and
 * finished by showq_print_finish() (prints "Mail queue is empty" or the
 * "-- N Kbytes in M Requests." line for the legacy format).
 *
 * QFILE_FLAG_NO_SIZE is the qfile_read() flag that accepts a file without
 * SIZE record (maildrop files written by postdrop).
 */
#ifndef POSTERN_SHOWQ_LIST_H
#define POSTERN_SHOWQ_LIST_H

#include "stream.h"

#ifndef QFILE_FLAG_NO_SIZE
#define QFILE_FLAG_NO_SIZE (1 << 0)
#endif

typedef struct SHOWQ_MSG {
    const char *queue;
    const char *id;
    long time;
    long size;
    int forced_expire;
    const char *sender;
    int nrcpt;
    char **rcpt;   /* addresses */
    char **reason; /* delay reasons, "" when unknown */
} SHOWQ_MSG;

typedef void (*SHOWQ_FN)(const SHOWQ_MSG *msg, void *ctx);

typedef struct SHOWQ_PRINT SHOWQ_PRINT;

extern void showq_list_walk(SHOWQ_FN fn, void *ctx);
extern int showq_list_send(STREAM *st);
extern int showq_list_receive(STREAM *st, SHOWQ_FN fn, void *ctx);

#define SHOWQ_PRINT_LEGACY 0
#define SHOWQ_PRINT_JSON 1
extern SHOWQ_PRINT *showq_print_alloc(STREAM *out, int format, int long_ids);
extern void showq_print_msg(const SHOWQ_MSG *msg, void *ctx); /* ctx: SHOWQ_PRINT */
extern void showq_print_finish(SHOWQ_PRINT *sp);

#endif
