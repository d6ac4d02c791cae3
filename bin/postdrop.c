/*
 * NAME
 *      postdrop - Postfix-compatible mail posting utility
 *
 * SYNOPSIS
 *      postdrop [-rv] [-c config_dir]
 *
 * DESCRIPTION
 *      Reads queue-file records from standard input (written by
 *      sendmail(1)), and stores them in a new file maildrop/QID under
 *      queue_directory (reference 2.1, 3.3; Postfix postdrop/postdrop.c):
 *
 *      - the file is created with mail_queue_enter("maildrop") and gets a
 *        T (arrival time "sec usec") record first;
 *      - records are copied after validation: envelope types "MFSRVAin",
 *        content "XLN", extracted "EAR" (the first one listed ends the
 *        segment); A records are accepted only for encoding,
 *        envelope_id, ret_flags, notify_flags, dsn_orig_rcpt,
 *        rewrite_context and trace_flags (others are dropped with a
 *        warning);
 *      - the input must end with an E record, have a sender (S, possibly
 *        empty) and at least one recipient (R);
 *      - the file is committed with mail_queue_commit(fd, 0444), i.e.
 *        mode 0744 and fsync (reference 2.4), owned by the submitting user;
 *      - public/pickup gets a "W" trigger.
 *      Nothing is printed on success. postdrop is installed set-gid
 *      setgid_group ("postdrop") so that users can write to the maildrop
 *      directory; it also works when run by root. A non-root set-gid caller
 *      may only name the default configuration directory or one listed in
 *      alternate_config_directories (Postfix's rule).
 *
 *      -c dir  configuration directory (also MAIL_CONFIG).
 *      -r      record input (the only input format; accepted for Postfix
 *              compatibility).
 *      -v      verbose logging.
 *
 * DIAGNOSTICS
 *      "postdrop: fatal: uid=N: ..." on stderr and in the mail log; the
 *      unfinished queue file is removed on any error and on SIGHUP, SIGINT,
 *      SIGQUIT, SIGTERM and SIGPIPE. Exit status (sysexits): 0 on success,
 *      EX_USAGE for bad options, EX_SOFTWARE for malformed or disallowed
 *      input, EX_TEMPFAIL for a queue file write error, EX_NOPERM for a
 *      forbidden configuration directory. "warning: unable to look up
 *      public/pickup" when the pickup service is not running (the file is
 *      still queued).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sysexits.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

/* The unfinished queue file, removed by the cleanup hook or a signal. */
static char *volatile postdrop_path;

/* postdrop_cleanup - remove the unfinished queue file (msg_fatal hook) */
static void postdrop_cleanup(void)
{
    char *path = postdrop_path;

    if (path) {
        postdrop_path = NULL;
        if (unlink(path) < 0 && errno != ENOENT)
            msg_warn("remove %s: %m", path);
    }
}

