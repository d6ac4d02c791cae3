/*
 * NAME
 *     master - Postern process supervisor (Postfix master(8) compatible)
 *
 * SYNOPSIS
 *     master [-dstvw] [-c config_dir] [-e exit_time]
 *
 * DESCRIPTION
 *     The master runs as root. It reads main.cf and master.cf, opens every
 *     service's endpoints itself (inet sockets on each inet_interfaces
 *     address, unix and unix-dgram sockets under private/ or public/ owned
 *     by mail_owner with mode 0666, FIFOs with mode 0622), and forks the
 *     daemons on demand from daemon_directory with the argv, file
 *     descriptors (3/4 flow pipe, 5 status pipe, 6... listen sockets) and
 *     environment (export_environment, MAIL_CONFIG, GENERATION) of the
 *     reference, section 5.3. It watches a service's sockets only while the
 *     service has no idle child and is below its process limit (maxproc;
 *     -1 means default_process_limit, 0 unlimited), sends "W" wakeups per
 *     the wakeup column ("N?": only after the first use), restarts crashed
 *     children and throttles a service whose child dies before serving any
 *     client (service_throttle_time).
 *
 *     A master.cf service whose command is not in daemon_directory (Postern
 *     does not implement every Postfix daemon) is logged once and skipped:
 *     "warning: service X (command Y): not implemented by Postern; not
 *     started".
 *
 *     Options (as Postfix): -c dir: configuration directory; -d: stay in
 *     the foreground with stdin/stdout/stderr open; -s: keep stdout open
 *     (maillog_file = /dev/stdout); -t: test mode, exit 0 when no master
 *     holds the lock on pid/master.pid; -v: verbose, passed to children;
 *     -w: fork, and let the foreground process exit 0 only when the
 *     background master has initialized; -e N: exit after N seconds.
 *
 * SIGNALS
 *     SIGHUP: "reload -- version X, configuration DIR"; re-read main.cf and
 *     master.cf; services that are still listed (same name and type) keep
 *     their sockets, get new settings and a new status pipe (old children
 *     finish their client and exit); new services start; removed services
 *     are stopped (their children get SIGTERM). SIGTERM, SIGINT, SIGQUIT:
 *     "terminating on signal N", SIGTERM to the process group, exit.
 *
 * FILES
 *     $queue_directory/pid/master.pid (PID right-aligned in 32 columns,
 *     exclusive flock), $data_directory/master.lock.
 *
 * DIAGNOSTICS
 *     "daemon started -- version X, configuration DIR"; "warning: process
 *     PATH pid N exit status S"; "warning: process PATH pid N killed by
 *     signal S"; "warning: PATH: bad command startup -- throttling";
 *     "warning: service "NAME" (ENDPOINT) has reached its process limit
 *     "N": new clients may experience noticeable delays". Fatal errors
 *     (cannot lock, cannot listen, not root) exit 1.
 *
 * SEE ALSO
 *     Postfix master(8), master(5); reference sections 5.3, 5.4, traps 22
 *     and 23.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "events.h"
#include "master.h"
#include "mastercf.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "server.h"
#include "vstr.h"

extern char **environ;

static char *master_config_dir; /* config_directory */
static char *master_daemon_dir; /* daemon_directory */
static int master_detached = 1; /* 0 with -d */
static unsigned master_gen;     /* GENERATION for new children */
static MASTER_SERV *master_servs;
static MASTER_PROC *master_procs;
static int master_flow[2] = {-1, -1};
static int master_sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t master_got_hup;
static volatile sig_atomic_t master_got_term;
static volatile sig_atomic_t master_got_chld;
static ARGV *master_missing; /* "name/type" already reported missing */
static uid_t master_owner_uid;
static gid_t master_owner_gid;

/* master_version - the mail_version the log lines quote */
static const char *master_version(void)
{
    const char *v = cfg_str("mail_version");

    return (v && *v) ? v : POSTERN_MAIL_VERSION;
}

