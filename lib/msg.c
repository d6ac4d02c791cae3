/*
 * NAME
 *      msg - diagnostics and the mail log, in Postfix's line format
 *
 * DESCRIPTION
 *      See msg.h. Every msg_* call formats one line of text (glibc printf,
 *      %m included; errno is preserved across the call) prefixed with the
 *      severity word ("", "warning: ", "error: ", "fatal: ", "panic: ",
 *      Postfix's msg_output levels) and sends it:
 *
 *      - to stderr as "progname: text" when MSG_STDERR was given;
 *      - before msg_logging_configure(), unless only MSG_STDERR was given,
 *        to syslog(3) with tag "postfix/progname", LOG_PID, facility mail;
 *      - after msg_logging_configure(): with maillog_file empty, to syslog
 *        with tag "$syslog_name/program" and facility $syslog_facility;
 *        otherwise as the full line "Mon DD HH:MM:SS shorthost TAG[pid]:
 *        text" in one datagram to the postlog service (postlogd), where
 *        shorthost is $myhostname up to its first dot (as Postfix's
 *        postlog does; not gethostname()). msg_logging_configure()
 *        connects the datagram socket to $queue_directory/public/postlog,
 *        so that it keeps working after the daemon skeleton's chroot; when
 *        sending on it fails, the module reconnects to the absolute path,
 *        then to the relative "public/postlog" (daemons chdir to
 *        queue_directory, so this works inside the chroot jail); if that
 *        fails too, the line plus a newline is appended to maillog_file
 *        directly (O_APPEND, one write).
 *
 *      Syslog levels (reference 10.1): info LOG_INFO, warning LOG_WARNING,
 *      error LOG_ERR, fatal and panic LOG_CRIT.
 *
 *      The pid is looked up for every line, so the module keeps working in
 *      a child after fork(). A recursive call (e.g. an allocation failure
 *      while logging) writes the raw format to stderr and, for fatal
 *      conditions, terminates.
 *
 * DIAGNOSTICS
 *      msg_fatal() runs the cleanup hook (once), logs, and exits 1.
 *      msg_panic() logs and aborts. The 13th msg_error() is followed by
 *      "fatal: too many errors - program terminated" (Postfix msg_error
 *      bound).
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "msg.h"
#include "stream.h"
#include "mymalloc.h"
#include "vstr.h"

int msg_verbose;

#define MSG_ERROR_BOUND 13

enum msg_level { MSG_L_INFO, MSG_L_WARN, MSG_L_ERROR, MSG_L_FATAL, MSG_L_PANIC };

static const char *const msg_prefix[] = {"", "warning: ", "error: ", "fatal: ", "panic: "};
static const int msg_syslog_level[] = {LOG_INFO, LOG_WARNING, LOG_ERR, LOG_CRIT, LOG_CRIT};

static char *msg_prog;         /* basename of argv[0] */
static char *msg_tag_prog;     /* msg_set_tag() override, or NULL */
static int msg_flags;          /* MSG_STDERR, MSG_SYSLOG */
static int msg_configured;     /* msg_logging_configure() was called */
static char *msg_syslog_ident; /* ident passed to openlog(), kept alive */
static int msg_syslog_open;    /* openlog() was called */
static int msg_facility = LOG_MAIL;
static char *msg_syslog_name;   /* $syslog_name */
static char *msg_maillog_file;  /* $maillog_file, NULL if empty */
static char *msg_postlog_path;  /* $queue_directory/public/postlog */
static char *msg_hostname;      /* short host name */
static int msg_postlog_fd = -1; /* unix-dgram socket, lazily connected */
static int msg_error_count;
static int msg_busy; /* recursion guard */
static void (*msg_cleanup_fn)(void);

#define MSG_POSTLOG_REL_PATH "public/postlog" /* relative to queue_directory */

static const struct {
    const char *name;
    int facility;
} msg_facilities[] = {
    {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"kern", LOG_KERN},         {"lpr", LOG_LPR},
    {"mail", LOG_MAIL},     {"news", LOG_NEWS},         {"syslog", LOG_SYSLOG},
    {"user", LOG_USER},     {"uucp", LOG_UUCP},         {"local0", LOG_LOCAL0},
    {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2},     {"local3", LOG_LOCAL3},
    {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5},     {"local6", LOG_LOCAL6},
    {"local7", LOG_LOCAL7},
};

