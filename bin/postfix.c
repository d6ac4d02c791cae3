/*
 * NAME
 *     postfix - Postern control program (Postfix postfix(1) compatible)
 *
 * SYNOPSIS
 *     postfix [-Dv] [-c config_dir] command
 *
 * DESCRIPTION
 *     Commands (reference section 11 "postfix(1)" and 5.4):
 *     check      create missing queue directories, then warn about queue
 *                directories with the wrong owner or mode;
 *     start      refuse if a master runs; create missing directories; run
 *                $command_directory/postsuper (if present); start
 *                $daemon_directory/master -w and wait until it is ready;
 *     start-fg   the same, but exec "master -s" in the foreground;
 *     stop       SIGTERM to the master, wait up to 5 s for its lock to go,
 *                then SIGKILL its process group;
 *     abort      SIGTERM to the master;
 *     reload     SIGHUP to the master;
 *     status     "the Postfix mail system is running: PID: N" (exit 0) or
 *                "the Postfix mail system is not running" (exit 1);
 *     flush      $command_directory/postqueue -f.
 *     Everything is taken from main.cf in config_dir (-c, else $MAIL_CONFIG,
 *     else the default): queue_directory, data_directory, command_directory,
 *     daemon_directory, mail_owner, setgid_group, so several instances can
 *     run side by side. MAIL_CONFIG is exported to the programs run.
 *
 *     Messages are written as Postfix's postfix-script writes them: to the
 *     mail log with the tag "$syslog_name/postfix-script" and to stderr as
 *     "postfix/postfix-script: text".
 *
 * DIAGNOSTICS
 *     "starting the Postfix mail system", "stopping the Postfix mail
 *     system", "refreshing the Postfix mail system", "aborting the Postfix
 *     mail system", "fatal: the Postfix mail system is not running", "fatal:
 *     the Postfix mail system is already running", "warning: not owned by
 *     USER: PATH". Exit status 0 on success, 1 on error.
 *
 * SEE ALSO
 *     master(8), postsuper(1), postqueue(1); Postfix postfix(1) and
 *     postfix-script.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

#define SAY_INFO 0
#define SAY_WARN 1
#define SAY_FATAL 2

/* say - log like postfix-script: mail log plus "tag: text" on stderr */
static void __attribute__((format(printf, 2, 3))) say(int level, const char *fmt, ...)
{
    static const char *prefix[] = {"", "warning: ", "fatal: "};
    VSTR *text = vstr_alloc(100);
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s/postfix-script: %s%s\n", cfg_str("syslog_name"), prefix[level],
            VSTR_STR(text));
    if (level == SAY_INFO)
        msg_info("%s", VSTR_STR(text));
    else if (level == SAY_WARN)
        msg_warn("%s", VSTR_STR(text));
    else
        msg_fatal("%s", VSTR_STR(text)); /* logged as "fatal: ...", exit 1 */
    vstr_free(text);
}

/* master_pid - the PID of the running master, or 0 when none runs */
static long master_pid(void)
{
    VSTR *path = vstr_alloc(100);
    char buf[64];
    ssize_t n;
    int fd;
    long pid = 0;

    vstr_sprintf(path, "%s/pid/master.pid", cfg_str("queue_directory"));
    fd = open(VSTR_STR(path), O_RDONLY | O_CLOEXEC);
    vstr_free(path);
    if (fd < 0)
        return 0;
    /* Like "master -t": the lock is the evidence, not the file. */
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        (void)close(fd);
        return 0;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    (void)close(fd);
    if (n > 0) {
        buf[n] = 0;
        pid = strtol(buf, 0, 10);
    }
    return pid > 0 ? pid : -1;
}

/* run - fork/exec argv with MAIL_CONFIG set; returns the exit status */
static int run(char **argv)
{
    pid_t pid;
    int status;

    if ((pid = fork()) < 0)
        msg_fatal("fork: %m");
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "postfix: exec %s: %m\n", argv[0]);
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            msg_fatal("waitpid: %m");
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* command_path - $dir/name in a new VSTR */
static VSTR *command_path(const char *dir_param, const char *name)
{
    VSTR *v = vstr_alloc(100);

    vstr_sprintf(v, "%s/%s", cfg_str(dir_param), name);
    return v;
}

/* check_dir - warn when path is not owned by uid or has the wrong mode */
static void check_dir(const char *qdir, const char *name, uid_t uid, const char *owner, mode_t mode)
{
    VSTR *path = vstr_alloc(100);
    struct stat st;

    vstr_sprintf(path, "%s/%s", qdir, name);
    if (stat(VSTR_STR(path), &st) < 0) {
        say(SAY_WARN, "missing directory: %s", VSTR_STR(path));
    } else {
        if (st.st_uid != uid)
            say(SAY_WARN, "not owned by %s: %s", owner, VSTR_STR(path));
        if ((st.st_mode & 07777) != mode)
            say(SAY_WARN, "unexpected permissions %04o (expected %04o): %s",
                (unsigned)(st.st_mode & 07777), (unsigned)mode, VSTR_STR(path));
    }
    vstr_free(path);
}

/* do_check - create what is missing, then report ownership problems */
static int do_check(void)
{
    static const char *owned[] = {"incoming", "active", "deferred", "hold",  "corrupt", "defer",
                                  "bounce",   "trace",  "flush",    "saved", "private", NULL};
    const char *owner = cfg_str("mail_owner");
    const char *qdir = cfg_str("queue_directory");
    struct passwd *pw;
    int i;

    if ((pw = getpwnam(owner)) == 0) {
        say(SAY_FATAL, "mail_owner %s: unknown user", owner);
        return 1;
    }
    if (geteuid() == 0)
        mail_queue_mkdirs();
    for (i = 0; owned[i]; i++)
        check_dir(qdir, owned[i], pw->pw_uid, owner, 0700);
    check_dir(qdir, "maildrop", pw->pw_uid, owner, 0730);
    check_dir(qdir, "public", pw->pw_uid, owner, 0710);
    check_dir(qdir, "pid", 0, "root", 0755);
    check_dir(cfg_str("data_directory"), ".", pw->pw_uid, owner, 0700);
    return 0;
}