/* master_lookup_owner - mail_owner's uid and gid (fatal if unknown) */
static void master_lookup_owner(void)
{
    const char *owner = cfg_str("mail_owner");
    struct passwd *pw = getpwnam(owner);

    if (pw == 0)
        msg_fatal("file %s/main.cf: parameter mail_owner: unknown user name value: %s",
                  master_config_dir, owner);
    if (pw->pw_uid == 0)
        msg_fatal("mail_owner %s has privileged user ID", owner);
    master_owner_uid = pw->pw_uid;
    master_owner_gid = pw->pw_gid;
}

/* master_as_owner / master_as_root - effective ids for creating sockets */
static void master_as_owner(void)
{
    if (setegid(master_owner_gid) < 0)
        msg_fatal("setegid(%ld): %m", (long)master_owner_gid);
    if (seteuid(master_owner_uid) < 0)
        msg_fatal("seteuid(%ld): %m", (long)master_owner_uid);
}

static void master_as_root(void)
{
    if (seteuid(0) < 0)
        msg_fatal("seteuid(0): %m");
    if (setegid(0) < 0)
        msg_fatal("setegid(0): %m");
}

/* master_find_proc - the process table entry for pid, or NULL */
static MASTER_PROC *master_find_proc(pid_t pid)
{
    MASTER_PROC *p;

    for (p = master_procs; p; p = p->next)
        if (p->pid == pid)
            return p;
    return 0;
}

static void master_listen_event(int event, void *ctx);
static void master_spawn(MASTER_SERV *s);

/* master_listen_update - watch the sockets only when no child is idle */
static void master_listen_update(MASTER_SERV *s)
{
    int limit_ok = s->maxproc == 0 || s->total_proc < s->maxproc;
    int want = s->listen_count > 0 && !s->throttled && s->avail_proc == 0 && limit_ok;
    int i;

    if (want && !s->listening) {
        for (i = 0; i < s->listen_count; i++)
            event_enable_read(s->listen_fd[i], master_listen_event, s);
        s->listening = 1;
    } else if (!want && s->listening) {
        for (i = 0; i < s->listen_count; i++)
            event_disable_readwrite(s->listen_fd[i]);
        s->listening = 0;
    }
    if (!limit_ok && !s->throttled && s->avail_proc == 0 && s->maxproc > 1) {
        time_t now = time(0);

        if (now - s->limit_warned >= 1000) {
            msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": new clients "
                     "may experience noticeable delays",
                     s->name, s->endpoint, s->maxproc);
            s->limit_warned = now;
        }
        s->stress_until = now + 1000;
    }
}

/* master_unthrottle - service_throttle_time is over */
static void master_unthrottle(int event, void *ctx)
{
    MASTER_SERV *s = ctx;

    (void)event;
    s->throttled = 0;
    master_listen_update(s);
}

/* master_throttle - stop forking this service for service_throttle_time */
static void master_throttle(MASTER_SERV *s)
{
    long delay = cfg_time("service_throttle_time");

    s->throttled = 1;
    master_listen_update(s);
    event_request_timer(master_unthrottle, s, (delay > 0 ? delay : 60) * 1000L);
}

/* master_listen_event - a client is waiting and no child is idle */
static void master_listen_event(int event, void *ctx)
{
    MASTER_SERV *s = ctx;

    (void)event;
    if (s->avail_proc == 0 && !s->throttled && (s->maxproc == 0 || s->total_proc < s->maxproc))
        master_spawn(s);
    master_listen_update(s);
}

