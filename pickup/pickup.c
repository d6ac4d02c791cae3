/*
 * NAME
 *     pickup - local mail pickup
 * SYNOPSIS
 *     pickup [generic server options]    (started by master(8))
 * DESCRIPTION
 *     pickup(8) moves mail that postdrop(1) left in maildrop/ into the
 *     queue through cleanup(8), as Postfix's pickup does (reference 2.1). It
 *     is a trigger server on public/pickup: every trigger (postdrop's "W",
 *     or the master's wakeup timer) scans maildrop/. A file is taken only
 *     when it is complete (mail_open_ok: mode 0700 bits set; postdrop
 *     commits with 0744 and the submitter as owner).
 *
 *     For each file pickup opens a message on public/cleanup with flags
 *     CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MASK_EXTERNAL and copies the
 *     records: the envelope (after postdrop's T record it adds "A
 *     rewrite_context=local", so that cleanup adds missing headers), then
 *     after the M record the header
 *         Received: by $myhostname (Postfix, from userid UID)
 *                 id QID; DATE
 *     where UID is the file owner, QID the new queue ID and DATE the file's
 *     modification time (mail_date format), then the content and the
 *     extracted segment. It logs "QID: uid=UID from=<sender>" with the new
 *     queue ID, and deletes the maildrop file when cleanup reports status 0.
 *     A file owned by mail_owner without the other-read bit was requeued by
 *     postsuper -r: its log line gets " orig_id=OLDID".
 * DIAGNOSTICS
 *     A maildrop file with a record type that postdrop never writes
 *     (reference 3.3: envelope MFSRVAinT, content XLN, extracted EAR), or
 *     that ends without an END record, is moved to corrupt/ with
 *     "warning: maildrop/QID: ... -- moved to corrupt". When cleanup
 *     reports a temporary failure (DEFER, WRITE) the file stays for the next
 *     scan; a permanent failure (BAD, SIZE, HOPS, RCPT) is logged and the
 *     file removed. When cleanup is unreachable the scan stops.
 * SEE ALSO
 *     Postfix pickup(8), postdrop(1), cleanup(8); reference 2.1, 2.4, 3.3.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "cleanup_proto.h"
#include "config.h"
#include "mail_queue.h"
#include "mail_date.h"
#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define PICKUP_REC_LIMIT (1024 * 1024)

/* Results of copying one file. */
#define PICKUP_DONE 0    /* remove the maildrop file */
#define PICKUP_KEEP 1    /* try again later */
#define PICKUP_CORRUPT 2 /* move to corrupt/ */
#define PICKUP_NOCLEANUP 3

static uid_t mail_owner_uid = (uid_t)-1;

/* collect - mail_queue_scan callback: remember the queue IDs. */
static void collect(const char *qid, void *ctx)
{
    argv_add((ARGV *)ctx, qid, (char *)0);
}

/* copy_file - feed one maildrop file to cleanup. */
static int copy_file(CLEANUP_CLIENT *cl, STREAM *src, const char *old_id, const struct stat *st,
                     VSTR *why)
{
    VSTR *qid = vstr_alloc(32);
    VSTR *buf = vstr_alloc(1024);
    VSTR *reason = vstr_alloc(100);
    VSTR *date = vstr_alloc(64);
    int seg = REC_SEG_ENV;
    int added_ctx = 0;
    int requeued;
    int type;
    int status;
    int result = PICKUP_CORRUPT;

    requeued = (st->st_uid == mail_owner_uid && !(st->st_mode & S_IROTH));
    if (cleanup_begin(cl, CLEANUP_FLAG_BOUNCE | CLEANUP_FLAG_MASK_EXTERNAL, qid) < 0) {
        result = PICKUP_NOCLEANUP;
        goto out;
    }
    for (;;) {
        type = rec_get_raw(src, buf, PICKUP_REC_LIMIT);
        if (type == REC_TYPE_EOF || type == REC_TYPE_ERROR) {
            vstr_strcpy(why, type == REC_TYPE_EOF ? "premature end of file" : "bad record");
            goto out;
        }
        if (seg == REC_SEG_ENV) {
            if (type == 0 || strchr("MFSRVAinTOD", type) == 0) {
                vstr_sprintf(why, "unexpected record type %d in envelope", type);
                goto out;
            }
            if (type != REC_TYPE_TIME && !added_ctx) {
                rec_put(cl->st, REC_TYPE_ATTR, "rewrite_context=local", 21);
                added_ctx = 1;
            }
            if (type == REC_TYPE_ATTR && strncmp(buf->buf, "rewrite_context=", 16) == 0)
                continue;
            if (type == REC_TYPE_FROM)
                msg_info("%s: uid=%ld from=<%s>%s%s", qid->buf, (long)st->st_uid, buf->buf,
                         requeued ? " orig_id=" : "", requeued ? old_id : "");
            rec_put(cl->st, type, buf->buf, buf->len);
            if (type == REC_TYPE_MESG) {
                seg = REC_SEG_CONT;
                if (!requeued) {
                    mail_date(date, st->st_mtime);
                    rec_fprintf(cl->st, REC_TYPE_NORM, "Received: by %s (Postfix, from userid %ld)",
                                cfg_str("myhostname"), (long)st->st_uid);
                    rec_fprintf(cl->st, REC_TYPE_NORM, "\tid %s; %s", qid->buf, date->buf);
                }
            }
        } else if (seg == REC_SEG_CONT) {
            if (type != REC_TYPE_NORM && type != REC_TYPE_CONT && type != REC_TYPE_XTRA) {
                vstr_sprintf(why, "unexpected record type %d in content", type);
                goto out;
            }
            rec_put(cl->st, type, buf->buf, buf->len);
            if (type == REC_TYPE_XTRA)
                seg = REC_SEG_XTRA;
        } else {
            if (type == 0 || strchr("EAROD", type) == 0) {
                vstr_sprintf(why, "unexpected record type %d in extracted segment", type);
                goto out;
            }
            rec_put(cl->st, type, buf->buf, buf->len);
            if (type == REC_TYPE_END)
                break;
        }
    }
    status = cleanup_finish(cl, reason);
    if (status < 0) {
        result = PICKUP_NOCLEANUP;
    } else if (status == 0) {
        result = PICKUP_DONE;
    } else if (status & (CLEANUP_STAT_DEFER | CLEANUP_STAT_WRITE | CLEANUP_STAT_PROXY)) {
        msg_warn("%s: cleanup status %d (%s) -- will retry", old_id, status, reason->buf);
        result = PICKUP_KEEP;
    } else {
        msg_warn("%s: message rejected by cleanup: status %d%s%s", old_id, status,
                 reason->len ? ": " : "", reason->buf);
        result = PICKUP_DONE;
    }
out:
    vstr_free(qid);
    vstr_free(buf);
    vstr_free(reason);
    vstr_free(date);
    return result;
}

