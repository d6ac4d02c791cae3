/*
 * NAME
 *      local - local mail delivery (Postfix local(8))
 *
 * SYNOPSIS
 *      local [generic daemon options]   (master.cf: "local unix - n n - -
 *      local"; runs as root, not chrooted)
 *
 * DESCRIPTION
 *      Delivers mail for $mydestination users (reference 8.2), one qmgr
 *      request at a time, per recipient in this order:
 *      1. "\user" skips alias and .forward processing.
 *      2. alias_maps: the local part (lower case), then the local part without
 *         its recipient_delimiter extension. The value is a comma-separated
 *         list of addresses, /file/name, |command ("quoted" when it has
 *         blanks) and :include:/file. Addresses are resubmitted through
 *         cleanup(8) as ONE new message for all of them ("forwarded as
 *         NEWQID"), with the sender owner-ALIAS@domain when an owner-ALIAS
 *         alias exists. Files and commands (allowed by allow_mail_to_files /
 *         allow_mail_to_commands, "alias, forward" by default) run with the
 *         privileges of the alias database owner, or default_privs when
 *         root owns it. An alias that names itself delivers to the user.
 *      3. ~/.forward: each forward_path entry ($home, $user, $local,
 *         $domain, $extension, $recipient_delimiter expanded), read as the
 *         user; the first that exists and is not empty is expanded like an
 *         alias, with the user's privileges.
 *      4. The mailbox: mailbox_command (sh -c, as the user) else
 *         home_mailbox relative to $HOME (a trailing "/" means Maildir) else
 *         mail_spool_directory/USER (mbox). mbox files are locked with
 *         mailbox_delivery_lock (fcntl, dotlock), created 0600 owned by the
 *         user, limited by mailbox_size_limit, and truncated back to their
 *         old size on a write error.
 *      5. No such user: bounce 5.1.1 unknown user: "user".
 *      Deliveries run with the recipient's uid and gid (root's commands and
 *      files with default_privs); between deliveries the effective ids are
 *      mail_owner's.
 *
 *      Commands get HOME, LOGNAME, USER, SENDER, RECIPIENT, LOCAL, SHELL,
 *      DOMAIN, EXTENSION, ORIGINAL_RECIPIENT, CLIENT_HOSTNAME,
 *      CLIENT_ADDRESS, CLIENT_HELO, CLIENT_PROTOCOL, PATH; they are killed
 *      after command_time_limit. Their exit status maps through sysexits.h
 *      (75 EX_TEMPFAIL, 71 EX_OSERR, 78 EX_CONFIG defer; others bounce).
 *      Mailbox, file and command deliveries get a "From sender date" line,
 *      Return-Path, X-Original-To and Delivered-To; a message whose
 *      Delivered-To already names the recipient bounces 5.4.6 "mail
 *      forwarding loop for ADDR".
 *
 * DIAGNOSTICS
 *      Status texts as Postfix writes them: "delivered to mailbox",
 *      "delivered to maildir", "delivered to command: CMD", "delivered to
 *      file: PATH", "forwarded as QID". Table errors defer with 4.3.0 and
 *      a warning; mailbox errors defer (or bounce 5.2.2 for size limits).
 *
 * BUGS
 *      mailbox_transport, fallback_transport, luser_relay and
 *      mailbox_command_maps are not implemented.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "argv.h"
#include "cleanup_proto.h"
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

#define LOCAL_MAX_DEPTH 20 /* nested aliases/includes */

static MAPS *alias_maps;
static uid_t idle_uid;
static gid_t idle_gid;
static char *host_name;
static int lock_fcntl = 1;
static int lock_dotlock = 1;
static long mailbox_limit;
static long command_limit;
static uid_t nobody_uid;
static gid_t nobody_gid;

/* The message content, read once per request. */
typedef struct LOCAL_MSG {
    VSTR *content;
    ARGV *delivered_to;
} LOCAL_MSG;

#define LOCAL_SENT 0
#define LOCAL_DEFER 1
#define LOCAL_BOUNCE 2

/* Results for one queue recipient (its expansions); worst one wins. */
typedef struct LOCAL_STATE {
    DELIVER_REQUEST *req;
    DELIVER_RCPT *rcpt;
    LOCAL_MSG *msg;
    int worst;
    const char *worst_dsn;
    VSTR *worst_text;
    ARGV *sent_texts;    /* success texts, logged when nothing failed */
    ARGV *forward_addrs; /* addresses to resubmit */
    char *forward_sender;
    char *domain;
} LOCAL_STATE;

/* Privileges for a file/command delivery. */
typedef struct LOCAL_PRIV {
    uid_t uid;
    gid_t gid;
    const char *home;
    const char *user;
    const char *shell;
} LOCAL_PRIV;

