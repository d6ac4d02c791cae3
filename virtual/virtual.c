/*
 * NAME
 *      virtual - Postern virtual mailbox delivery agent
 * SYNOPSIS
 *      virtual [generic Postfix daemon options]
 * DESCRIPTION
 *      The virtual(8) agent of Postfix (reference 8 and 8.1, trap 20). It
 *      runs under single_server_main() as root (master.cf unpriv = n) and
 *      reads delivery requests from qmgr with deliver_request_read(). For
 *      each recipient:
 *
 *      - virtual_mailbox_maps is searched with mail_addr_find() and the
 *        MAIL_ADDR_MAILBOX key order (user+ext@domain, user@domain,
 *        @domain). Not found: bounce 5.1.1 'unknown user: "addr"'; a table
 *        error: defer 4.3.5 "mail system configuration error".
 *      - virtual_uid_maps and virtual_gid_maps give the owner (same keys).
 *        Values are numeric as in Postfix (static:5000); as an extension a
 *        user or group name is accepted too (getpwnam/getgrnam). A uid
 *        below virtual_minimum_uid or a gid <= 0 defers 4.3.5 ("bad uid").
 *      - The mailbox is virtual_mailbox_base/result (the base must be an
 *        absolute path, else the daemon exits fatally). A result ending in
 *        '/' is a Maildir, anything else an mbox file.
 *      - A Delivered-To: header equal (case-insensitive) to the recipient
 *        bounces 5.4.6 "mail forwarding loop for ADDR".
 *
 *      The message content (queue file N/L records up to X; N adds a
 *      newline, L is a piece of a longer line) is read once per request.
 *      Every file operation runs with the mailbox owner's effective uid and
 *      gid (set_eugid), never as root; root is restored before reporting.
 *
 *      Maildir: tmp/SEC.PPID.HOST is created O_CREAT|O_EXCL mode 0600 (tmp,
 *      new and cur are created 0700 on ENOENT), the headers Return-Path,
 *      X-Original-To (enable_original_recipient) and Delivered-To and the
 *      content are written with a single write(2) from one buffer, then
 *      fsync; the file is linked to new/SEC.VdevIinoMusec.HOST and the tmp
 *      name unlinked. Status "delivered to maildir".
 *
 *      mbox: the file.lock dotlock is taken, then the file is opened for
 *      append (created 0600) and locked with fcntl; a "From sender  asctime"
 *      line, the three headers, the content with ">From " quoting and a
 *      blank line are appended and fsync'ed. virtual_mailbox_limit (bytes,
 *      0 = none) limits the resulting file size; on any error the file is
 *      truncated back to its old size. Status "delivered to mailbox".
 * DIAGNOSTICS
 *      Log lines through deliver_sent/bounce/defer with relay=virtual, e.g.
 *      "QID: to=<a@b>, relay=virtual, delay=0.01, delays=0/0/0/0,
 *      dsn=2.0.0, status=sent (delivered to maildir)". Warnings for table
 *      errors and bad uid/gid values. A corrupt queue file (a record other
 *      than N, L or X in the content) is chmod 0400 and all recipients are
 *      deferred.
 * SEE ALSO
 *      Postfix virtual(8), virtual/maildir.c, virtual/mailbox.c,
 *      global/mail_copy.c, global/dot_lockfile.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "argv.h"
#include "config.h"
#include "deliver.h"
#include "dict.h"
#include "mail_queue.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

static MAPS *mailbox_maps;
static MAPS *uid_maps;
static MAPS *gid_maps;
static uid_t idle_uid; /* effective identity between deliveries */
static gid_t idle_gid;
static const char *mailbox_base;
static long minimum_uid;
static long mailbox_limit;
static int original_rcpt;
static int lock_fcntl = 1;
static int lock_dotlock = 1;
static char *host_name;

/* Per-request message content, read once. */
typedef struct VIRT_MSG {
    VSTR *content;      /* the message as text with \n line ends */
    ARGV *delivered_to; /* Delivered-To header values */
} VIRT_MSG;

/* Outcome of one delivery attempt. */
#define VIRT_SENT 0
#define VIRT_DEFER 1
#define VIRT_BOUNCE 2

