/*
 * NAME
 *     server - the daemon skeleton (single, multi, trigger and dgram servers)
 *
 * DESCRIPTION
 *     Every Postern daemon calls one of single_server_main(),
 *     multi_server_main(), trigger_server_main() or dgram_server_main() from
 *     main(). The skeleton implements the contract with master(8) described
 *     in lib/server.h and in the reference, section 5.3 ("How the master
 *     starts a child", "Process reuse", "Start-up order inside a daemon"),
 *     as Postfix's master/single_server.c, multi_server.c, trigger_server.c
 *     and dgram_server.c do:
 *
 *     1. parse the options -c -d -D -i N -l -m N -n name -o name=value -s N
 *        -S -t type -u -v -V -z;
 *     2. cfg_init() (main.cf from $MAIL_CONFIG), then the -o overrides,
 *        cfg_set_service(), msg_logging_configure();
 *     3. chdir(queue_directory); opts->pre_init() as root;
 *     4. with -c: resolve_init() (the in-process trivial-rewrite opens its
 *        tables while they are visible), chroot(queue_directory) and
 *        chdir("/"); drop to mail_owner with -u
 *        (setgroups, setgid, setuid; verified: a daemon started with -u
 *        never serves as root);
 *     5. opts->post_init(); then serve.
 *
 *     Process reuse: a daemon exits after max_use clients, after max_idle
 *     seconds without a client (a solitary (-l) trigger server such as qmgr
 *     ignores both limits), when a lookup table changed on disk
 *     (dict_changed_name(): "table X has changed -- restarting"), or when
 *     the status pipe (fd 5) reports EOF, i.e. the master went away or
 *     reloaded. The status pipe carries struct master_status messages:
 *     avail 0 when a client is taken, 1 when idle again.
 *
 *     A trigger server accepts a connection, waits at most 10 s for it to
 *     become readable, reads once (at most 1024 bytes), calls the service
 *     and closes, as Postfix's trigger_server.c: it does not wait for the
 *     client to close first.
 *
 *     Run by hand (no GENERATION in the environment), the skeleton still
 *     serves a listening socket passed on fd 6 (or with -S, one client
 *     connected on fd 0); the status and flow pipes are then not used.
 *
 * DIAGNOSTICS
 *     Fatal: bad options, no listening socket, chroot or privilege-drop
 *     failure ("unable to drop privileges"), accept() errors other than
 *     EAGAIN/EINTR/ECONNABORTED. Info: "table X has changed -- restarting".
 *     Verbose (-v): idle timeout, use limit, master gone.
 *
 * SEE ALSO
 *     master(8), Postfix single_server(3), multi_server(3),
 *     trigger_server(3), dgram_server(3).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "dict.h"
#include "events.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "resolve.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

/* Skeleton state: one daemon process runs one service. */
static const char *srv_name = "";
static int srv_by_master;
static unsigned srv_generation;
static int srv_pid;            /* getpid() is a system call: asked once */
static int srv_notify_once;    /* trigger/dgram servers: report one use only */
static int srv_notified;       /* that use was reported */
static unsigned srv_fifo_mask; /* bit i: listen fd 6+i is a FIFO */
static int srv_listen_fd_count = 1;
static int srv_solitary;
static int srv_chrooted; /* chroot(queue_directory) done */
static int srv_standalone;
static long srv_max_use;
static long srv_max_idle;
static long srv_use_count;
static int srv_client_count;
static int srv_master_gone;
static int srv_daemon_timeout;
static char **srv_argv;
static const SERVER_OPTS *srv_opts;
static const SERVER_OPTS srv_no_opts;

/* server_service_name - see server.h */
const char *server_service_name(void)
{
    return srv_name;
}

/* server_by_master - 1 when started by master(8), 0 when run by hand */
int server_by_master(void)
{
    return srv_by_master;
}