static void local_result(LOCAL_STATE *ls, int outcome, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void local_result(LOCAL_STATE *ls, int outcome, const char *dsn, const char *fmt, ...)
{
    VSTR *text = vstr_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(text, fmt, ap);
    va_end(ap);
    if (outcome == LOCAL_SENT) {
        argv_add(ls->sent_texts, VSTR_STR(text), (char *)0);
    } else if (outcome == LOCAL_DEFER || ls->worst == LOCAL_SENT) {
        if (ls->worst != LOCAL_DEFER) {
            ls->worst = outcome;
            ls->worst_dsn = dsn;
            vstr_strcpy(ls->worst_text, VSTR_STR(text));
        }
    }
    vstr_free(text);
}

/* Return-Path, X-Original-To, Delivered-To (with a From_ line if mbox). */
static void local_headers(LOCAL_STATE *ls, VSTR *out, int from_line)
{
    VSTR *q = vstr_alloc(100);
    char tbuf[64];
    time_t now = time(NULL);
    char *cp;

    if (from_line) {
        strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y", localtime(&now));
        vstr_sprintf_append(out, "From %s  %s\n",
                            *ls->req->sender ? ls->req->sender : "MAILER-DAEMON", tbuf);
    }
    addr_quote_external(ls->req->sender, q);
    vstr_sprintf_append(out, "Return-Path: <%s>\n", VSTR_STR(q));
    addr_quote_external(
        ls->rcpt->orig_addr && *ls->rcpt->orig_addr ? ls->rcpt->orig_addr : ls->rcpt->address, q);
    vstr_sprintf_append(out, "X-Original-To: %s\n", VSTR_STR(q));
    addr_quote_external(ls->rcpt->address, q);
    for (cp = VSTR_STR(q); *cp; cp++)
        *cp = (char)tolower((unsigned char)*cp);
    vstr_sprintf_append(out, "Delivered-To: %s\n", VSTR_STR(q));
    vstr_free(q);
}

/* The message in mbox form (From_ line, headers, >From quoting, blank). */
static void local_mbox_text(LOCAL_STATE *ls, VSTR *buf)
{
    const char *cp = VSTR_STR(ls->msg->content);
    const char *end = cp + VSTR_LEN(ls->msg->content);

    local_headers(ls, buf, 1);
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
}

/* Switch effective ids; fatal on failure (it must never happen). */
static void local_eugid(uid_t uid, gid_t gid)
{
    if (set_eugid(uid, gid) < 0)
        msg_fatal("set_eugid %ld %ld: %m", (long)uid, (long)gid);
}

/* Dot-lock path.lock (5 tries, 1 s apart, stale after 500 s). */
static int local_dotlock(const char *path, VSTR *lockname)
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
    return -1;
}

/*
 * Append the message in mbox format to path, as the current effective
 * user; label is "mailbox" or "file". Locks, size limit, truncate on error.
 */
static void local_mbox_append(LOCAL_STATE *ls, const char *path, int is_mailbox,
                              const LOCAL_PRIV *priv)
{
    VSTR *lockname = vstr_alloc(256);
    VSTR *buf = vstr_alloc(VSTR_LEN(ls->msg->content) + 512);
    int have_dotlock = 0, fd = -1, sent = 0;
    struct stat st;
    struct flock fl;
    const char *what = is_mailbox ? "mailbox" : "file";

    if (lock_dotlock && is_mailbox) {
        if (local_dotlock(path, lockname) == 0) {
            have_dotlock = 1;
        } else if (errno != EACCES) {
            local_result(ls, LOCAL_DEFER, "4.2.0",
                         "cannot update mailbox %s for user %s. unable to create lock file %s: %m",
                         path, priv->user, VSTR_STR(lockname));
            goto out;
        }
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0 && errno == EACCES && is_mailbox) {
            /* Spool directory not writable by the user: create as root. */
            local_eugid(0, 0);
            fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
            if (fd >= 0 && fchown(fd, priv->uid, priv->gid) < 0)
                msg_warn("fchown %s: %m", path);
            local_eugid(priv->uid, priv->gid);
        }
    }
    if (fd < 0) {
        local_result(ls, LOCAL_DEFER, "4.2.0", "cannot open %s %s: %m", what, path);
        goto out;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        local_result(ls, LOCAL_BOUNCE, "5.2.0", "cannot append to %s %s: not a regular file", what,
                     path);
        goto out;
    }
    if (lock_fcntl) {
        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        while (fcntl(fd, F_SETLKW, &fl) < 0) {
            if (errno != EINTR) {
                local_result(ls, LOCAL_DEFER, "4.2.0",
                             "cannot update %s %s: unable to lock for exclusive access: %m", what,
                             path);
                goto out;
            }
        }
    }
    local_mbox_text(ls, buf);
    if (is_mailbox && mailbox_limit > 0 && (long)st.st_size + (long)VSTR_LEN(buf) > mailbox_limit) {
        local_result(ls, LOCAL_BOUNCE, "5.2.2",
                     "cannot update mailbox %s for user %s. error writing message: File too large",
                     path, priv->user);
        goto out;
    }
    if (write_all(fd, VSTR_STR(buf), VSTR_LEN(buf)) < 0 || fsync(fd) < 0) {
        int err = errno;

        if (ftruncate(fd, st.st_size) < 0)
            msg_warn("truncate %s: %m", path);
        errno = err;
        local_result(ls, err == EFBIG || err == EDQUOT ? LOCAL_BOUNCE : LOCAL_DEFER,
                     err == EFBIG || err == EDQUOT ? "5.2.2" : "4.2.0",
                     "cannot update %s %s. error writing message: %m", what, path);
        goto out;
    }
    sent = 1;