typedef struct VIRT_RESULT {
    int outcome;
    const char *dsn;
    VSTR *text;
} VIRT_RESULT;

static void virt_result(VIRT_RESULT *res, int outcome, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void virt_result(VIRT_RESULT *res, int outcome, const char *dsn, const char *fmt, ...)
{
    va_list ap;

    res->outcome = outcome;
    res->dsn = dsn;
    vstr_reset(res->text);
    va_start(ap, fmt);
    vstr_vsprintf_append(res->text, fmt, ap);
    va_end(ap);
}

/* Append the Return-Path, X-Original-To and Delivered-To headers. */
static void virt_headers(VSTR *out, DELIVER_REQUEST *req, DELIVER_RCPT *rcpt)
{
    VSTR *q = vstr_alloc(100);
    char *cp;

    addr_quote_external(req->sender, q);
    vstr_addstr(out, "Return-Path: <");
    vstr_addmem(out, VSTR_STR(q), VSTR_LEN(q));
    vstr_addstr(out, ">\n");
    if (original_rcpt) {
        addr_quote_external(rcpt->orig_addr && *rcpt->orig_addr ? rcpt->orig_addr : rcpt->address,
                            q);
        vstr_addstr(out, "X-Original-To: ");
        vstr_addmem(out, VSTR_STR(q), VSTR_LEN(q));
        vstr_addch(out, '\n');
    }
    addr_quote_external(rcpt->address, q);
    for (cp = VSTR_STR(q); *cp; cp++)
        *cp = (char)tolower((unsigned char)*cp);
    vstr_addstr(out, "Delivered-To: ");
    vstr_addmem(out, VSTR_STR(q), VSTR_LEN(q));
    vstr_addch(out, '\n');
    vstr_free(q);
}

/* mkdir -p path with mode (as the current effective user). */
static int virt_make_dirs(const char *path, mode_t mode)
{
    char *copy = mystrdup(path);
    char *cp;
    int ret = 0;

    for (cp = copy + 1; ret == 0; cp++) {
        if (*cp == '/' || *cp == 0) {
            char saved = *cp;

            *cp = 0;
            if (mkdir(copy, mode) < 0 && errno != EEXIST)
                ret = -1;
            *cp = saved;
            if (saved == 0)
                break;
        }
    }
    myfree(copy);
    return ret;
}

static const char *virt_mbox_dsn(int err, const char *def)
{
    return (err == EFBIG || err == EDQUOT || err == ENOSPC) ? "5.2.2" : def;
}

/* Maildir delivery (reference 8.1), as the mailbox owner. */
static void virt_maildir(DELIVER_REQUEST *req, DELIVER_RCPT *rcpt, VIRT_MSG *msg, const char *path,
                         VIRT_RESULT *res)
{
    VSTR *tmpdir = vstr_alloc(256);
    VSTR *newdir = vstr_alloc(256);
    VSTR *tmpfile = vstr_alloc(256);
    VSTR *newfile = vstr_alloc(256);
    VSTR *buf = vstr_alloc(VSTR_LEN(msg->content) + 512);
    struct timeval now;
    struct stat st;
    int fd;

    gettimeofday(&now, NULL);
    vstr_sprintf(tmpdir, "%stmp", path);
    vstr_sprintf(newdir, "%snew", path);
    vstr_sprintf(tmpfile, "%s/%lu.P%ld.%s", VSTR_STR(tmpdir), (unsigned long)now.tv_sec,
                 (long)getpid(), host_name);
    fd = open(VSTR_STR(tmpfile), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
        VSTR *curdir = vstr_alloc(256);

        vstr_sprintf(curdir, "%scur", path);
        if (virt_make_dirs(VSTR_STR(tmpdir), 0700) == 0 &&
            virt_make_dirs(VSTR_STR(newdir), 0700) == 0 &&
            virt_make_dirs(VSTR_STR(curdir), 0700) == 0)
            fd = open(VSTR_STR(tmpfile), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        vstr_free(curdir);
    }
    if (fd < 0) {
        virt_result(res, VIRT_DEFER, "4.2.0", "maildir delivery failed: create maildir file %s: %m",
                    VSTR_STR(tmpfile));
        goto out;
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s: %m", VSTR_STR(tmpfile));
    vstr_sprintf(newfile, "%s/%lu.V%lxI%lxM%lu.%s", VSTR_STR(newdir), (unsigned long)now.tv_sec,
                 (unsigned long)st.st_dev, (unsigned long)st.st_ino, (unsigned long)now.tv_usec,
                 host_name);

    /* One buffer, one write. */
    virt_headers(buf, req, rcpt);
    vstr_addmem(buf, VSTR_STR(msg->content), VSTR_LEN(msg->content));
    if (write_all(fd, VSTR_STR(buf), VSTR_LEN(buf)) < 0 || fsync(fd) < 0) {
        int err = errno;

        (void)close(fd);
        (void)unlink(VSTR_STR(tmpfile));
        errno = err;
        virt_result(res, VIRT_DEFER, virt_mbox_dsn(err, "4.2.0"),
                    "maildir delivery failed: error writing message: %m");
        goto out;
    }
    if (close(fd) < 0) {
        (void)unlink(VSTR_STR(tmpfile));
        virt_result(res, VIRT_DEFER, "4.2.0", "maildir delivery failed: error writing message: %m");
        goto out;
    }
    if (link(VSTR_STR(tmpfile), VSTR_STR(newfile)) < 0) {
        if (errno == ENOENT) {
            VSTR *curdir = vstr_alloc(256);

            vstr_sprintf(curdir, "%scur", path);
            (void)virt_make_dirs(VSTR_STR(curdir), 0700);
            (void)virt_make_dirs(VSTR_STR(newdir), 0700);
            vstr_free(curdir);
        }
        if (link(VSTR_STR(tmpfile), VSTR_STR(newfile)) < 0) {
            virt_result(res, VIRT_DEFER, "4.2.0", "maildir delivery failed: link to %s: %m",
                        VSTR_STR(newfile));
            (void)unlink(VSTR_STR(tmpfile));
            goto out;
        }
    }
    if (unlink(VSTR_STR(tmpfile)) < 0)
        msg_warn("remove %s: %m", VSTR_STR(tmpfile));
    virt_result(res, VIRT_SENT, "2.0.0", "delivered to maildir");
out:
    vstr_free(tmpdir);
    vstr_free(newdir);
    vstr_free(tmpfile);
    vstr_free(newfile);
    vstr_free(buf);
}

/* Take path.lock (Postfix dot_lockfile: 5 tries, 1 s apart, stale 500 s). */
static int virt_dotlock(const char *path, VSTR *lockname, VSTR *why)
{
    int fd, tries;
    struct stat st;

    vstr_sprintf(lockname, "%s.lock", path);
    for (tries = 0; tries < 5; tries++) {
        if ((fd = open(VSTR_STR(lockname), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
            (void)close(fd);
            return 0;
        }
        if (errno != EEXIST)
            break;
        if (stat(VSTR_STR(lockname), &st) == 0 && time(NULL) > st.st_ctime + 500)
            (void)unlink(VSTR_STR(lockname));
        else
            sleep(1);
    }
    vstr_sprintf(why, "unable to create lock file %s: %m", VSTR_STR(lockname));
    return -1;
}

/* mbox delivery, as the mailbox owner. */
static void virt_mbox(DELIVER_REQUEST *req, DELIVER_RCPT *rcpt, VIRT_MSG *msg, const char *path,
                      VIRT_RESULT *res)
{
    VSTR *lockname = vstr_alloc(256);
    VSTR *why = vstr_alloc(256);
    VSTR *buf = vstr_alloc(VSTR_LEN(msg->content) + 512);
    int have_dotlock = 0;
    int fd = -1;
    struct stat st;
    struct flock fl;
    time_t now = time(NULL);
    char tbuf[64];
    const char *cp, *end;

    if (lock_dotlock) {
        if (virt_dotlock(path, lockname, why) < 0) {
            virt_result(res, VIRT_DEFER, "4.2.0", "delivery failed to mailbox %s: %s", path,
                        VSTR_STR(why));
            goto out;
        }
        have_dotlock = 1;
    }
    if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
        virt_result(res, VIRT_DEFER, "4.2.0", "delivery failed to mailbox %s: cannot open file: %m",
                    path);
        goto out;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        virt_result(res, VIRT_DEFER, "5.2.0",
                    "delivery failed to mailbox %s: destination is not a regular file", path);
        res->outcome = VIRT_BOUNCE;
        goto out;
    }
    if (lock_fcntl) {
        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        while (fcntl(fd, F_SETLKW, &fl) < 0) {
            if (errno != EINTR) {
                virt_result(
                    res, VIRT_DEFER, "4.2.0",
                    "delivery failed to mailbox %s: unable to lock for exclusive access: %m", path);
                goto out;
            }
        }
    }
    /* From_ line (asctime date, two spaces), headers, quoted content. */
    strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y", localtime(&now));
    vstr_sprintf(buf, "From %s  %s\n", *req->sender ? req->sender : "MAILER-DAEMON", tbuf);
    virt_headers(buf, req, rcpt);
    cp = VSTR_STR(msg->content);
    end = cp + VSTR_LEN(msg->content);
    while (cp < end) {
        const char *nl = memchr(cp, '\n', (size_t)(end - cp));
        const char *next = nl ? nl + 1 : end;

        if (end - cp >= 5 && strncmp(cp, "From ", 5) == 0)
            vstr_addch(buf, '>');
        vstr_addmem(buf, cp, (size_t)(next - cp));
        cp = next;
    }
    if (VSTR_LEN(buf) > 0 && VSTR_STR(buf)[VSTR_LEN(buf) - 1] != '\n')
        vstr_addch(buf, '\n');
    vstr_addch(buf, '\n');
    if (mailbox_limit > 0 && (long)st.st_size + (long)VSTR_LEN(buf) > mailbox_limit) {
        virt_result(res, VIRT_BOUNCE, "5.2.2",
                    "delivery failed to mailbox %s: error writing message: File too large", path);
        goto out;
    }
    if (write_all(fd, VSTR_STR(buf), VSTR_LEN(buf)) < 0 || fsync(fd) < 0) {
        int err = errno;

        if (ftruncate(fd, st.st_size) < 0)
            msg_warn("truncate %s: %m", path);
        errno = err;
        virt_result(res, err == EFBIG || err == EDQUOT ? VIRT_BOUNCE : VIRT_DEFER,
                    virt_mbox_dsn(err, "4.2.0"),
                    "delivery failed to mailbox %s: error writing message: %m", path);
        goto out;
    }
    virt_result(res, VIRT_SENT, "2.0.0", "delivered to mailbox");
out:
    if (fd >= 0 && close(fd) < 0 && res->outcome == VIRT_SENT)
        virt_result(res, VIRT_DEFER, "4.2.0", "delivery failed to mailbox %s: %m", path);
    if (have_dotlock && unlink(VSTR_STR(lockname)) < 0)
        msg_warn("remove %s: %m", VSTR_STR(lockname));
    vstr_free(lockname);
    vstr_free(why);
    vstr_free(buf);
}

/* Parse a uid/gid table value: number, or a name. -1 if unusable. */
static long virt_id(const char *value, int is_uid)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(value, &end, 10);
    if (*value && *end == 0 && errno == 0)
        return n;
    if (is_uid) {
        struct passwd *pw = getpwnam(value);

        return pw ? (long)pw->pw_uid : -1;
    } else {
        struct group *gr = getgrnam(value);

        return gr ? (long)gr->gr_gid : -1;
    }
}

/* Deliver to one recipient; fills res. */
static void virt_deliver_one(DELIVER_REQUEST *req, DELIVER_RCPT *rcpt, VIRT_MSG *msg,
                             VIRT_RESULT *res)
{
    const char *result;
    VSTR *path;
    VSTR *user = vstr_alloc(100);
    long uid, gid;
    int i;
    const char *cp;

    for (cp = rcpt->address; *cp; cp++)
        vstr_addch(user, tolower((unsigned char)*cp));

    /* Loop detection (5.4.6). */
    for (i = 0; i < msg->delivered_to->argc; i++) {
        if (strcasecmp(msg->delivered_to->argv[i], rcpt->address) == 0) {
            virt_result(res, VIRT_BOUNCE, "5.4.6", "mail forwarding loop for %s", rcpt->address);
            vstr_free(user);
            return;
        }
    }
    result = mail_addr_find(mailbox_maps, VSTR_STR(user), NULL, MAIL_ADDR_MAILBOX);
    if (result == NULL) {
        if (mailbox_maps->error != DICT_ERR_NONE) {
            msg_warn("table %s: lookup %s: table lookup failed", mailbox_maps->title,
                     VSTR_STR(user));
            virt_result(res, VIRT_DEFER, "4.3.5", "mail system configuration error");
        } else {
            virt_result(res, VIRT_BOUNCE, "5.1.1", "unknown user: \"%s\"", VSTR_STR(user));
        }
        vstr_free(user);
        return;
    }
    path = vstr_alloc(256);
    vstr_sprintf(path, "%s/%s", mailbox_base, result);

    result = mail_addr_find(uid_maps, VSTR_STR(user), NULL, MAIL_ADDR_MAILBOX);
    if (result == NULL) {
        if (uid_maps->error != DICT_ERR_NONE)
            msg_warn("table %s: lookup %s: table lookup failed", uid_maps->title, VSTR_STR(user));
        else
            msg_warn("recipient %s: uid not found in %s", VSTR_STR(user), uid_maps->title);
        virt_result(res, VIRT_DEFER, "4.3.5", "mail system configuration error");
        goto out;
    }
    uid = virt_id(result, 1);
    if (uid < minimum_uid || uid < 0) {
        msg_warn("recipient %s: bad uid %s in %s", VSTR_STR(user), result, uid_maps->title);
        virt_result(res, VIRT_DEFER, "4.3.5", "mail system configuration error");
        goto out;
    }
    result = mail_addr_find(gid_maps, VSTR_STR(user), NULL, MAIL_ADDR_MAILBOX);
    if (result == NULL) {
        if (gid_maps->error != DICT_ERR_NONE)
            msg_warn("table %s: lookup %s: table lookup failed", gid_maps->title, VSTR_STR(user));
        else
            msg_warn("recipient %s: gid not found in %s", VSTR_STR(user), gid_maps->title);
        virt_result(res, VIRT_DEFER, "4.3.5", "mail system configuration error");
        goto out;
    }
    gid = virt_id(result, 0);
    if (gid <= 0) {
        msg_warn("recipient %s: bad gid %s in %s", VSTR_STR(user), result, gid_maps->title);
        virt_result(res, VIRT_DEFER, "4.3.5", "mail system configuration error");
        goto out;
    }
    if (set_eugid((uid_t)uid, (gid_t)gid) < 0)
        msg_fatal("set_eugid %ld %ld: %m", uid, gid);
    if (VSTR_LEN(path) > 0 && VSTR_STR(path)[VSTR_LEN(path) - 1] == '/')
        virt_maildir(req, rcpt, msg, VSTR_STR(path), res);
    else
        virt_mbox(req, rcpt, msg, VSTR_STR(path), res);
    if (set_eugid(idle_uid, idle_gid) < 0)
        msg_fatal("set_eugid %ld %ld: %m", (long)idle_uid, (long)idle_gid);
out:
    vstr_free(path);
    vstr_free(user);
}

static void virt_report(DELIVER_REQUEST *req, int i, VIRT_RESULT *res)
{
    switch (res->outcome) {
    case VIRT_SENT:
        deliver_sent(req, i, "virtual", res->dsn, "%s", VSTR_STR(res->text));
        break;
    case VIRT_BOUNCE:
        deliver_bounce(req, i, "virtual", res->dsn, "%s", VSTR_STR(res->text));
        break;
    default:
        deliver_defer(req, i, "virtual", res->dsn, "%s", VSTR_STR(res->text));
        break;
    }
}

/* One qmgr connection: any number of requests, one at a time. */
static void virtual_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    VIRT_MSG msg;
    VIRT_RESULT res;
    int i;

    msg.content = vstr_alloc(8192);
    res.text = vstr_alloc(256);
    while ((req = deliver_request_read(client)) != NULL) {
        msg.delivered_to = argv_alloc(2);
        if (req->fp == NULL) {
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "virtual", "4.3.0", "cannot access mail queue");
        } else if (deliver_read_content(req, msg.content, msg.delivered_to) < 0) {
            VSTR *qpath = vstr_alloc(100);

            mail_queue_path(qpath, req->queue_name, req->queue_id);
            msg_warn("%s: corrupt queue file %s", req->queue_id, VSTR_STR(qpath));
            if (chmod(VSTR_STR(qpath), 0400) < 0)
                msg_warn("chmod %s: %m", VSTR_STR(qpath));
            vstr_free(qpath);
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "virtual", "4.3.0", "queue file write error");
        } else {
            for (i = 0; i < req->nrcpt; i++) {
                virt_deliver_one(req, req->rcpts + i, &msg, &res);
                virt_report(req, i, &res);
            }
        }
        argv_free(msg.delivered_to);
        if (deliver_request_done(req, "") < 0)
            break;
    }
    vstr_free(msg.content);
    vstr_free(res.text);
}