/* server_notify - tell the master we are busy (avail 0) or idle (avail 1) */
static void server_notify(int avail)
{
    struct master_status st;
    ssize_t n;

    if (!srv_by_master || srv_master_gone)
        return;
    /*
     * A trigger or datagram server (qmgr, pickup, postlogd) is solitary and
     * never needs a sibling: after its first use has been counted (so a later
     * crash is not mistaken for a bad start-up) it stays "idle" for the
     * master, and the per-trigger status round trip (two writes here, two
     * reads and wake-ups in the master, per message) is saved.
     */
    if (srv_notify_once) {
        if (srv_notified)
            return;
        if (avail)
            srv_notified = 1;
    }
    if (srv_pid == 0)
        srv_pid = (int)getpid();
    memset(&st, 0, sizeof(st));
    st.pid = srv_pid;
    st.gen = srv_generation;
    st.avail = avail;
    do {
        n = write(MASTER_STATUS_FD, &st, sizeof(st));
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(st)) {
        if (msg_verbose)
            msg_info("status pipe write: %m -- master gone");
        srv_master_gone = 1;
    }
}

/* server_exit - voluntary exit: run pre_exit, then exit 0 */
static void __attribute__((noreturn)) server_exit(void)
{
    if (srv_opts && srv_opts->pre_exit)
        srv_opts->pre_exit();
    exit(0);
}