out:
    if (fd >= 0 && close(fd) < 0 && sent) {
        local_result(ls, LOCAL_DEFER, "4.2.0", "cannot update %s %s: %m", what, path);
        sent = 0;
    }
    if (sent) {
        if (is_mailbox)
            local_result(ls, LOCAL_SENT, "2.0.0", "delivered to mailbox");
        else
            local_result(ls, LOCAL_SENT, "2.0.0", "delivered to file: %s", path);
    }
    if (have_dotlock && unlink(VSTR_STR(lockname)) < 0)
        msg_warn("remove %s: %m", VSTR_STR(lockname));
    vstr_free(lockname);
    vstr_free(buf);
}

/* mkdir -p, as the current effective user. */
static int local_make_dirs(const char *path, mode_t mode)
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

/* Maildir delivery into path (ends in "/"), as the current effective user. */
static void local_maildir(LOCAL_STATE *ls, const char *path)
{
    VSTR *tmpfile = vstr_alloc(256);
    VSTR *newfile = vstr_alloc(256);
    VSTR *dir = vstr_alloc(256);
    VSTR *buf = vstr_alloc(VSTR_LEN(ls->msg->content) + 512);
    struct timeval now;
    struct stat st;
    int fd;
    static const char *const subdirs[] = {"tmp", "new", "cur"};
    size_t i;

    for (i = 0; i < 3; i++) {
        vstr_sprintf(dir, "%s%s", path, subdirs[i]);
        if (local_make_dirs(VSTR_STR(dir), 0700) < 0) {
            local_result(ls, LOCAL_DEFER, "4.2.0", "maildir delivery failed: create %s: %m",
                         VSTR_STR(dir));
            goto out;
        }
    }
    gettimeofday(&now, NULL);
    vstr_sprintf(tmpfile, "%stmp/%lu.P%ld.%s", path, (unsigned long)now.tv_sec, (long)getpid(),
                 host_name);
    if ((fd = open(VSTR_STR(tmpfile), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        local_result(ls, LOCAL_DEFER, "4.2.0",
                     "maildir delivery failed: create maildir file %s: %m", VSTR_STR(tmpfile));
        goto out;
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s: %m", VSTR_STR(tmpfile));
    vstr_sprintf(newfile, "%snew/%lu.V%lxI%lxM%lu.%s", path, (unsigned long)now.tv_sec,
                 (unsigned long)st.st_dev, (unsigned long)st.st_ino, (unsigned long)now.tv_usec,
                 host_name);
    local_headers(ls, buf, 0);
    vstr_addmem(buf, VSTR_STR(ls->msg->content), VSTR_LEN(ls->msg->content));
    if (write_all(fd, VSTR_STR(buf), VSTR_LEN(buf)) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        int err = errno;

        (void)unlink(VSTR_STR(tmpfile));
        errno = err;
        local_result(ls, LOCAL_DEFER, err == EDQUOT || err == EFBIG ? "5.2.2" : "4.2.0",
                     "maildir delivery failed: error writing message: %m");
        goto out;
    }
    if (link(VSTR_STR(tmpfile), VSTR_STR(newfile)) < 0) {
        local_result(ls, LOCAL_DEFER, "4.2.0", "maildir delivery failed: link to %s: %m",
                     VSTR_STR(newfile));
        (void)unlink(VSTR_STR(tmpfile));
        goto out;
    }
    (void)unlink(VSTR_STR(tmpfile));
    local_result(ls, LOCAL_SENT, "2.0.0", "delivered to maildir");
out:
    vstr_free(tmpfile);
    vstr_free(newfile);
    vstr_free(dir);
    vstr_free(buf);
}

/* Map a command's exit status (sysexits.h) to an outcome. */
static void local_command_status(LOCAL_STATE *ls, const char *cmd, int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        local_result(ls, LOCAL_SENT, "2.0.0", "delivered to command: %s", cmd);
    } else if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);

        if (code == 75 || code == 71 || code == 78)
            local_result(ls, LOCAL_DEFER, "4.3.0", "Command died with status %d: \"%s\"", code,
                         cmd);
        else
            local_result(ls, LOCAL_BOUNCE, code == 67 ? "5.1.1" : "5.3.0",
                         "Command died with status %d: \"%s\"", code, cmd);
    } else {
        local_result(ls, LOCAL_DEFER, "4.3.0", "Command died with signal %d: \"%s\"",
                     WTERMSIG(status), cmd);
    }
}

/* Add NAME=value to env. */
static void local_setenv(ARGV *env, const char *name, const char *value)
{
    VSTR *v = vstr_alloc(100);

    vstr_sprintf(v, "%s=%s", name, value ? value : "");
    argv_add(env, VSTR_STR(v), (char *)0);
    vstr_free(v);
}