/* master_status_event - a child reports busy (0) or idle (1) */
static void master_status_event(int event, void *ctx)
{
    MASTER_SERV *s = ctx;
    struct master_status st[64];
    ssize_t n;
    size_t i, count;

    (void)event;
    /*
     * Read every pending status message at once (each child write is one
     * 12-byte record on a stream socket, so a read of whole records never
     * splits one): one read per wake-up instead of one per message.
     */
    for (;;) {
        n = read(s->status_fd[0], st, sizeof(st));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (n % (ssize_t)sizeof(st[0]) != 0)
            msg_warn("service %s: process status message size %ld, expected a multiple of %ld",
                     s->name, (long)n, (long)sizeof(st[0]));
        count = (size_t)n / sizeof(st[0]);
        for (i = 0; i < count; i++) {
            MASTER_PROC *p;

            if ((p = master_find_proc((pid_t)st[i].pid)) == 0 || p->serv != s ||
                p->gen != st[i].gen)
                continue;
            if (st[i].avail == 0) {
                p->use_count++;
                if (p->avail) {
                    p->avail = 0;
                    s->avail_proc--;
                }
            } else if (!p->avail) {
                p->avail = 1;
                s->avail_proc++;
            }
        }
        if ((size_t)n < sizeof(st))
            break; /* drained */
    }
    master_listen_update(s);
}

/* master_status_open - a fresh status pipe for a service */
static void master_status_open(MASTER_SERV *s)
{
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->status_fd) < 0)
        msg_fatal("socketpair: %m");
    non_blocking(s->status_fd[0], 1);
    event_enable_read(s->status_fd[0], master_status_event, s);
}

/* master_status_close - old children see EOF on fd 5 and finish */
static void master_status_close(MASTER_SERV *s)
{
    MASTER_PROC *p;

    if (s->status_fd[0] >= 0) {
        event_disable_readwrite(s->status_fd[0]);
        (void)close(s->status_fd[0]);
        (void)close(s->status_fd[1]);
        s->status_fd[0] = s->status_fd[1] = -1;
    }
    /* Old children no longer count as idle; they still count as alive. */
    for (p = master_procs; p; p = p->next) {
        if (p->serv != s)
            continue;
        if (p->avail)
            s->avail_proc--;
        p->avail = 0;
        p->gen = ~0U;
    }
}

/* master_dup_high - dup fd above floor, close-on-exec */
static int master_dup_high(int fd, int floor)
{
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, floor);

    if (nfd < 0)
        msg_fatal("dup: %m");
    return nfd;
}

/* master_spawn - fork and exec one child of service s */
static void master_spawn(MASTER_SERV *s)
{
    MASTER_PROC *p;
    pid_t pid;
    time_t now = time(0);

    if (s->stress_idx >= 0) {
        myfree(s->argv->argv[s->stress_idx]);
        s->argv->argv[s->stress_idx] = mystrdup(now < s->stress_until ? "stress=yes" : "stress=");
    }
    if (msg_verbose)
        msg_info("spawn command %s; service %s", s->path, s->name);
    pid = fork();
    if (pid < 0) {
        msg_warn("fork: %m");
        master_throttle(s);
        return;
    }
    if (pid == 0) {
        ARGV *env =
            master_child_env(environ, cfg_str("export_environment"), master_config_dir, master_gen);
        int floor = MASTER_LISTEN_FD + s->listen_count + 1;
        int *tmp = mymalloc(sizeof(int) * (size_t)(s->listen_count + 3));
        sigset_t none;
        int i;

        for (i = 0; i < s->listen_count; i++)
            if (s->listen_fd[i] >= floor)
                floor = s->listen_fd[i] + 1;
        if (master_flow[0] >= floor)
            floor = master_flow[0] + 1;
        if (master_flow[1] >= floor)
            floor = master_flow[1] + 1;
        if (s->status_fd[1] >= floor)
            floor = s->status_fd[1] + 1;
        tmp[0] = master_dup_high(master_flow[0], floor);
        tmp[1] = master_dup_high(master_flow[1], floor);
        tmp[2] = master_dup_high(s->status_fd[1], floor);
        for (i = 0; i < s->listen_count; i++)
            tmp[3 + i] = master_dup_high(s->listen_fd[i], floor);
        if (dup2(tmp[0], MASTER_FLOW_READ) < 0 || dup2(tmp[1], MASTER_FLOW_WRITE) < 0 ||
            dup2(tmp[2], MASTER_STATUS_FD) < 0)
            msg_fatal("dup2: %m");
        for (i = 0; i < s->listen_count; i++)
            if (dup2(tmp[3 + i], MASTER_LISTEN_FD + i) < 0)
                msg_fatal("dup2: %m");
        signal(SIGPIPE, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGCHLD, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, 0);
        execve(s->path, s->argv->argv, env->argv);
        msg_fatal("%s: exec %s: %m", s->name, s->path);
    }
    p = mymalloc(sizeof(*p));
    p->pid = pid;
    p->gen = master_gen;
    p->avail = 1;
    p->use_count = 0;
    p->serv = s;
    p->next = master_procs;
    master_procs = p;
    s->total_proc++;
    s->avail_proc++;
    s->used = 1;
    master_listen_update(s);
}