/* server_watchdog - SIGALRM: the daemon_timeout watchdog fired */
static void server_watchdog(int sig)
{
    static const char text[] = "fatal: watchdog timeout\n";

    (void)sig;
    if (write(2, text, sizeof(text) - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

/* server_arm_watchdog - restart the daemon_timeout watchdog */
static void server_arm_watchdog(void)
{
    if (srv_daemon_timeout > 0)
        alarm((unsigned)srv_daemon_timeout);
}

/*
 * server_check_tables - exit when a lookup table changed (trap 24).
 * Workaround: dict_changed_name() (lib/dict.c) stat()s each table by its
 * path, which a chrooted daemon cannot see (every table would look changed
 * and the daemon would restart after each client); Postfix fstat()s a
 * descriptor kept open instead. Until dict.c does that, a chrooted daemon
 * skips the check and relies on max_use/max_idle and "postfix reload".
 */
static void server_check_tables(void)
{
    static long long last_check;
    struct timespec now;
    long long now_ms;
    const char *name;

    /*
     * Postfix checks before every accept. A check is one fstat per table, so
     * at connection-per-message rates it is done at most once per 100 ms: a
     * rebuilt table still takes effect at once for a new client in practice.
     */
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (last_check != 0 && now_ms - last_check < 100)
        return;
    last_check = now_ms;
    if ((name = dict_changed_name()) != 0) {
        msg_info("table %s has changed -- restarting", name);
        server_exit();
    }
}

/* server_fd_open - is fd an open descriptor? */
static int server_fd_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/*
 * server_init - everything before the serve loop (reference 5.3, "Start-up
 * order inside a daemon"). Returns the index of the first non-option
 * argument in argv.
 */
static int server_init(int argc, char **argv, const SERVER_OPTS *opts, int default_solitary)
{
    ARGV *overrides = argv_alloc(4);
    const char *service = 0;
    const char *type = "unix";
    int do_chroot = 0;
    int do_unpriv = 0;
    long opt_max_idle = -1;
    long opt_max_use = -1;
    int ch;
    int i;
    const char *gen;
    uid_t uid = 0;
    gid_t gid = 0;

    srv_opts = opts ? opts : &srv_no_opts;
    srv_solitary = default_solitary;
    msg_init(argv[0] ? argv[0] : "server", isatty(2) ? MSG_STDERR | MSG_SYSLOG : MSG_SYSLOG);

    /* The master may have gone away at any time; never die on SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);

    opterr = 0;
    optind = 1;
    while ((ch = getopt(argc, argv, "+cdDi:lm:n:o:s:St:uvVz")) > 0) {
        switch (ch) {
        case 'c':
            do_chroot = 1;
            break;
        case 'd':
        case 'D':
        case 'V':
            break;
        case 'i':
            opt_max_idle = strtol(optarg, 0, 10);
            break;
        case 'l':
            srv_solitary = 1;
            break;
        case 'm':
            opt_max_use = strtol(optarg, 0, 10);
            break;
        case 'n':
            service = optarg;
            break;
        case 'o':
            argv_add(overrides, optarg, (char *)0);
            break;
        case 's':
            srv_listen_fd_count = (int)strtol(optarg, 0, 10);
            if (srv_listen_fd_count <= 0 || srv_listen_fd_count > 1000)
                msg_fatal("invalid socket count: %s", optarg);
            break;
        case 'S':
            srv_standalone = 1;
            break;
        case 't':
            type = optarg;
            break;
        case 'u':
            do_unpriv = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'z':
            break;
        default:
            msg_fatal("invalid option: -%c", optopt ? optopt : '?');
        }
    }
    (void)type;
    if (service == 0) {
        /* The service name defaults to the program name. */
        const char *slash = argv[0] ? strrchr(argv[0], '/') : 0;
        service = slash ? slash + 1 : (argv[0] ? argv[0] : "server");
    }
    srv_name = service;

    gen = getenv("GENERATION");
    srv_by_master = gen != 0 && server_fd_open(MASTER_STATUS_FD);
    if (gen)
        srv_generation = (unsigned)strtoul(gen, 0, 8);

    /* Configuration: main.cf, then -o overrides, then the service name. */
    cfg_init(0);
    for (i = 0; i < overrides->argc; i++) {
        char *name = mystrdup(overrides->argv[i]);
        char *eq = strchr(name, '=');
        char *end;
        char *value;

        if (eq == 0)
            msg_fatal("invalid \"-o %s\" option value: missing '='", name);
        *eq = 0;
        value = eq + 1;
        /* "-o { name = value }" arrives as "name = value": trim blanks. */
        for (end = eq; end > name && (end[-1] == ' ' || end[-1] == '\t'); end--)
            end[-1] = 0;
        while (*value == ' ' || *value == '\t')
            value++;
        cfg_override(name, value);
        myfree(name);
    }
    argv_free(overrides);
    cfg_set_service(service);
    msg_logging_configure();

    srv_max_idle = opt_max_idle >= 0 ? opt_max_idle : cfg_time("max_idle");
    srv_max_use = opt_max_use >= 0 ? opt_max_use : cfg_long("max_use");
    srv_daemon_timeout = (int)cfg_time("daemon_timeout");
    if (srv_daemon_timeout > 0) {
        signal(SIGALRM, server_watchdog);
        server_arm_watchdog();
    }

    /* Look up mail_owner before chroot: /etc/passwd is outside the jail. */
    if (do_unpriv) {
        const char *owner = cfg_str("mail_owner");
        struct passwd *pw = getpwnam(owner);

        if (pw == 0)
            msg_fatal("unknown mail_owner user: %s", owner);
        if (pw->pw_uid == 0)
            msg_fatal("mail_owner %s has privileged user ID", owner);
        uid = pw->pw_uid;
        gid = pw->pw_gid;
    }

    mail_queue_chdir();

    if (srv_opts->pre_init)
        srv_opts->pre_init(service, argv + optind);

    if (do_chroot) {
        const char *qdir = cfg_str("queue_directory");

        /*
         * Postfix daemons reach their address-resolution tables through
         * the trivial-rewrite service; Postern resolves in-process
         * (resolve.c), so open those tables while they are still visible.
         * A later resolve_init() in the jail (qmgr's post_init) reuses
         * them.
         */
        resolve_init();

        if (chroot(qdir) < 0)
            msg_fatal("chroot(%s): %m", qdir);
        if (chdir("/") < 0)
            msg_fatal("chdir(\"/\"): %m");
        srv_chrooted = 1;
    }
    if (do_unpriv) {
        if (geteuid() == 0) {
            if (setgroups(1, &gid) < 0)
                msg_fatal("setgroups(%ld): %m", (long)gid);
            if (setgid(gid) < 0)
                msg_fatal("setgid(%ld): %m", (long)gid);
            if (setuid(uid) < 0)
                msg_fatal("setuid(%ld): %m", (long)uid);
        }
        if (getuid() == 0 || geteuid() == 0)
            msg_fatal("unable to drop privileges: still running as root");
    }

    if (srv_opts->post_init)
        srv_opts->post_init(service, argv + optind);

    srv_argv = argv + optind;
    return optind;
}

/* server_listen_check - without a listen socket there is nothing to do */
static void server_listen_check(void)
{
    int i;

    for (i = 0; i < srv_listen_fd_count; i++)
        if (!server_fd_open(MASTER_LISTEN_FD + i))
            msg_fatal("no listening socket on file descriptor %d: this program must be "
                      "started by the master(8) daemon",
                      MASTER_LISTEN_FD + i);
}

/* server_blocking_client - prepare an accepted fd for a STREAM client */
static void server_blocking_client(int fd)
{
    /*
     * Nothing to do on Linux: accept4(2) (sane_accept) gives a blocking
     * descriptor with close-on-exec set; O_NONBLOCK of the listening socket
     * is not inherited. Four fcntl calls per connection saved.
     */
    (void)fd;
}

/* server_use_limit_reached - 1 when this process has done enough */
static int server_use_limit_reached(void)
{
    return !srv_solitary && srv_max_use > 0 && srv_use_count >= srv_max_use;
}

/* single_server_main - see server.h */
void single_server_main(int argc, char **argv, SINGLE_SERVICE_FN fn, const SERVER_OPTS *opts)
{
    struct pollfd *pfd;
    int nfds;
    int i;

    server_init(argc, argv, opts, 0);

    if (srv_standalone) {
        STREAM *client = stream_fdopen(0, "stdin");

        srv_use_count++;
        fn(client, srv_name, srv_argv);
        stream_free(client);
        server_exit();
    }
    server_listen_check();

    nfds = srv_listen_fd_count + (srv_by_master ? 1 : 0);
    pfd = mymalloc(sizeof(*pfd) * (size_t)nfds);
    for (;;) {
        int timeout;
        int n;

        if (srv_master_gone) {
            if (msg_verbose)
                msg_info("master disconnect -- exiting");
            server_exit();
        }
        if (server_use_limit_reached()) {
            if (msg_verbose)
                msg_info("use limit -- exiting");
            server_exit();
        }
        server_check_tables();
        if (srv_opts->pre_accept)
            srv_opts->pre_accept(srv_name, srv_argv);

        for (i = 0; i < srv_listen_fd_count; i++) {
            pfd[i].fd = MASTER_LISTEN_FD + i;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        if (srv_by_master) {
            pfd[srv_listen_fd_count].fd = MASTER_STATUS_FD;
            pfd[srv_listen_fd_count].events = POLLIN;
            pfd[srv_listen_fd_count].revents = 0;
        }
        timeout = srv_max_idle > 0 ? (int)(srv_max_idle * 1000) : -1;
        alarm(0); /* the watchdog guards the service, not the wait */
        n = poll(pfd, (nfds_t)nfds, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("poll: %m");
        }
        if (n == 0) {
            if (msg_verbose)
                msg_info("idle timeout -- exiting");
            server_exit();
        }
        if (srv_by_master && pfd[srv_listen_fd_count].revents) {
            srv_master_gone = 1;
            continue;
        }
        /* A table may have changed while we waited: leave the client to a
         * fresh process. */
        server_check_tables();
        for (i = 0; i < srv_listen_fd_count; i++) {
            STREAM *client;
            int fd;

            if (pfd[i].revents == 0)
                continue;
            if ((fd = sane_accept(pfd[i].fd)) < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                    errno == ECONNABORTED || errno == EPROTO)
                    continue;
                msg_fatal("accept connection: %m");
            }
            server_notify(0);
            srv_use_count++;
            server_arm_watchdog();
            server_blocking_client(fd);
            client = stream_fdopen(fd, srv_name);
            fn(client, srv_name, srv_argv);
            (void)stream_close(client);
            server_notify(1);
            break; /* one client per iteration: recheck limits */
        }
    }
}

/* Event-server state. */
static TRIGGER_SERVICE_FN srv_trigger_fn;
static MULTI_SERVICE_FN srv_multi_fn;

/* server_event_status - fd 5 became readable: the master is gone */
static void server_event_status(int event, void *ctx)
{
    (void)event;
    (void)ctx;
    event_disable_readwrite(MASTER_STATUS_FD);
    srv_master_gone = 1;
}

/* server_idle_timer - max_idle expired without a client */
static void server_idle_timer(int event, void *ctx)
{
    (void)event;
    (void)ctx;
    if (srv_client_count == 0) {
        if (msg_verbose)
            msg_info("idle timeout -- exiting");
        server_exit();
    }
}

/* server_arm_idle - (re)start the idle timer of an event server */
static void server_arm_idle(void)
{
    if (srv_max_idle > 0 && !srv_solitary)
        event_request_timer(server_idle_timer, 0, srv_max_idle * 1000L);
}

/* server_event_loop - the common loop of the event-driven skeletons */
static void __attribute__((noreturn)) server_event_loop(void)
{
    if (srv_by_master)
        event_enable_read(MASTER_STATUS_FD, server_event_status, 0);
    server_arm_idle();
    for (;;) {
        long wait = -1;

        if (srv_master_gone && srv_client_count == 0) {
            if (msg_verbose)
                msg_info("master disconnect -- exiting");
            server_exit();
        }
        if (server_use_limit_reached() && srv_client_count == 0) {
            if (msg_verbose)
                msg_info("use limit -- exiting");
            server_exit();
        }
        server_check_tables();
        if (srv_opts->loop)
            wait = srv_opts->loop();
        if (srv_opts->pre_accept)
            srv_opts->pre_accept(srv_name, srv_argv);
        /* Wake up now and then to notice a lost master or changed table. */
        if (wait < 0 || wait > 1000L * 60)
            wait = 1000L * 60;
        if (srv_daemon_timeout > 0)
            alarm((unsigned)srv_daemon_timeout + 60);
        event_loop(wait);
    }
}

/* multi_server_accept - a new client for a multi server */
static void multi_server_accept(int event, void *ctx)
{
    int lfd = (int)(long)ctx;
    int fd;

    (void)event;
    if (srv_master_gone || server_use_limit_reached())
        return;
    if (srv_client_count == 0)
        server_check_tables();
    if ((fd = sane_accept(lfd)) < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED ||
            errno == EPROTO)
            return;
        msg_fatal("accept connection: %m");
    }
    server_notify(0);
    non_blocking(fd, 1);
    close_on_exec(fd, 1);
    srv_use_count++;
    srv_client_count++;
    event_cancel_timer(server_idle_timer, 0);
    srv_multi_fn(fd, srv_name, srv_argv);
    server_notify(1);
}

/* multi_server_disconnect - see server.h */
void multi_server_disconnect(int fd)
{
    (void)fd;
    if (srv_client_count > 0)
        srv_client_count--;
    if (srv_client_count == 0)
        server_arm_idle();
}

/* multi_server_main - see server.h */
void multi_server_main(int argc, char **argv, MULTI_SERVICE_FN fn, const SERVER_OPTS *opts)
{
    int i;

    server_init(argc, argv, opts, 0);
    server_listen_check();
    srv_multi_fn = fn;
    for (i = 0; i < srv_listen_fd_count; i++) {
        non_blocking(MASTER_LISTEN_FD + i, 1);
        event_enable_read(MASTER_LISTEN_FD + i, multi_server_accept,
                          (void *)(long)(MASTER_LISTEN_FD + i));
    }
    server_event_loop();
}

/*
 * trigger_read_once - wait at most 10 s for the client's trigger, then read
 * once what is available (at most 1024 bytes, as Postfix's
 * trigger_server_wakeup()). The caller then serves and closes: a client
 * that waits for the server to close (Postfix's trigger clients may) must
 * not stall until the time limit.
 */
static void trigger_read_once(int fd, VSTR *buf)
{
    char chunk[1024];
    struct pollfd p;
    ssize_t n;
    int rc;

    /* Postern's own triggers have usually arrived already: read first. */
    while ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
        /* void */;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        p.fd = fd;
        p.events = POLLIN;
        p.revents = 0;
        while ((rc = poll(&p, 1, 10 * 1000)) < 0 && errno == EINTR)
            /* void */;
        if (rc <= 0)
            return;
        while ((n = read(fd, chunk, sizeof(chunk))) < 0 && errno == EINTR)
            /* void */;
    }
    if (n > 0)
        vstr_addmem(buf, chunk, (size_t)n);
}