/*
 * Run cmd with /bin/sh -c as priv (real and effective ids), the message on
 * its standard input, killed after command_time_limit seconds.
 */
static void local_command(LOCAL_STATE *ls, const char *cmd, const LOCAL_PRIV *priv,
                          const char *local, const char *ext)
{
    int pipefd[2];
    pid_t pid;
    int status;
    VSTR *buf;
    ARGV *env = argv_alloc(20);
    time_t deadline;
    const char *dom = ls->domain;

    local_setenv(env, "HOME", priv->home);
    local_setenv(env, "LOGNAME", priv->user);
    local_setenv(env, "USER", priv->user);
    local_setenv(env, "SENDER", ls->req->sender);
    local_setenv(env, "RECIPIENT", ls->rcpt->address);
    local_setenv(env, "LOCAL", local);
    local_setenv(env, "SHELL", priv->shell);
    local_setenv(env, "DOMAIN", dom);
    local_setenv(env, "EXTENSION", ext);
    local_setenv(env, "ORIGINAL_RECIPIENT",
                 *ls->rcpt->orig_addr ? ls->rcpt->orig_addr : ls->rcpt->address);
    local_setenv(env, "CLIENT_HOSTNAME", ls->req->client_name);
    local_setenv(env, "CLIENT_ADDRESS", ls->req->client_addr);
    local_setenv(env, "CLIENT_HELO", ls->req->client_helo);
    local_setenv(env, "CLIENT_PROTOCOL", ls->req->client_proto);
    local_setenv(env, "PATH", "/usr/bin:/bin");

    if (pipe(pipefd) < 0) {
        local_result(ls, LOCAL_DEFER, "4.3.0", "cannot create pipe: %m");
        argv_free(env);
        return;
    }
    if ((pid = fork()) < 0) {
        local_result(ls, LOCAL_DEFER, "4.3.0", "cannot fork: %m");
        (void)close(pipefd[0]);
        (void)close(pipefd[1]);
        argv_free(env);
        return;
    }
    if (pid == 0) {
        int fd;

        (void)signal(SIGPIPE, SIG_DFL);
        if (dup2(pipefd[0], 0) < 0)
            _exit(71);
        (void)close(pipefd[0]);
        (void)close(pipefd[1]);
        if ((fd = open("/dev/null", O_WRONLY)) >= 0) {
            (void)dup2(fd, 1);
            (void)dup2(fd, 2);
        }
        for (fd = 3; fd < 256; fd++)
            (void)close(fd);
        /* Become the user for real: root first, then drop for good. */
        if (seteuid(0) < 0 || setgid(priv->gid) < 0 || initgroups(priv->user, priv->gid) < 0 ||
            setuid(priv->uid) < 0 || (priv->uid != 0 && setuid(0) == 0))
            _exit(75);
        if (chdir(priv->home) < 0 && chdir("/") < 0)
            _exit(71);
        execle("/bin/sh", "sh", "-c", cmd, (char *)0, env->argv);
        _exit(71);
    }
    (void)close(pipefd[0]);
    buf = vstr_alloc(VSTR_LEN(ls->msg->content) + 512);
    local_mbox_text(ls, buf);
    (void)signal(SIGPIPE, SIG_IGN);
    if (write_all(pipefd[1], VSTR_STR(buf), VSTR_LEN(buf)) < 0 && errno != EPIPE)
        msg_warn("write to command: %m");
    (void)close(pipefd[1]);
    vstr_free(buf);
    deadline = time(NULL) + command_limit;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);

        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            status = 75 << 8;
            break;
        }
        if (time(NULL) > deadline) {
            (void)kill(pid, SIGKILL);
            (void)waitpid(pid, &status, 0);
            local_result(ls, LOCAL_DEFER, "4.3.0", "Command time limit exceeded: \"%s\"", cmd);
            argv_free(env);
            return;
        }
        usleep(20000);
    }
    argv_free(env);
    local_command_status(ls, cmd, status);
}

/* Does the list value (allow_mail_to_*) contain class? */
static int local_allowed(const char *param, const char *class)
{
    ARGV *a = cfg_list(param);
    int i, ok = 0;

    for (i = 0; i < a->argc; i++)
        if (strcasecmp(a->argv[i], class) == 0)
            ok = 1;
    argv_free(a);
    return ok;
}

static void local_recipient(LOCAL_STATE *ls, const char *addr, int depth);

/*
 * Split an alias/.forward value into tokens at commas and newlines outside
 * double quotes; surrounding blanks and quotes go.
 */
static ARGV *local_tokens(const char *value)
{
    ARGV *out = argv_alloc(4);
    VSTR *tok = vstr_alloc(100);
    const char *cp;
    int quoted = 0;

    for (cp = value;; cp++) {
        if (*cp == '"') {
            quoted = !quoted;
            continue;
        }
        if (*cp == 0 || (!quoted && (*cp == ',' || *cp == '\n'))) {
            const char *s = VSTR_STR(tok);
            size_t len = VSTR_LEN(tok);

            while (len > 0 && isspace((unsigned char)*s))
                s++, len--;
            while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
            if (len > 0 && *s != '#')
                argv_addn(out, s, len);
            vstr_reset(tok);
            if (*cp == 0)
                break;
            continue;
        }
        vstr_addch(tok, *cp);
    }
    vstr_free(tok);
    return out;
}