/* do_start - postfix start / start-fg */
static int do_start(int foreground)
{
    VSTR *postsuper;
    VSTR *master;
    long pid = master_pid();

    if (pid != 0) {
        say(SAY_FATAL, "the Postfix mail system is already running");
        return 1;
    }
    if (geteuid() != 0) {
        say(SAY_FATAL, "to submit mail, use the Postfix sendmail command");
        return 1;
    }
    if (do_check() != 0)
        return 1;
    postsuper = command_path("command_directory", "postsuper");
    if (access(VSTR_STR(postsuper), X_OK) == 0) {
        char *av[] = {VSTR_STR(postsuper), 0};

        if (run(av) != 0)
            say(SAY_WARN, "%s failed", VSTR_STR(postsuper));
    }
    vstr_free(postsuper);
    say(SAY_INFO, "starting the Postfix mail system");
    master = command_path("daemon_directory", "master");
    if (foreground) {
        char *av[] = {VSTR_STR(master), (char *)"-s", 0};

        fflush(stderr);
        execv(av[0], av);
        say(SAY_FATAL, "exec %s: %m", av[0]);
        return 1;
    } else {
        char *av[] = {VSTR_STR(master), (char *)"-w", 0};

        if (run(av) != 0) {
            say(SAY_FATAL, "mail system startup failed");
            vstr_free(master);
            return 1;
        }
    }
    vstr_free(master);
    return 0;
}

/* do_signal - stop, abort, reload */
static int do_signal(const char *cmd)
{
    long pid = master_pid();
    int i;

    if (pid == 0) {
        say(SAY_FATAL, "the Postfix mail system is not running");
        return 1;
    }
    if (pid < 0) {
        say(SAY_FATAL, "cannot read the master PID file");
        return 1;
    }
    if (strcmp(cmd, "reload") == 0) {
        say(SAY_INFO, "refreshing the Postfix mail system");
        if (kill((pid_t)pid, SIGHUP) < 0) {
            say(SAY_FATAL, "kill -HUP %ld: %m", pid);
            return 1;
        }
        return 0;
    }
    if (strcmp(cmd, "abort") == 0) {
        say(SAY_INFO, "aborting the Postfix mail system");
        (void)kill((pid_t)pid, SIGTERM);
        return 0;
    }
    say(SAY_INFO, "stopping the Postfix mail system");
    if (kill((pid_t)pid, SIGTERM) < 0 && errno != ESRCH) {
        say(SAY_FATAL, "kill %ld: %m", pid);
        return 1;
    }
    /* As postfix-script: five one-second waits, then force. */
    for (i = 1; i <= 50; i++) {
        struct timespec ts = {0, 100 * 1000 * 1000};

        if (master_pid() == 0)
            return 0;
        nanosleep(&ts, 0);
        if (i % 10 == 0 && master_pid() != 0)
            say(SAY_INFO, "waiting for the Postfix mail system to terminate");
    }
    say(SAY_WARN, "stopping the Postfix mail system with force");
    (void)kill(-(pid_t)pid, SIGKILL);
    (void)kill((pid_t)pid, SIGKILL);
    return 0;
}

/* usage - bad command line */
static void __attribute__((noreturn)) usage(void)
{
    fprintf(stderr, "usage: postfix [-c config_dir] [-Dv] command\n"
                    "commands: start start-fg stop abort reload status check flush\n");
    exit(1);
}

/* main - see the manual at the top */
int main(int argc, char **argv)
{
    const char *config_dir = 0;
    const char *cmd;
    int ch;
    int verbose = 0;

    msg_init("postfix-script", MSG_SYSLOG);
    while ((ch = getopt(argc, argv, "+c:Dv")) > 0) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'D':
            break;
        case 'v':
            verbose++;
            break;
        default:
            usage();
        }
    }
    if (optind >= argc)
        usage();
    cmd = argv[optind];
    msg_verbose = verbose;
    cfg_init(config_dir);
    setenv("MAIL_CONFIG", cfg_str("config_directory"), 1);
    msg_logging_configure();

    if (strcmp(cmd, "status") == 0) {
        long pid = master_pid();

        if (pid == 0) {
            /* postfix-script says this with $INFO, then exits 1 */
            say(SAY_INFO, "the Postfix mail system is not running");
            return 1;
        }
        say(SAY_INFO, "the Postfix mail system is running: PID: %ld", pid);
        return 0;
    }
    if (strcmp(cmd, "start") == 0)
        return do_start(0);
    if (strcmp(cmd, "start-fg") == 0)
        return do_start(1);
    if (strcmp(cmd, "stop") == 0 || strcmp(cmd, "abort") == 0 || strcmp(cmd, "reload") == 0)
        return do_signal(cmd);
    if (strcmp(cmd, "check") == 0)
        return do_check();
    if (strcmp(cmd, "flush") == 0) {
        VSTR *pq = command_path("command_directory", "postqueue");
        char *av[] = {VSTR_STR(pq), (char *)"-f", 0};
        int rc;

        if (master_pid() == 0) {
            say(SAY_FATAL, "the Postfix mail system is not running");
            return 1;
        }
        rc = run(av);
        vstr_free(pq);
        return rc;
    }
    say(SAY_FATAL, "unknown command: '%s'", cmd);
    usage();
}