/* trigger_server_event - a trigger arrived on a listen socket or FIFO */
static void trigger_server_event(int event, void *ctx)
{
    int lfd = (int)(long)ctx;
    VSTR *buf;

    (void)event;
    if (srv_master_gone)
        return;
    buf = vstr_alloc(64);
    if (lfd - MASTER_LISTEN_FD < 32 && (srv_fifo_mask & (1u << (lfd - MASTER_LISTEN_FD)))) {
        char chunk[1024];
        ssize_t n;

        while ((n = read(lfd, chunk, sizeof(chunk))) > 0)
            vstr_addmem(buf, chunk, (size_t)n);
    } else {
        int fd;

        while ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0 && errno == EINTR)
            /* void */;
        if (fd < 0) {
            vstr_free(buf);
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
                errno == EPROTO || errno == ECONNRESET)
                return;
            msg_fatal("accept connection: %m");
        }
        trigger_read_once(fd, buf);
        (void)close(fd);
    }
    server_notify(0);
    srv_use_count++;
    server_arm_watchdog();
    if (VSTR_LEN(buf) > 0)
        srv_trigger_fn(VSTR_STR(buf), VSTR_LEN(buf), srv_name, srv_argv);
    vstr_free(buf);
    server_notify(1);
    server_arm_idle();
}