/*
 * Expand an alias or .forward value. class is "alias" or "forward"; self is
 * the name that delivers straight to the mailbox when it appears.
 */
static void local_expand(LOCAL_STATE *ls, const char *value, const char *class,
                         const LOCAL_PRIV *priv, const char *self, const char *local,
                         const char *ext, int depth)
{
    ARGV *toks = local_tokens(value);
    int i;

    for (i = 0; i < toks->argc; i++) {
        const char *t = toks->argv[i];

        if (*t == '|') {
            if (!local_allowed("allow_mail_to_commands", class)) {
                local_result(ls, LOCAL_BOUNCE, "5.7.1",
                             "mail to command is restricted. Contact your system administrator");
                continue;
            }
            local_command(ls, t + 1, priv, local, ext);
        } else if (*t == '/') {
            size_t len = strlen(t);

            if (!local_allowed("allow_mail_to_files", class)) {
                local_result(ls, LOCAL_BOUNCE, "5.7.1",
                             "mail to file is restricted. Contact your system administrator");
                continue;
            }
            if (t[len - 1] == '/') {
                local_eugid(priv->uid, priv->gid);
                local_maildir(ls, t);
                local_eugid(idle_uid, idle_gid);
            } else {
                local_eugid(priv->uid, priv->gid);
                local_mbox_append(ls, t, 0, priv);
                local_eugid(idle_uid, idle_gid);
            }
        } else if (strncasecmp(t, ":include:", 9) == 0) {
            const char *path = t + 9;
            int fd;
            VSTR *text = vstr_alloc(512);
            char rbuf[4096];
            ssize_t n;

            while (isspace((unsigned char)*path))
                path++;
            local_eugid(priv->uid, priv->gid);
            fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                while ((n = read(fd, rbuf, sizeof(rbuf))) > 0)
                    vstr_addmem(text, rbuf, (size_t)n);
                (void)close(fd);
            }
            local_eugid(idle_uid, idle_gid);
            if (fd < 0)
                local_result(ls, LOCAL_DEFER, "4.3.0", "cannot open include file %s: %m", path);
            else if (depth >= LOCAL_MAX_DEPTH)
                local_result(ls, LOCAL_BOUNCE, "5.4.6", "alias expansion loop for %s",
                             ls->rcpt->address);
            else
                local_expand(ls, VSTR_STR(text), "include", priv, self, local, ext, depth + 1);
            vstr_free(text);
        } else {
            VSTR *a = vstr_alloc(100);
            const char *bare = *t == '\\' ? t + 1 : t;

            vstr_strcpy(a, t);
            if (strchr(bare, '@') == NULL)
                vstr_sprintf_append(a, "@%s", cfg_str("myorigin"));
            if (self != NULL && strcasecmp(bare, self) == 0) {
                /* The alias names itself: deliver to that user. */
                vstr_sprintf(a, "\\%s", self);
                local_recipient(ls, VSTR_STR(a), depth + 1);
            } else if (*t == '\\') {
                local_recipient(ls, VSTR_STR(a), depth + 1);
            } else {
                argv_add(ls->forward_addrs, VSTR_STR(a), (char *)0);
            }
            vstr_free(a);
        }
    }
    argv_free(toks);
}

/* Expand $home etc. in one forward_path element. */
static void local_forward_path(VSTR *out, const char *fmt, const struct passwd *pw,
                               const char *local, const char *domain, const char *ext,
                               const char *delim)
{
    const char *cp = fmt;

    vstr_reset(out);
    while (*cp) {
        if (*cp == '$') {
            const char *name = cp + 1;
            size_t len;
            const char *val = NULL;

            if (*name == '{') {
                const char *end = strchr(name, '}');

                if (end == NULL)
                    break;
                name++;
                len = (size_t)(end - name);
                cp = end + 1;
            } else {
                len = 0;
                while (isalnum((unsigned char)name[len]) || name[len] == '_')
                    len++;
                cp = name + len;
            }
#define IS(s) (len == strlen(s) && strncmp(name, s, len) == 0)
            if (IS("home"))
                val = pw->pw_dir;
            else if (IS("user"))
                val = pw->pw_name;
            else if (IS("local"))
                val = local;
            else if (IS("domain"))
                val = domain;
            else if (IS("extension"))
                val = ext;
            else if (IS("recipient_delimiter"))
                val = *ext ? delim : "";
            else if (IS("shell"))
                val = pw->pw_shell;
#undef IS
            if (val)
                vstr_addstr(out, val);
            continue;
        }
        vstr_addch(out, *cp++);
    }
}