/* pickup_scan - process every ready file in maildrop/. */
static void pickup_scan(void)
{
    ARGV *ids = argv_alloc(16);
    CLEANUP_CLIENT *cl = 0;
    VSTR *path = vstr_alloc(64);
    VSTR *why = vstr_alloc(64);
    struct stat st;
    STREAM *src;
    int fd;
    int i;
    int rc;

    mail_queue_scan(MAIL_QUEUE_MAILDROP, collect, ids);
    for (i = 0; i < ids->argc; i++) {
        const char *id = ids->argv[i];

        if (mail_open_ok(MAIL_QUEUE_MAILDROP, id, &st, path) != 1)
            continue;
        if ((fd = mail_queue_open(MAIL_QUEUE_MAILDROP, id, O_RDONLY)) < 0) {
            if (errno != ENOENT)
                msg_warn("open %s: %m", path->buf);
            continue;
        }
        if (cl == 0 && (cl = cleanup_open()) == 0) {
            close(fd);
            break;
        }
        src = stream_fdopen(fd, path->buf);
        vstr_reset(why);
        rc = copy_file(cl, src, id, &st, why);
        (void)stream_close(src);
        switch (rc) {
        case PICKUP_DONE:
            if (mail_queue_remove(MAIL_QUEUE_MAILDROP, id) < 0 && errno != ENOENT)
                msg_warn("remove %s: %m", path->buf);
            break;
        case PICKUP_KEEP:
            break;
        case PICKUP_CORRUPT:
            msg_warn("%s: uid=%ld: %s -- moved to %s", path->buf, (long)st.st_uid, why->buf,
                     MAIL_QUEUE_CORRUPT);
            if (mail_queue_rename(id, MAIL_QUEUE_MAILDROP, MAIL_QUEUE_CORRUPT) < 0 &&
                errno != ENOENT)
                msg_warn("rename %s to %s: %m", path->buf, MAIL_QUEUE_CORRUPT);
            /* The cleanup stream is mid-message: drop it (cleanup removes its file). */
            cleanup_close(cl);
            cl = 0;
            break;
        case PICKUP_NOCLEANUP:
        default:
            cleanup_close(cl);
            cl = 0;
            i = ids->argc; /* stop; retry at the next trigger */
            break;
        }
    }
    if (cl)
        cleanup_close(cl);
    argv_free(ids);
    vstr_free(path);
    vstr_free(why);
}

/* pickup_service - any trigger scans the maildrop directory. */
static void pickup_service(const char *buf, size_t len, const char *service, char **argv)
{
    pickup_scan();
}

/* pickup_pre_init - look up mail_owner for the requeue test. */
static void pickup_pre_init(const char *service, char **argv)
{
    struct passwd *pw = getpwnam(cfg_str("mail_owner"));

    if (pw)
        mail_owner_uid = pw->pw_uid;
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = pickup_pre_init,
    };

    msg_init(argv[0], MSG_SYSLOG);
    trigger_server_main(argc, argv, pickup_service, &opts);
}