/* master_wakeup_event - send "W" to a service per its wakeup column */
static void master_wakeup_event(int event, void *ctx)
{
    MASTER_SERV *s = ctx;

    (void)event;
    if (s->listen_count == 0)
        return;
    if (!s->wakeup_cond || s->used) {
        if (strcmp(s->type, "fifo") == 0) {
            if (write(s->listen_fd[0], "W", 1) < 0 && errno != EAGAIN)
                msg_warn("wakeup %s: %m", s->endpoint);
        } else if (strcmp(s->type, "unix") == 0 || strcmp(s->type, "pass") == 0) {
            if (unix_trigger(s->endpoint, "W", 1) < 0 && msg_verbose)
                msg_info("wakeup %s: %m", s->endpoint);
        }
    }
    if (s->wakeup > 0)
        event_request_timer(master_wakeup_event, s, s->wakeup * 1000L);
}

/* master_wakeup_init - start (or restart) the wakeup timer */
static void master_wakeup_init(MASTER_SERV *s)
{
    event_cancel_timer(master_wakeup_event, s);
    if (s->wakeup <= 0 || s->inet)
        return;
    if (s->wakeup_cond)
        event_request_timer(master_wakeup_event, s, s->wakeup * 1000L);
    else
        event_request_timer(master_wakeup_event, s, 0);
}

/* master_endpoint - "private/NAME", "public/NAME", or the inet port */
static char *master_endpoint(const MASTER_ENT *e)
{
    VSTR *v = vstr_alloc(64);

    if (strcmp(e->type, "inet") == 0) {
        const char *colon = strrchr(e->service, ':');

        vstr_strcpy(v, colon ? colon + 1 : e->service);
    } else {
        vstr_sprintf(v, "%s/%s", e->private_ ? "private" : "public", e->service);
    }
    return vstr_export(v);
}

/* master_apply_ent - copy a master.cf entry's settings into s */
static void master_apply_ent(MASTER_SERV *s, const MASTER_ENT *e)
{
    long limit = cfg_long("default_process_limit");
    VSTR *path = vstr_alloc(64);

    s->unpriv = e->unpriv;
    s->chroot = e->chroot;
    s->wakeup = e->wakeup;
    s->wakeup_cond = e->wakeup_conditional;
    s->maxproc = e->maxproc < 0 ? (int)limit : e->maxproc;
    myfree(s->path);
    if (e->command[0] == '/')
        vstr_strcpy(path, e->command);
    else
        vstr_sprintf(path, "%s/%s", master_daemon_dir, e->command);
    s->path = vstr_export(path);
    if (s->argv)
        argv_free(s->argv);
    s->argv =
        master_child_argv(e->service, e->type, e->command, s->maxproc, e->unpriv, e->chroot,
                          s->listen_count, master_detached, msg_verbose, e->args, &s->stress_idx);
}

/* master_bind_fatal - "bind HOST port PORT: error", as Postfix says */
static void __attribute__((noreturn)) master_bind_fatal(const char *addr)
{
    const char *colon = strrchr(addr, ':');
    int saved = errno;
    char *host;

    if (colon == 0) {
        errno = saved;
        msg_fatal("bind %s: %m", addr);
    }
    host = mystrndup(addr, (size_t)(colon - addr));
    if (host[0] == '[') {
        char *end = strchr(host, ']');

        if (end)
            *end = 0;
        memmove(host, host + 1, strlen(host));
    }
    errno = saved;
    msg_fatal("bind %s port %s: %m", *host ? host : "0.0.0.0", colon + 1);
}