/* Read the user's first usable .forward into text; 1 if found. */
static int local_read_forward(const struct passwd *pw, const char *local, const char *domain,
                              const char *ext, VSTR *text)
{
    const char *raw = cfg_raw("forward_path");
    ARGV *paths = cfg_split_list(raw ? raw : "");
    VSTR *path = vstr_alloc(256);
    const char *delim = cfg_str("recipient_delimiter");
    char d1[2] = {delim[0], 0};
    char rbuf[4096];
    ssize_t n;
    int i, fd, found = 0;

    local_eugid(pw->pw_uid, pw->pw_gid);
    for (i = 0; i < paths->argc && !found; i++) {
        local_forward_path(path, paths->argv[i], pw, local, domain, ext, d1);
        if ((fd = open(VSTR_STR(path), O_RDONLY | O_CLOEXEC)) < 0)
            continue;
        vstr_reset(text);
        while ((n = read(fd, rbuf, sizeof(rbuf))) > 0)
            vstr_addmem(text, rbuf, (size_t)n);
        (void)close(fd);
        found = 1;
    }
    local_eugid(idle_uid, idle_gid);
    argv_free(paths);
    vstr_free(path);
    return found;
}

/* Deliver to the user's mailbox. */
static void local_mailbox(LOCAL_STATE *ls, const struct passwd *pw, const char *local,
                          const char *ext)
{
    LOCAL_PRIV priv = {pw->pw_uid, pw->pw_gid, pw->pw_dir, pw->pw_name, pw->pw_shell};
    const char *cmd = cfg_str("mailbox_command");
    const char *home_mb = cfg_str("home_mailbox");
    VSTR *path = vstr_alloc(256);

    if (*cmd) {
        if (pw->pw_uid == 0) {
            priv.uid = nobody_uid;
            priv.gid = nobody_gid;
        }
        local_command(ls, cmd, &priv, local, ext);
        /* Postfix: "delivered to command: CMD" for mailbox_command too. */
    } else {
        if (*home_mb)
            vstr_sprintf(path, "%s/%s", pw->pw_dir, home_mb);
        else
            vstr_sprintf(path, "%s/%s", cfg_str("mail_spool_directory"), pw->pw_name);
        local_eugid(pw->pw_uid, pw->pw_gid);
        if (VSTR_STR(path)[VSTR_LEN(path) - 1] == '/')
            local_maildir(ls, VSTR_STR(path));
        else
            local_mbox_append(ls, VSTR_STR(path), 1, &priv);
        local_eugid(idle_uid, idle_gid);
    }
    vstr_free(path);
}

/* Privileges of the alias database owner, or default_privs for root. */
static void local_alias_priv(LOCAL_PRIV *priv)
{
    int i;
    struct stat st;
    struct passwd *pw;

    priv->uid = nobody_uid;
    priv->gid = nobody_gid;
    priv->user = cfg_str("default_privs");
    priv->home = "/";
    priv->shell = "/bin/sh";
    for (i = 0; i < alias_maps->count; i++) {
        DICT *d = alias_maps->dicts[i];

        if (d->watch_fd >= 0 && fstat(d->watch_fd, &st) == 0 && st.st_uid != 0 &&
            (pw = getpwuid(st.st_uid)) != NULL) {
            priv->uid = pw->pw_uid;
            priv->gid = pw->pw_gid;
            priv->user = pw->pw_name;
            priv->home = pw->pw_dir;
            priv->shell = pw->pw_shell;
            return;
        }
    }
}