/* msg_write_all - write everything; a failure is ignored (nowhere to report). */
static void msg_write_all(int fd, const char *buf, size_t len)
{
    (void)write_all(fd, buf, len);
}

/* msg_program - the program part of the tag. */
static const char *msg_program(void)
{
    return msg_tag_prog ? msg_tag_prog : msg_progname();
}

/* msg_build_ident - "syslog_name/program" into a fresh string. */
static char *msg_build_ident(void)
{
    VSTR *v = vstr_alloc(64);

    vstr_sprintf(v, "%s/%s", msg_syslog_name ? msg_syslog_name : "postfix", msg_program());
    return vstr_export(v);
}

/* msg_syslog_reopen - (re)open syslog with the current tag and facility. */
static void msg_syslog_reopen(void)
{
    char *old = msg_syslog_ident;

    msg_syslog_ident = msg_build_ident();
    if (msg_syslog_open)
        closelog();
    openlog(msg_syslog_ident, LOG_PID | LOG_NDELAY, msg_facility);
    msg_syslog_open = 1;
    myfree(old);
}

/*
 * msg_postlog_connect - a unix-dgram socket connected to path; -1 on error.
 * A connected socket keeps working after chroot(2), so the daemon skeleton's
 * call to msg_logging_configure() (before chroot) connects it.
 */
static int msg_postlog_connect(const char *path)
{
    struct sockaddr_un sun;
    size_t plen = strlen(path);
    int fd;

    if (plen >= sizeof(sun.sun_path))
        return -1;
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, path, plen + 1);
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* msg_postlog_try - send one datagram on msg_postlog_fd; 0 or -1. */
static int msg_postlog_try(const char *line, size_t len)
{
    for (;;) {
        if (send(msg_postlog_fd, line, len, MSG_NOSIGNAL) == (ssize_t)len)
            return 0;
        if (errno == EINTR)
            continue;
        break;
    }
    close(msg_postlog_fd);
    msg_postlog_fd = -1;
    return -1;
}

/*
 * msg_postlog_send - one datagram to postlogd; 0 on success, -1 on error.
 * Uses the socket connected by msg_logging_configure(); if there is none or
 * it fails (postlogd restarted), reconnects to the absolute path
 * $queue_directory/public/postlog and then to the relative path
 * "public/postlog" (daemons chdir to queue_directory, and a chrooted daemon
 * can only reach the socket that way).
 */
static int msg_postlog_send(const char *line, size_t len)
{
    if (msg_postlog_path == NULL)
        return -1;
    if (msg_postlog_fd >= 0 && msg_postlog_try(line, len) == 0)
        return 0;
    if ((msg_postlog_fd = msg_postlog_connect(msg_postlog_path)) >= 0 &&
        msg_postlog_try(line, len) == 0)
        return 0;
    if ((msg_postlog_fd = msg_postlog_connect(MSG_POSTLOG_REL_PATH)) >= 0 &&
        msg_postlog_try(line, len) == 0)
        return 0;
    return -1;
}

/*
 * The process ID of every log line. getpid() is a system call and a daemon
 * logs several lines per message, so it is asked once; a fork (the master's
 * children log before they exec on failure) clears it.
 */
static long msg_pid;

static void msg_forget_pid(void)
{
    msg_pid = 0;
}

static long msg_getpid(void)
{
    static int registered;

    if (!registered) {
        (void)pthread_atfork(NULL, NULL, msg_forget_pid);
        registered = 1;
    }
    if (msg_pid == 0)
        msg_pid = (long)getpid();
    return msg_pid;
}