/* trigger_server_main - see server.h */
void trigger_server_main(int argc, char **argv, TRIGGER_SERVICE_FN fn, const SERVER_OPTS *opts)
{
    int i;

    struct stat st;

    server_init(argc, argv, opts, 0);
    server_listen_check();
    srv_trigger_fn = fn;
    srv_notify_once = 1;
    for (i = 0; i < srv_listen_fd_count; i++) {
        non_blocking(MASTER_LISTEN_FD + i, 1);
        if (i < 32 && fstat(MASTER_LISTEN_FD + i, &st) == 0 && S_ISFIFO(st.st_mode))
            srv_fifo_mask |= 1u << i;
        event_enable_read(MASTER_LISTEN_FD + i, trigger_server_event,
                          (void *)(long)(MASTER_LISTEN_FD + i));
    }
    server_event_loop();
}

static char *dgram_buf;       /* one datagram, NUL-terminated */
static size_t dgram_buf_size; /* its capacity, excluding the NUL */

/* dgram_server_event - one or more datagrams arrived */
static void dgram_server_event(int event, void *ctx)
{
    int lfd = (int)(long)ctx;
    int taken = 0;

    (void)event;
    /*
     * One recv(2) per datagram into a buffer as large as the largest
     * datagram the socket can hold (its receive buffer size, asked once; a
     * unix datagram never exceeds it). Log lines arrive here several per
     * message, so the size probe per datagram was worth removing.
     */
    if (dgram_buf == NULL) {
        int rcvbuf = 0;
        socklen_t optlen = sizeof(rcvbuf);

        if (getsockopt(lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &optlen) < 0 || rcvbuf < 65536)
            rcvbuf = 65536;
        dgram_buf_size = (size_t)rcvbuf;
        dgram_buf = mymalloc(dgram_buf_size + 1);
    }
    for (;;) {
        ssize_t n;
        char *buf = dgram_buf;

        n = recv(lfd, buf, dgram_buf_size, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* EAGAIN: drained */
        }
        if ((size_t)n > dgram_buf_size) {
            msg_warn("datagram of %ld bytes truncated to %lu", (long)n,
                     (unsigned long)dgram_buf_size);
            n = (ssize_t)dgram_buf_size;
        }
        buf[n] = 0;
        if (!taken) {
            server_notify(0); /* the master counts uses: no false throttling */
            taken = 1;
        }
        srv_use_count++;
        srv_trigger_fn(buf, (size_t)n, srv_name, srv_argv);
    }
    if (taken)
        server_notify(1);
    server_arm_idle();
}