/* Deliver one (possibly expanded) address. */
static void local_recipient(LOCAL_STATE *ls, const char *addr, int depth)
{
    VSTR *local = vstr_alloc(64), *domain = vstr_alloc(64);
    VSTR *base = vstr_alloc(64), *ext = vstr_alloc(64);
    VSTR *key = vstr_alloc(64);
    const char *value;
    const char *delim = cfg_str("recipient_delimiter");
    int no_alias = 0;
    struct passwd *pw;
    char *cp;
    int i;

    if (*addr == '\\') {
        no_alias = 1;
        addr++;
    }
    addr_split(addr, local, domain);
    for (cp = VSTR_STR(local); *cp; cp++)
        *cp = (char)tolower((unsigned char)*cp);
    if (depth > LOCAL_MAX_DEPTH) {
        local_result(ls, LOCAL_BOUNCE, "5.4.6", "mail forwarding loop for %s", addr);
        goto out;
    }
    if (*delim == 0 || strcmp(VSTR_STR(local), "postmaster") == 0 ||
        strncmp(VSTR_STR(local), "owner-", 6) == 0 ||
        addr_strip_extension(VSTR_STR(local), delim, base, ext) == 0) {
        vstr_strcpy(base, VSTR_STR(local));
        vstr_reset(ext);
    }
    if (!no_alias) {
        value = maps_find(alias_maps, VSTR_STR(local), 0);
        if (value == NULL && alias_maps->error == DICT_ERR_NONE && VSTR_LEN(ext) > 0)
            value = maps_find(alias_maps, VSTR_STR(base), 0);
        if (value == NULL && alias_maps->error != DICT_ERR_NONE) {
            msg_warn("%s:%s: lookup of '%s' failed", alias_maps->title,
                     alias_maps->count ? alias_maps->dicts[0]->name : "", VSTR_STR(local));
            local_result(ls, LOCAL_DEFER, "4.3.0", "alias database unavailable");
            goto out;
        }
        if (value != NULL) {
            LOCAL_PRIV priv;
            char *copy = mystrdup(value);
            const char *owner;

            vstr_sprintf(key, "owner-%s", VSTR_STR(base));
            owner = maps_find(alias_maps, VSTR_STR(key), 0);
            if (owner != NULL && ls->forward_sender == NULL) {
                vstr_sprintf_append(key, "@%s",
                                    VSTR_LEN(domain) ? VSTR_STR(domain) : cfg_str("myorigin"));
                ls->forward_sender = mystrdup(VSTR_STR(key));
            }
            local_alias_priv(&priv);
            local_expand(ls, copy, "alias", &priv, VSTR_STR(base), VSTR_STR(local), VSTR_STR(ext),
                         depth);
            myfree(copy);
            goto out;
        }
    }
    if ((pw = getpwnam(VSTR_STR(base))) == NULL) {
        local_result(ls, LOCAL_BOUNCE, "5.1.1", "unknown user: \"%s\"", VSTR_STR(base));
        goto out;
    }
    for (i = 0; i < ls->msg->delivered_to->argc; i++) {
        if (strcasecmp(ls->msg->delivered_to->argv[i], ls->rcpt->address) == 0) {
            local_result(ls, LOCAL_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                         ls->rcpt->address);
            goto out;
        }
    }
    if (!no_alias) {
        VSTR *text = vstr_alloc(256);

        if (local_read_forward(pw, VSTR_STR(local), VSTR_STR(domain), VSTR_STR(ext), text)) {
            ARGV *toks = local_tokens(VSTR_STR(text));
            int nonempty = toks->argc > 0;

            argv_free(toks);
            if (nonempty) {
                LOCAL_PRIV priv = {pw->pw_uid, pw->pw_gid, pw->pw_dir, pw->pw_name, pw->pw_shell};

                if (pw->pw_uid == 0) {
                    priv.uid = nobody_uid;
                    priv.gid = nobody_gid;
                }
                local_expand(ls, VSTR_STR(text), "forward", &priv, VSTR_STR(base), VSTR_STR(local),
                             VSTR_STR(ext), depth);
                vstr_free(text);
                goto out;
            }
        }
        vstr_free(text);
    }
    local_mailbox(ls, pw, VSTR_STR(local), VSTR_STR(ext));
out:
    vstr_free(local);
    vstr_free(domain);
    vstr_free(base);
    vstr_free(ext);
    vstr_free(key);
}

/* Resubmit the collected addresses as one new message through cleanup. */
static void local_forward(LOCAL_STATE *ls)
{
    CLEANUP_CLIENT *cl;
    VSTR *qid = vstr_alloc(32), *line = vstr_alloc(256), *reason = vstr_alloc(64);
    const char *sender = ls->forward_sender ? ls->forward_sender : ls->req->sender;
    const char *cp, *end;
    struct timeval now;
    int i, status;

    if ((cl = cleanup_open()) == NULL) {
        local_result(ls, LOCAL_DEFER, "4.3.0", "cannot connect to cleanup service");
        goto out;
    }
    if (cleanup_begin(cl, CLEANUP_FLAG_MASK_EXTERNAL & ~CLEANUP_FLAG_MILTER, qid) < 0) {
        cleanup_close(cl);
        local_result(ls, LOCAL_DEFER, "4.3.0", "cleanup service error");
        goto out;
    }
    gettimeofday(&now, NULL);
    rec_fprintf(cl->st, REC_TYPE_TIME, "%ld %ld", (long)now.tv_sec, (long)now.tv_usec);
    rec_put(cl->st, REC_TYPE_ATTR, "rewrite_context=local", 21);
    rec_put(cl->st, REC_TYPE_FROM, sender, strlen(sender));
    for (i = 0; i < ls->forward_addrs->argc; i++) {
        const char *a = ls->forward_addrs->argv[i];

        rec_put(cl->st, REC_TYPE_ORCP, ls->rcpt->address, strlen(ls->rcpt->address));
        rec_put(cl->st, REC_TYPE_RCPT, a, strlen(a));
    }
    rec_put(cl->st, REC_TYPE_MESG, "", 0);
    vstr_sprintf(line, "Delivered-To: %s", ls->rcpt->address);
    for (cp = VSTR_STR(line); *cp; cp++)
        ;
    rec_put(cl->st, REC_TYPE_NORM, VSTR_STR(line), VSTR_LEN(line));
    cp = VSTR_STR(ls->msg->content);
    end = cp + VSTR_LEN(ls->msg->content);
    while (cp < end) {
        const char *nl = memchr(cp, '\n', (size_t)(end - cp));
        const char *stop = nl ? nl : end;

        rec_put(cl->st, REC_TYPE_NORM, cp, (size_t)(stop - cp));
        cp = nl ? nl + 1 : end;
    }
    rec_put(cl->st, REC_TYPE_XTRA, "", 0);
    rec_put(cl->st, REC_TYPE_END, "", 0);
    status = cleanup_finish(cl, reason);
    cleanup_close(cl);
    if (status != 0)
        local_result(ls, LOCAL_DEFER, "4.3.0", "cannot forward: cleanup status %d%s%s", status,
                     VSTR_LEN(reason) ? ": " : "", VSTR_STR(reason));
    else
        local_result(ls, LOCAL_SENT, "2.0.0", "forwarded as %s", VSTR_STR(qid));
out:
    vstr_free(qid);
    vstr_free(line);
    vstr_free(reason);
}