/* Open the tables as root, check the configuration. */
static void virtual_pre_init(const char *service, char **argv)
{
    char hbuf[HOST_NAME_MAX + 1];
    const char *locks;
    VSTR *h = vstr_alloc(64);
    char *cp;

    mailbox_base = cfg_str("virtual_mailbox_base");
    if (*mailbox_base != '/')
        msg_fatal("value of virtual_mailbox_base must be an absolute path");
    mailbox_maps =
        maps_create("virtual_mailbox_maps", cfg_str("virtual_mailbox_maps"), DICT_FLAGS_DEFAULT);
    uid_maps = maps_create("virtual_uid_maps", cfg_str("virtual_uid_maps"), DICT_FLAGS_DEFAULT);
    gid_maps = maps_create("virtual_gid_maps", cfg_str("virtual_gid_maps"), DICT_FLAGS_DEFAULT);
    minimum_uid = cfg_long("virtual_minimum_uid");
    mailbox_limit = cfg_long("virtual_mailbox_limit");
    original_rcpt = cfg_bool("enable_original_recipient");
    locks = cfg_str("virtual_mailbox_lock");
    lock_fcntl = strstr(locks, "fcntl") != NULL || strstr(locks, "flock") != NULL;
    lock_dotlock = strstr(locks, "dotlock") != NULL;

    /* The short host name for Maildir file names; '/' and ':' escaped. */
    if (gethostname(hbuf, sizeof(hbuf)) < 0)
        msg_fatal("gethostname: %m");
    hbuf[sizeof(hbuf) - 1] = 0;
    if ((cp = strchr(hbuf, '.')) != NULL)
        *cp = 0;
    for (cp = hbuf; *cp; cp++) {
        if (*cp == '/')
            vstr_addstr(h, "\\057");
        else if (*cp == ':')
            vstr_addstr(h, "\\072");
        else
            vstr_addch(h, *cp);
    }
    host_name = vstr_export(h);
}

/*
 * Between deliveries the agent keeps root only as its real and saved uid: its
 * effective identity is mail_owner, so it reads and marks queue files as
 * their owner and `ps` never shows it as root. set_eugid() regains root just
 * long enough to become the mailbox owner for one delivery.
 */
static void virtual_post_init(const char *service, char **argv)
{
    const char *owner = cfg_str("mail_owner");
    struct passwd *pw = getpwnam(owner);

    if (pw == NULL)
        msg_fatal("unknown mail_owner %s", owner);
    idle_uid = pw->pw_uid;
    idle_gid = pw->pw_gid;
    if (set_eugid(idle_uid, idle_gid) < 0)
        msg_fatal("set_eugid %ld %ld: %m", (long)idle_uid, (long)idle_gid);
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = virtual_pre_init,
        .post_init = virtual_post_init,
    };

    single_server_main(argc, argv, virtual_service, &opts);
}