/* postdrop_sig - signal handler: remove the file, die with the signal */
static void postdrop_sig(int sig)
{
    char *path = postdrop_path;

    if (path)
        (void)unlink(path);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* attr_ok - is this A record (name=value) on the whitelist? */
static int attr_ok(const char *data)
{
    static const char *const names[] = {
        "encoding",      "envelope_id",     "ret_flags",   "notify_flags",
        "dsn_orig_rcpt", "rewrite_context", "trace_flags", NULL};
    const char *eq = strchr(data, '=');
    size_t len;
    int i;

    if (eq == NULL)
        return 0;
    len = (size_t)(eq - data);
    for (i = 0; names[i]; i++)
        if (strlen(names[i]) == len && strncmp(names[i], data, len) == 0)
            return 1;
    return 0;
}

/* check_config_dir - a set-gid non-root caller may not pick any config */
static void check_config_dir(const char *dir)
{
    ARGV *alt;
    int i;
    int ok = 0;

    if (dir == NULL || strcmp(dir, DEF_CONFIG_DIR) == 0)
        return;
    if (getuid() == 0 || getegid() == getgid())
        return;
    cfg_init(DEF_CONFIG_DIR);
    alt = cfg_list("alternate_config_directories");
    for (i = 0; i < alt->argc; i++)
        if (strcmp(alt->argv[i], dir) == 0)
            ok = 1;
    argv_free(alt);
    if (!ok)
        msg_fatal_status(EX_NOPERM,
                         "unauthorized configuration directory name: %s; specify it in "
                         "alternate_config_directories in %s/main.cf",
                         dir, DEF_CONFIG_DIR);
}

/* main - copy records from stdin into a new maildrop file */
int main(int argc, char **argv)
{
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE};
    const char *config_dir = NULL;
    const char *env;
    long uid = (long)getuid();
    STREAM *in;
    STREAM *dst;
    VSTR *qid = vstr_alloc(32);
    VSTR *path = vstr_alloc(64);
    VSTR *buf = vstr_alloc(256);
    struct timeval tv;
    long limit;
    int segment = REC_SEG_ENV;
    int have_sender = 0;
    int nrcpt = 0;
    int type;
    int fd;
    int c;
    int i;

    /* Never run with fds 0-2 closed. */
    for (i = 0; i < 3; i++)
        if (fcntl(i, F_GETFD) < 0 && open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY) < 0)
            _exit(EX_OSERR);
    umask(077);
    msg_init("postdrop", MSG_STDERR);

    if ((env = getenv("MAIL_CONFIG")) != NULL && *env)
        config_dir = env;
    while ((c = getopt(argc, argv, "c:rv")) != -1) {
        switch (c) {
        case 'c':
            config_dir = optarg;
            break;
        case 'r':
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            msg_fatal_status(EX_USAGE, "usage: %s [-c config_dir] [-v]", argv[0]);
        }
    }
    check_config_dir(config_dir);
    cfg_init(config_dir);
    msg_logging_configure();
    limit = cfg_long("line_length_limit");
    if (limit < 2048)
        limit = 2048;
    mail_queue_chdir();

    /* Create the file with signals that would leave it behind blocked. */
    for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
        signal(sigs[i], postdrop_sig);
    msg_cleanup_hook(postdrop_cleanup);
    {
        sigset_t block;
        sigset_t old;
        char *p;

        sigemptyset(&block);
        for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
            sigaddset(&block, sigs[i]);
        sigprocmask(SIG_BLOCK, &block, &old);
        fd = mail_queue_enter(MAIL_QUEUE_MAILDROP, 0444, qid, &tv);
        mail_queue_path(path, MAIL_QUEUE_MAILDROP, VSTR_STR(qid));
        p = mystrdup(VSTR_STR(path));
        postdrop_path = p;
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    if (msg_verbose)
        msg_info("queue file %s", VSTR_STR(path));
    dst = stream_fdopen(fd, VSTR_STR(path));
    rec_fprintf(dst, REC_TYPE_TIME, "%ld %ld", (long)tv.tv_sec, (long)tv.tv_usec);

    in = stream_fdopen(0, "stdin");
    /* type == 0 is tested first below: strchr() finds the NUL of the set. */
    for (;;) {
        type = rec_get_raw(in, buf, (size_t)limit);
        if (type == REC_TYPE_EOF)
            msg_fatal_status(EX_SOFTWARE, "uid=%ld: malformed input: premature end of input", uid);
        if (type == REC_TYPE_ERROR)
            msg_fatal_status(EX_SOFTWARE, "uid=%ld: malformed input: bad record", uid);
        switch (segment) {
        case REC_SEG_ENV:
            if (type == 0 || strchr("MFSRVAin", type) == NULL)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: unexpected record type: %d", uid, type);
            if (type == REC_TYPE_MESG)
                segment = REC_SEG_CONT;
            break;
        case REC_SEG_CONT:
            if (type == 0 || strchr("XLN", type) == NULL)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: unexpected record type: %d", uid, type);
            if (type == REC_TYPE_XTRA)
                segment = REC_SEG_XTRA;
            break;
        default:
            if (type == 0 || strchr("EAR", type) == NULL)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: unexpected record type: %d", uid, type);
            break;
        }
        if (type == REC_TYPE_ATTR && !attr_ok(VSTR_STR(buf))) {
            msg_warn("uid=%ld: ignoring attribute record: %.*s", uid,
                     VSTR_LEN(buf) > 100 ? 100 : (int)VSTR_LEN(buf), VSTR_STR(buf));
            continue;
        }
        if (type == REC_TYPE_FROM) {
            if (have_sender)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: more than one sender record", uid);
            have_sender = 1;
        }
        if (type == REC_TYPE_RCPT)
            nrcpt++;
        if (type == REC_TYPE_END) {
            if (!have_sender)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: message has no sender", uid);
            if (nrcpt == 0)
                msg_fatal_status(EX_SOFTWARE, "uid=%ld: message has no recipients", uid);
        }
        if (rec_put(dst, type, VSTR_STR(buf), VSTR_LEN(buf)) == REC_TYPE_ERROR)
            msg_fatal_status(EX_TEMPFAIL, "uid=%ld: error writing %s: %m", uid, VSTR_STR(path));
        if (type == REC_TYPE_END)
            break;
    }
    if (stream_flush(dst) < 0)
        msg_fatal_status(EX_TEMPFAIL, "uid=%ld: error writing %s: %m", uid, VSTR_STR(path));
    if (mail_queue_commit(fd, 0444) < 0)
        msg_fatal_status(EX_TEMPFAIL, "uid=%ld: error committing %s: %m", uid, VSTR_STR(path));
    if (stream_close(dst) < 0)
        msg_fatal_status(EX_TEMPFAIL, "uid=%ld: error closing %s: %m", uid, VSTR_STR(path));
    /* The file is complete: it must survive from here on. */
    msg_cleanup_hook(NULL);
    {
        char *done = postdrop_path;

        postdrop_path = NULL;
        myfree(done);
    }
    if (unix_trigger("public/pickup", "W", 1) < 0)
        msg_warn("unable to look up public/pickup: %m");
    stream_free(in);
    vstr_free(qid);
    vstr_free(path);
    vstr_free(buf);
    return 0;
}