/* Deliver queue recipient i and report it. */
static void local_deliver(DELIVER_REQUEST *req, int i, LOCAL_MSG *msg)
{
    LOCAL_STATE ls;
    int j;

    memset(&ls, 0, sizeof(ls));
    ls.req = req;
    ls.rcpt = req->rcpts + i;
    ls.msg = msg;
    ls.worst = LOCAL_SENT;
    ls.worst_text = vstr_alloc(100);
    ls.sent_texts = argv_alloc(2);
    ls.forward_addrs = argv_alloc(2);
    ls.domain = mystrdup(addr_domain(ls.rcpt->address) ? addr_domain(ls.rcpt->address) : "");
    local_recipient(&ls, ls.rcpt->address, 0);
    if (ls.forward_addrs->argc > 0 && ls.worst == LOCAL_SENT)
        local_forward(&ls);
    if (ls.worst == LOCAL_DEFER)
        deliver_defer(req, i, "local", ls.worst_dsn, "%s", VSTR_STR(ls.worst_text));
    else if (ls.worst == LOCAL_BOUNCE)
        deliver_bounce(req, i, "local", ls.worst_dsn, "%s", VSTR_STR(ls.worst_text));
    else if (ls.sent_texts->argc == 0)
        deliver_sent(req, i, "local", "2.0.0", "discarded");
    else
        for (j = 0; j < ls.sent_texts->argc; j++)
            deliver_sent(req, i, "local", "2.0.0", "%s", ls.sent_texts->argv[j]);
    vstr_free(ls.worst_text);
    argv_free(ls.sent_texts);
    argv_free(ls.forward_addrs);
    if (ls.forward_sender)
        myfree(ls.forward_sender);
    myfree(ls.domain);
}

/* One qmgr connection: any number of requests, one at a time. */
static void local_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    LOCAL_MSG msg;
    int i;

    msg.content = vstr_alloc(8192);
    while ((req = deliver_request_read(client)) != NULL) {
        msg.delivered_to = argv_alloc(2);
        if (req->fp == NULL) {
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "local", "4.3.0", "cannot access mail queue");
        } else if (deliver_read_content(req, msg.content, msg.delivered_to) < 0) {
            msg_warn("%s: corrupt queue file", req->queue_id);
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, "local", "4.3.0", "queue file write error");
        } else {
            for (i = 0; i < req->nrcpt; i++)
                local_deliver(req, i, &msg);
        }
        argv_free(msg.delivered_to);
        if (deliver_request_done(req, "") < 0)
            break;
    }
    vstr_free(msg.content);
}

static void local_pre_init(const char *service, char **argv)
{
    char hbuf[HOST_NAME_MAX + 1];
    const char *locks;
    struct passwd *pw;
    char *cp;

    alias_maps = maps_create("alias_maps", cfg_str("alias_maps"), DICT_FLAGS_DEFAULT);
    mailbox_limit = cfg_long("mailbox_size_limit");
    command_limit = cfg_time("command_time_limit");
    locks = cfg_str("mailbox_delivery_lock");
    lock_fcntl = strstr(locks, "fcntl") != NULL || strstr(locks, "flock") != NULL;
    lock_dotlock = strstr(locks, "dotlock") != NULL;
    if ((pw = getpwnam(cfg_str("default_privs"))) == NULL)
        msg_fatal("unknown default_privs user %s", cfg_str("default_privs"));
    if (pw->pw_uid == 0)
        msg_fatal("default_privs must not be a privileged user");
    nobody_uid = pw->pw_uid;
    nobody_gid = pw->pw_gid;
    if (gethostname(hbuf, sizeof(hbuf)) < 0)
        msg_fatal("gethostname: %m");
    hbuf[sizeof(hbuf) - 1] = 0;
    if ((cp = strchr(hbuf, '.')) != NULL)
        *cp = 0;
    for (cp = hbuf; *cp; cp++)
        if (*cp == '/' || *cp == ':')
            *cp = '_';
    host_name = mystrdup(hbuf);
}

/* Run as mail_owner (effective ids) between deliveries. */
static void local_post_init(const char *service, char **argv)
{
    const char *owner = cfg_str("mail_owner");
    struct passwd *pw = getpwnam(owner);

    if (pw == NULL)
        msg_fatal("unknown mail_owner %s", owner);
    idle_uid = pw->pw_uid;
    idle_gid = pw->pw_gid;
    local_eugid(idle_uid, idle_gid);
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = local_pre_init,
        .post_init = local_post_init,
    };

    single_server_main(argc, argv, local_service, &opts);
}