/* master_open_listeners - create the endpoints of a new service */
static int master_open_listeners(MASTER_SERV *s, const MASTER_ENT *e)
{
    long limit = cfg_long("default_process_limit");
    int backlog = (int)(s->maxproc > limit ? s->maxproc : limit);
    int fd;

    if (backlog <= 0)
        backlog = 100;
    s->listen_fd = 0;
    s->listen_count = 0;
    if (s->inet) {
        ARGV *addrs =
            master_inet_addrs(e->service, cfg_str("inet_interfaces"), cfg_str("inet_protocols"));
        int i;

        s->listen_fd = mymalloc(sizeof(int) * (size_t)addrs->argc);
        for (i = 0; i < addrs->argc; i++) {
            if ((fd = inet_listen(addrs->argv[i], backlog, 1)) < 0) {
                if (addrs->argv[i][0] == '[' && addrs->argc > 1) {
                    msg_warn("service %s: listen on %s: %m -- skipped", s->name, addrs->argv[i]);
                    continue;
                }
                master_bind_fatal(addrs->argv[i]);
            }
            close_on_exec(fd, 1);
            s->listen_fd[s->listen_count++] = fd;
        }
        argv_free(addrs);
        return 0;
    }
    s->listen_fd = mymalloc(sizeof(int));
    master_as_owner();
    if (strcmp(s->type, "unix") == 0 || strcmp(s->type, "pass") == 0) {
        fd = unix_listen(s->endpoint, backlog, 1);
    } else if (strcmp(s->type, "unix-dgram") == 0) {
        fd = unix_dgram_listen(s->endpoint);
        if (fd >= 0)
            non_blocking(fd, 1);
    } else if (strcmp(s->type, "fifo") == 0) {
        (void)unlink(s->endpoint);
        if (mkfifo(s->endpoint, 0622) < 0) {
            fd = -1;
        } else if ((fd = open(s->endpoint, O_RDWR | O_NONBLOCK | O_CLOEXEC)) >= 0) {
            (void)fchmod(fd, 0622);
        }
    } else {
        master_as_root();
        msg_fatal("%s, line %d: unknown service type: %s", e->file, e->line, s->type);
    }
    master_as_root();
    if (fd < 0)
        msg_fatal("open %s: %m", s->endpoint);
    close_on_exec(fd, 1);
    s->listen_fd[0] = fd;
    s->listen_count = 1;
    return 0;
}

/* master_find_serv - an active service by (name, type) */
static MASTER_SERV *master_find_serv(const char *name, const char *type)
{
    MASTER_SERV *s;

    for (s = master_servs; s; s = s->next)
        if (s->listen_count > 0 && strcmp(s->name, name) == 0 && strcmp(s->type, type) == 0)
            return s;
    return 0;
}

/* master_command_ok - is the daemon implemented (present in daemon_directory)? */
static int master_command_ok(const MASTER_ENT *e)
{
    VSTR *path = vstr_alloc(64);
    VSTR *key = vstr_alloc(64);
    int ok;
    int i;

    if (e->command[0] == '/')
        vstr_strcpy(path, e->command);
    else
        vstr_sprintf(path, "%s/%s", master_daemon_dir, e->command);
    ok = access(VSTR_STR(path), X_OK) == 0;
    if (!ok) {
        vstr_sprintf(key, "%s/%s", e->service, e->type);
        for (i = 0; i < master_missing->argc; i++)
            if (strcmp(master_missing->argv[i], VSTR_STR(key)) == 0)
                break;
        if (i == master_missing->argc) {
            msg_warn("service %s (command %s): not implemented by Postern; not started", e->service,
                     e->command);
            argv_add(master_missing, VSTR_STR(key), (char *)0);
        }
    }
    vstr_free(path);
    vstr_free(key);
    return ok;
}