/* msg_maillog - emit a line in maillog_file form (postlog or file). */
static void msg_maillog(const char *text)
{
    VSTR *line = vstr_alloc(128);
    char stamp[64];
    struct tm tm;
    time_t now = time((time_t *)0);
    int fd;

    if (localtime_r(&now, &tm) == NULL ||
        strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
        strcpy(stamp, "Jan  1 00:00:00");
    vstr_sprintf(line, "%s %s %s/%s[%ld]: %s", stamp, msg_hostname ? msg_hostname : "localhost",
                 msg_syslog_name ? msg_syslog_name : "postfix", msg_program(), msg_getpid(), text);
    if (msg_postlog_send(VSTR_STR(line), VSTR_LEN(line)) < 0) {
        vstr_addch(line, '\n');
        fd = open(msg_maillog_file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        if (fd >= 0) {
            msg_write_all(fd, VSTR_STR(line), VSTR_LEN(line));
            close(fd);
        }
    }
    vstr_free(line);
}

/* msg_emit - format and route one message at a level. */
static void msg_vemit(enum msg_level level, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    VSTR *text;
    VSTR *out;

    if (msg_busy) {
        /* Recursion (e.g. memory exhaustion while logging): be minimal. */
        msg_write_all(2, msg_prefix[level], strlen(msg_prefix[level]));
        msg_write_all(2, fmt, strlen(fmt));
        msg_write_all(2, "\n", 1);
        if (level >= MSG_L_FATAL)
            _exit(1);
        errno = saved_errno;
        return;
    }
    msg_busy = 1;
    text = vstr_alloc(128);
    vstr_strcpy(text, msg_prefix[level]);
    errno = saved_errno;
    vstr_vsprintf_append(text, fmt, ap);

    if (msg_flags & MSG_STDERR) {
        out = vstr_alloc(VSTR_LEN(text) + 32);
        vstr_sprintf(out, "%s: %s\n", msg_progname(), VSTR_STR(text));
        msg_write_all(2, VSTR_STR(out), VSTR_LEN(out));
        vstr_free(out);
    }
    if (msg_configured) {
        if (msg_maillog_file) {
            msg_maillog(VSTR_STR(text));
        } else {
            if (!msg_syslog_open)
                msg_syslog_reopen();
            syslog(msg_syslog_level[level], "%s", VSTR_STR(text));
        }
    } else if ((msg_flags & MSG_SYSLOG) || !(msg_flags & MSG_STDERR)) {
        if (!msg_syslog_open)
            msg_syslog_reopen();
        syslog(msg_syslog_level[level], "%s", VSTR_STR(text));
    }
    vstr_free(text);
    msg_busy = 0;
    errno = saved_errno;
}

/*
 * msg_init - set the program name (basename of progname) and the
 * pre-configuration destinations (MSG_STDERR, MSG_SYSLOG).
 */
void msg_init(const char *progname, int flags)
{
    const char *slash;
    int saved_errno = errno;

    if (progname == NULL || *progname == 0)
        progname = "postern";
    if ((slash = strrchr(progname, '/')) != NULL && slash[1] != 0)
        progname = slash + 1;
    myfree(msg_prog);
    msg_prog = mystrdup(progname);
    msg_flags = flags;
    if (msg_syslog_open)
        msg_syslog_reopen();
    errno = saved_errno;
}

/*
 * msg_progname - the program name given to msg_init(), else the C
 * library's short invocation name.
 */
const char *msg_progname(void)
{
    return msg_prog ? msg_prog : program_invocation_short_name;
}

/*
 * msg_set_tag - override the program part of the log tag (NULL restores
 * the program name).
 */
void msg_set_tag(const char *program)
{
    int saved_errno = errno;

    myfree(msg_tag_prog);
    msg_tag_prog = program ? mystrdup(program) : NULL;
    if (msg_syslog_open)
        msg_syslog_reopen();
    errno = saved_errno;
}

/*
 * msg_logging_configure - read syslog_name, syslog_facility, maillog_file
 * and queue_directory (config.h, after cfg_init) and select syslog or the
 * postlog service. May be called again after a reload.
 */
void msg_logging_configure(void)
{
    int saved_errno = errno;
    const char *name;
    const char *fac;
    const char *file;
    const char *qdir;
    const char *myhost;
    char host[256];
    size_t i;
    VSTR *path;

    name = cfg_str("syslog_name");
    myfree(msg_syslog_name);
    msg_syslog_name = mystrdup(name && *name ? name : "postfix");

    fac = cfg_str("syslog_facility");
    msg_facility = LOG_MAIL;
    if (fac && *fac) {
        for (i = 0; i < sizeof(msg_facilities) / sizeof(msg_facilities[0]); i++)
            if (strcasecmp(fac, msg_facilities[i].name) == 0)
                break;
        if (i < sizeof(msg_facilities) / sizeof(msg_facilities[0]))
            msg_facility = msg_facilities[i].facility;
    }

    file = cfg_str("maillog_file");
    myfree(msg_maillog_file);
    msg_maillog_file = (file && *file) ? mystrdup(file) : NULL;

    qdir = cfg_str("queue_directory");
    if (qdir == NULL || *qdir == 0)
        qdir = DEF_QUEUE_DIR;
    path = vstr_alloc(64);
    vstr_sprintf(path, "%s/public/postlog", qdir);
    myfree(msg_postlog_path);
    msg_postlog_path = vstr_export(path);
    if (msg_postlog_fd >= 0) {
        close(msg_postlog_fd);
        msg_postlog_fd = -1;
    }

    /* Postfix logs the short form of $myhostname, not gethostname(). */
    myhost = cfg_str("myhostname");
    if (myhost == NULL || *myhost == 0) {
        if (gethostname(host, sizeof(host)) < 0)
            strcpy(host, "localhost");
        host[sizeof(host) - 1] = 0;
        myhost = host;
    }
    myfree(msg_hostname);
    msg_hostname = mystrndup(myhost, strcspn(myhost, "."));
    if (*msg_hostname == 0) {
        myfree(msg_hostname);
        msg_hostname = mystrdup("localhost");
    }

    /* Connect now: this runs before the daemon skeleton's chroot. */
    if (msg_maillog_file != NULL)
        msg_postlog_fd = msg_postlog_connect(msg_postlog_path);

    msg_configured = 1;
    if (msg_maillog_file == NULL)
        msg_syslog_reopen();
    else if (msg_syslog_open) {
        closelog();
        msg_syslog_open = 0;
    }
    errno = saved_errno;
}

/*
 * msg_cleanup_hook - install the function that msg_fatal() runs before it
 * exits (NULL removes it).
 */
void msg_cleanup_hook(void (*fn)(void))
{
    msg_cleanup_fn = fn;
}

/* msg_info - informational line, no prefix, LOG_INFO. */
void msg_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vemit(MSG_L_INFO, fmt, ap);
    va_end(ap);
}

/* msg_warn - "warning: " line, LOG_WARNING. */
void msg_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vemit(MSG_L_WARN, fmt, ap);
    va_end(ap);
}

