/*
 * mail_queue - Postfix's queue directories, queue IDs and commit protocol
 * (reference sections 2.2-2.4).
 *
 * Every function takes paths relative to queue_directory: daemons chdir()
 * there at start (mail_queue_chdir()).
 *
 * Queue names: MAIL_QUEUE_MAILDROP "maildrop", INCOMING, ACTIVE, DEFERRED,
 * HOLD, CORRUPT, DEFER (logs), BOUNCE (logs), TRACE, SAVED.
 * Hashing: queues listed in hash_queue_names (default "deferred, defer") get
 * hash_queue_depth (default 1) levels of one-character subdirectories named
 * after the queue ID's characters (long IDs: the base-52 microsecond field
 * re-encoded as 5 upper-case hex digits).
 *
 * mail_queue_path(buf, queue, qid) stores "queue/[h/]qid" in buf and returns
 * buf->buf.
 * mail_queue_id_ok(qid): 1 if non-empty, at most 255 bytes, [A-Za-z0-9_].
 * mail_queue_enter(queue, mode, qid, tv) creates a new file in queue with
 * mode 0600|mode (O_CREAT|O_EXCL, O_RDWR), allocates its queue ID (short
 * form "%05X usec" + "%lX inode" unless enable_long_queue_ids = yes), renames
 * it into place (creating hash subdirectories on ENOENT) and returns the
 * open fd (close-on-exec), storing the ID in qid and the arrival time in tv
 * (tv may be NULL). Fatal if the queue cannot be written after 1000 tries.
 * mail_queue_commit(fd, mode): fchmod(fd, 0700|mode) then fsync(fd) — the
 * "complete" marker of reference 2.4; returns 0 or -1 (errno).
 * mail_queue_rename(qid, from, to): rename between queues, creating hash
 * subdirectories; 0 or -1 (errno; ENOENT if the file is gone).
 * mail_queue_remove(queue, qid): unlink; 0 or -1.
 * mail_queue_open(queue, qid, flags): open(2) the file; fd or -1.
 * mail_open_ok(queue, qid, st, path): 1 if the file is a regular file whose
 * mode has all of 0700 (complete), 0 if not (yet) ready or gone, storing the
 * stat and path.
 * mail_queue_mkdirs(): creates every queue directory with Postfix's owner and
 * mode (as root; mail_owner and setgid_group from main.cf); used by postfix
 * start and by tests.
 * mail_queue_scan(queue, fn, ctx): calls fn(qid, ctx) for every file in
 * queue, descending into hash subdirectories; skips names that are not
 * valid queue IDs.
 */
#ifndef POSTERN_MAIL_QUEUE_H
#define POSTERN_MAIL_QUEUE_H
#include <sys/stat.h>
#include <sys/time.h>

#include "vstr.h"

#define MAIL_QUEUE_MAILDROP "maildrop"
#define MAIL_QUEUE_INCOMING "incoming"
#define MAIL_QUEUE_ACTIVE "active"
#define MAIL_QUEUE_DEFERRED "deferred"
#define MAIL_QUEUE_HOLD "hold"
#define MAIL_QUEUE_CORRUPT "corrupt"
#define MAIL_QUEUE_DEFER "defer"
#define MAIL_QUEUE_BOUNCE "bounce"
#define MAIL_QUEUE_TRACE "trace"
#define MAIL_QUEUE_SAVED "saved"

/* Mode bits that carry signals (reference 2.4). */
#define MAIL_QUEUE_STAT_READY 0700
#define MAIL_QUEUE_STAT_UNTHROTTLE 0040
#define MAIL_QUEUE_STAT_EXPIRE 0010
#define MAIL_QUEUE_STAT_CORRUPT 0400

extern void mail_queue_chdir(void);
extern const char *mail_queue_path(VSTR *buf, const char *queue, const char *qid);
extern int mail_queue_id_ok(const char *qid);
extern int mail_queue_enter(const char *queue, int mode, VSTR *qid, struct timeval *tv);
extern int mail_queue_commit(int fd, int mode);
extern int mail_queue_rename(const char *qid, const char *from, const char *to);
extern int mail_queue_remove(const char *queue, const char *qid);
extern int mail_queue_open(const char *queue, const char *qid, int flags);
extern int mail_open_ok(const char *queue, const char *qid, struct stat *st, VSTR *path);
extern void mail_queue_mkdirs(void);
extern void mail_queue_scan(const char *queue, void (*fn)(const char *qid, void *ctx), void *ctx);

#endif