/* master_new_serv - create, open and start a service from its entry */
static void master_new_serv(const MASTER_ENT *e)
{
    MASTER_SERV *s = mymalloc(sizeof(*s));

    memset(s, 0, sizeof(*s));
    s->name = mystrdup(e->service);
    s->type = mystrdup(e->type);
    s->private_ = e->private_;
    s->inet = strcmp(e->type, "inet") == 0;
    s->endpoint = master_endpoint(e);
    s->status_fd[0] = s->status_fd[1] = -1;
    s->stress_idx = -1;
    /* maxproc first: the backlog depends on it. */
    s->maxproc = e->maxproc < 0 ? (int)cfg_long("default_process_limit") : e->maxproc;
    master_open_listeners(s, e);
    master_apply_ent(s, e);
    master_status_open(s);
    s->next = master_servs;
    master_servs = s;
    master_listen_update(s);
    master_wakeup_init(s);
}

/* master_stop_serv - a service removed from master.cf */
static void master_stop_serv(MASTER_SERV *s)
{
    MASTER_PROC *p;
    int i;

    event_cancel_timer(master_wakeup_event, s);
    event_cancel_timer(master_unthrottle, s);
    s->throttled = 1;
    master_listen_update(s);
    for (i = 0; i < s->listen_count; i++)
        (void)close(s->listen_fd[i]);
    s->listen_count = 0;
    if (!s->inet)
        (void)unlink(s->endpoint);
    master_status_close(s);
    for (p = master_procs; p; p = p->next)
        if (p->serv == s)
            (void)kill(p->pid, SIGTERM);
}

/* master_load - read master.cf and start, update or stop services */
static void master_load(int reload)
{
    VSTR *path = vstr_alloc(64);
    MASTER_CF *cf;
    MASTER_SERV *s;
    int i;

    vstr_sprintf(path, "%s/master.cf", master_config_dir);
    cf = mastercf_load(VSTR_STR(path));
    vstr_free(path);
    for (s = master_servs; s; s = s->next)
        s->mark = s->listen_count > 0;
    for (i = 0; i < cf->count; i++) {
        MASTER_ENT *e = cf->ents[i];

        if (!master_command_ok(e))
            continue;
        if (reload && (s = master_find_serv(e->service, e->type)) != 0 &&
            s->private_ == e->private_) {
            s->mark = 0;
            master_status_close(s);
            master_apply_ent(s, e);
            master_status_open(s);
            master_listen_update(s);
            master_wakeup_init(s);
            continue;
        }
        if (reload && s != 0)
            master_stop_serv(s), s->mark = 0; /* moved between private/public */
        master_new_serv(e);
    }
    for (s = master_servs; s; s = s->next)
        if (s->mark) {
            s->mark = 0;
            master_stop_serv(s);
        }
    mastercf_free(cf);
}

/* master_reap - collect exited children, log abnormal exits, throttle */
static void master_reap(void)
{
    int status;
    pid_t pid;

    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        MASTER_PROC *p;
        MASTER_PROC **pp;
        MASTER_SERV *s;
        int bad = 0;

        for (pp = &master_procs; (p = *pp) != 0; pp = &p->next)
            if (p->pid == pid)
                break;
        if (p == 0)
            continue;
        *pp = p->next;
        s = p->serv;
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
            msg_warn("process %s pid %ld exit status %d", s->path, (long)pid, WEXITSTATUS(status));
            bad = 1;
        } else if (WIFSIGNALED(status)) {
            msg_warn("process %s pid %ld killed by signal %d", s->path, (long)pid,
                     WTERMSIG(status));
            bad = 1;
        }
        s->total_proc--;
        if (p->avail)
            s->avail_proc--;
        if (bad && p->use_count == 0 && s->listen_count > 0 && !s->throttled) {
            msg_warn("%s: bad command startup -- throttling", s->path);
            master_throttle(s);
        }
        myfree(p);
        if (s->listen_count > 0)
            master_listen_update(s);
    }
}