/*
 * A dgram server (postlogd) must not lose what is already queued when the
 * master takes the process group down: SIGTERM drains the sockets first.
 */
static int dgram_sig_pipe[2] = {-1, -1};

/* dgram_server_sigterm - wake the loop; the event handler drains */
static void dgram_server_sigterm(int sig)
{
    int saved = errno;
    char c = (char)sig;

    if (write(dgram_sig_pipe[1], &c, 1) < 0) {
        /* the pipe is full: a wakeup is already pending */
    }
    errno = saved;
}

/* dgram_server_drain_exit - handle what is queued, then exit */
static void dgram_server_drain_exit(int event, void *ctx)
{
    int i;

    (void)event;
    (void)ctx;
    for (i = 0; i < srv_listen_fd_count; i++)
        dgram_server_event(EVENT_READ, (void *)(long)(MASTER_LISTEN_FD + i));
    server_exit();
}

/* dgram_server_main - see server.h */
void dgram_server_main(int argc, char **argv, TRIGGER_SERVICE_FN fn, const SERVER_OPTS *opts)
{
    int i;

    server_init(argc, argv, opts, 0);
    server_listen_check();
    srv_trigger_fn = fn;
    srv_notify_once = 1;
    if (pipe2(dgram_sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        msg_fatal("pipe: %m");
    event_enable_read(dgram_sig_pipe[0], dgram_server_drain_exit, 0);
    signal(SIGTERM, dgram_server_sigterm);
    for (i = 0; i < srv_listen_fd_count; i++) {
        non_blocking(MASTER_LISTEN_FD + i, 1);
        event_enable_read(MASTER_LISTEN_FD + i, dgram_server_event,
                          (void *)(long)(MASTER_LISTEN_FD + i));
    }
    server_event_loop();
}

/* mail_flow_get - see server.h */
int mail_flow_get(int count)
{
    struct pollfd p;
    long delay;
    char *buf;
    int got = 0;

    if (!srv_by_master || count <= 0)
        return -1;
    delay = cfg_time("in_flow_delay");
    buf = mymalloc((size_t)count);
    for (;;) {
        ssize_t n = read(MASTER_FLOW_READ, buf, (size_t)(count - got));

        if (n > 0) {
            got += (int)n;
            if (got >= count)
                break;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            break;
        if (delay <= 0)
            break;
        p.fd = MASTER_FLOW_READ;
        p.events = POLLIN;
        p.revents = 0;
        if (poll(&p, 1, (int)(delay * 1000)) <= 0)
            break;
        delay = 0; /* wait at most once */
    }
    myfree(buf);
    return got > 0 ? got : -1;
}

/* mail_flow_put - see server.h */
int mail_flow_put(int count)
{
    char buf[256];
    int done = 0;

    if (!srv_by_master || count <= 0)
        return -1;
    memset(buf, 'X', sizeof(buf));
    while (done < count) {
        size_t want = (size_t)(count - done) < sizeof(buf) ? (size_t)(count - done) : sizeof(buf);
        ssize_t n = write(MASTER_FLOW_WRITE, buf, want);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (int)n;
    }
    return done > 0 ? done : -1;
}

/* mail_flow_count - see server.h */
int mail_flow_count(void)
{
    int n;

    if (!srv_by_master)
        return -1;
    if (ioctl(MASTER_FLOW_READ, FIONREAD, &n) < 0)
        return -1;
    return n;
}

/* set_eugid - see server.h (Postfix set_eugid(3)) */
int set_eugid(uid_t uid, gid_t gid)
{
    if (geteuid() != 0 && seteuid(0) < 0)
        return -1;
    if (setegid(gid) < 0)
        return -1;
    if (setgroups(1, &gid) < 0)
        return -1;
    if (uid != 0 && seteuid(uid) < 0)
        return -1;
    if (msg_verbose)
        msg_info("set_eugid: euid %ld egid %ld", (long)geteuid(), (long)getegid());
    return 0;
}