/* msg_error - "error: " line, LOG_ERR; the 13th call is fatal. */
void msg_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vemit(MSG_L_ERROR, fmt, ap);
    va_end(ap);
    if (++msg_error_count >= MSG_ERROR_BOUND)
        msg_fatal("too many errors - program terminated");
}

/* msg_vfatal_status - run the cleanup hook, log "fatal: " (LOG_CRIT), exit. */
__attribute__((noreturn)) static void msg_vfatal_status(int status, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    void (*fn)(void) = msg_cleanup_fn;

    msg_cleanup_fn = NULL; /* no recursion via a fatal error in the hook */
    if (fn && !msg_busy) {
        fn();
        errno = saved_errno;
    }
    msg_vemit(MSG_L_FATAL, fmt, ap);
    exit(status);
}

/* msg_fatal - run the cleanup hook, log "fatal: " (LOG_CRIT), exit 1. */
void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vfatal_status(1, fmt, ap);
    /* NOTREACHED */
    va_end(ap);
}

/*
 * msg_fatal_status - like msg_fatal(), but exit with status (a sysexits
 * code for sendmail and postdrop, as Postfix's msg_fatal_status).
 */
void msg_fatal_status(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vfatal_status(status, fmt, ap);
    /* NOTREACHED */
    va_end(ap);
}

/* msg_panic - log "panic: " (LOG_CRIT) and abort (a program bug). */
void msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    msg_vemit(MSG_L_PANIC, fmt, ap);
    va_end(ap);
    abort();
}