/* master_terminate - SIGTERM and friends: take the children down, exit */
static void __attribute__((noreturn)) master_terminate(int sig)
{
    MASTER_PROC *p;

    msg_info("terminating on signal %d", sig);
    signal(SIGTERM, SIG_IGN);
    for (p = master_procs; p; p = p->next)
        (void)kill(p->pid, SIGTERM);
    (void)kill(-getpid(), SIGTERM);
    exit(0);
}

/* master_sig_handler - record the signal, wake the event loop */
static void master_sig_handler(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (sig == SIGHUP)
        master_got_hup = 1;
    else if (sig == SIGCHLD)
        master_got_chld = 1;
    else
        master_got_term = sig;
    if (write(master_sig_pipe[1], &c, 1) < 0) {
        /* pipe full: the loop will see the flags anyway */
    }
    errno = saved;
}

/* master_reload - SIGHUP */
static void master_reload(void)
{
    msg_info("reload -- version %s, configuration %s", master_version(), master_config_dir);
    cfg_init(master_config_dir);
    msg_logging_configure();
    master_lookup_owner();
    myfree(master_daemon_dir);
    master_daemon_dir = mystrdup(cfg_str("daemon_directory"));
    master_gen++;
    master_load(1);
}

/* master_sig_event - handle signals outside the handler */
static void master_sig_event(int event, void *ctx)
{
    char buf[64];

    (void)event;
    (void)ctx;
    while (read(master_sig_pipe[0], buf, sizeof(buf)) > 0)
        ;
    if (master_got_term)
        master_terminate(master_got_term);
    if (master_got_chld) {
        master_got_chld = 0;
        master_reap();
    }
    if (master_got_hup) {
        master_got_hup = 0;
        master_reload();
    }
}

/* master_exit_timer - the -e exit_time expired */
static void master_exit_timer(int event, void *ctx)
{
    (void)event;
    (void)ctx;
    msg_info("master exit time has arrived");
    exit(0);
}

/* master_lock_file - open and exclusively lock path; fd or -1 (EWOULDBLOCK) */
static int master_lock_file(const char *path, int create)
{
    int fd = open(path, O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);

    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int saved = errno;

        (void)close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

/* master_test_lock - master -t: exit 0 when no master runs */
static void __attribute__((noreturn)) master_test_lock(const char *qdir)
{
    VSTR *path = vstr_alloc(64);
    int fd;

    vstr_sprintf(path, "%s/pid/master.pid", qdir);
    fd = open(VSTR_STR(path), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        exit(0);
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        exit(0);
    exit(1);
}

/* master_write_pid - pid/master.pid: "%*lu\n", 32 columns, under lock */
static void master_write_pid(int fd)
{
    char buf[64];
    int len = snprintf(buf, sizeof(buf), "%*lu\n", (int)(4 * sizeof(unsigned long)),
                       (unsigned long)getpid());

    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0 || write(fd, buf, (size_t)len) != len)
        msg_fatal("cannot update lock file pid/master.pid: %m");
}

/* master_usage - bad command line */
static void __attribute__((noreturn)) master_usage(const char *me)
{
    fprintf(stderr, "usage: %s [-Ddistvw] [-c config_dir] [-e exit_time]\n", me);
    exit(1);
}

/* main - see the manual at the top */
int main(int argc, char **argv)
{
    const char *config_dir = 0;
    int keep_stdout = 0;
    int test_lock = 0;
    int wait_ready = 0;
    int ready_fd = -1;
    long exit_time = 0;
    int verbose = 0;
    int ch;
    int fd;
    VSTR *path;
    const char *qdir;
    const char *ddir;
    struct sigaction sa;

    umask(077);
    while ((ch = getopt(argc, argv, "c:dDe:istvw")) > 0) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            master_detached = 0;
            break;
        case 'D':
            break;
        case 'e':
            exit_time = strtol(optarg, 0, 10);
            break;
        case 'i':
        case 's':
            keep_stdout = 1;
            break;
        case 't':
            test_lock = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'w':
            wait_ready = 1;
            break;
        default:
            master_usage(argv[0]);
        }
    }
    if (optind < argc)
        master_usage(argv[0]);

    msg_init("master", (!master_detached || isatty(2)) ? MSG_STDERR | MSG_SYSLOG : MSG_SYSLOG);
    msg_verbose = verbose;
    if (config_dir)
        setenv("MAIL_CONFIG", config_dir, 1);
    cfg_init(config_dir);
    master_config_dir = mystrdup(cfg_str("config_directory"));
    setenv("MAIL_CONFIG", master_config_dir, 1);
    qdir = cfg_str("queue_directory");
    if (test_lock)
        master_test_lock(qdir);
    msg_logging_configure();

    if (geteuid() != 0)
        msg_fatal("the master command is reserved for the superuser");
    master_lookup_owner();
    master_daemon_dir = mystrdup(cfg_str("daemon_directory"));
    master_missing = argv_alloc(8);

    /* -w: a foreground process waits until the real master is ready. */
    if (wait_ready) {
        int ready[2];
        pid_t pid;

        if (pipe2(ready, O_CLOEXEC) < 0)
            msg_fatal("pipe: %m");
        if ((pid = fork()) < 0)
            msg_fatal("fork: %m");
        if (pid > 0) {
            struct pollfd p;
            char c;

            (void)close(ready[1]);
            p.fd = ready[0];
            p.events = POLLIN;
            p.revents = 0;
            if (poll(&p, 1, 100 * 1000) > 0 && read(ready[0], &c, 1) == 1)
                exit(0);
            msg_fatal("daemon initialization failure");
        }
        (void)close(ready[0]);
        ready_fd = ready[1];
    }
    if (master_detached) {
        (void)setsid();
        if ((fd = open("/dev/null", O_RDWR)) >= 0) {
            (void)dup2(fd, 0);
            if (!keep_stdout)
                (void)dup2(fd, 1);
            (void)dup2(fd, 2);
            if (fd > 2)
                (void)close(fd);
        }
        msg_init("master", MSG_SYSLOG);
        msg_logging_configure();
    }

    if (chdir(qdir) < 0)
        msg_fatal("chdir(\"%s\"): %m", qdir);

    /* The lock files: one master per queue directory. */
    if (mkdir("pid", 0755) < 0 && errno != EEXIST)
        msg_fatal("mkdir pid: %m");
    if ((fd = master_lock_file("pid/master.pid", 1)) < 0) {
        if (errno == EWOULDBLOCK)
            msg_fatal("the Postfix mail system is already running");
        msg_fatal("open lock file %s/pid/master.pid: %m", qdir);
    }
    master_write_pid(fd);
    ddir = cfg_str("data_directory");
    if (mkdir(ddir, 0700) == 0 && chown(ddir, master_owner_uid, master_owner_gid) < 0)
        msg_warn("chown %s: %m", ddir);
    path = vstr_alloc(64);
    vstr_sprintf(path, "%s/master.lock", ddir);
    if ((fd = master_lock_file(VSTR_STR(path), 1)) < 0)
        msg_fatal("open lock file %s: %m", VSTR_STR(path));
    master_write_pid(fd);
    vstr_free(path);

    msg_info("daemon started -- version %s, configuration %s", master_version(), master_config_dir);

    /* The flow-control pipe and the signal self-pipe. */
    if (pipe2(master_flow, O_NONBLOCK | O_CLOEXEC) < 0 ||
        pipe2(master_sig_pipe, O_NONBLOCK | O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    event_enable_read(master_sig_pipe[0], master_sig_event, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = master_sig_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, 0);
    sigaction(SIGCHLD, &sa, 0);
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGQUIT, &sa, 0);
    signal(SIGPIPE, SIG_IGN);

    master_gen = (unsigned)time(0) & 0777777;
    master_load(0);
    if (exit_time > 0)
        event_request_timer(master_exit_timer, 0, exit_time * 1000L);

    if (ready_fd >= 0) {
        if (write(ready_fd, "", 1) != 1)
            msg_warn("notify parent: %m");
        (void)close(ready_fd);
    }
    for (;;) {
        event_loop(-1);
        if (master_got_term || master_got_chld || master_got_hup)
            master_sig_event(0, 0);
    }
}
