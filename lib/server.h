/*
 * server - the skeleton every daemon runs in, and its contract with master.
 *
 * The master starts a daemon as "command [-l] [-z] [-n service] -t type [-d]
 * [-v] [-u] [-c] [-s N] [-o name=value]... [args]" with environment
 * MAIL_CONFIG (the config directory) and GENERATION (octal), and these file
 * descriptors (reference 5.3):
 *   3, 4  the flow-control pipe (read end, write end; see mail_flow_*),
 *   5     the status pipe: the child writes struct master_status {int pid;
 *         unsigned gen; int avail;} — avail 0 when it takes a client, 1
 *         when idle again. EOF or readability on 5 means the master is gone
 *         or reloaded: finish the current client, then exit.
 *   6...  the listening sockets (6 + N - 1 for -s N; default 1).
 *
 * Every *_server_main() does, in order (reference 5.3): parse the options;
 * cfg_init() and apply -o overrides; cfg_set_service(); msg_logging_
 * configure(); chdir(queue_directory); opts->pre_init() as root (open
 * tables, keys); chroot(queue_directory) with -c; drop to mail_owner with -u
 * (setgid, initgroups, setuid — verified); opts->post_init(); then serve.
 * A daemon started with -u never runs its service as root; one started
 * without -u (virtual, local, pipe) keeps root and changes effective ids per
 * delivery.
 *
 * single_server_main(): one client at a time; service(client, service_name,
 * argv) gets the accepted connection as a STREAM (the skeleton closes it
 * afterwards). Exits after max_use clients or max_idle seconds without one
 * (ignored with -l... no: max_idle applies to all but solitary wakeup
 * daemons), or when dict_changed_name() reports a changed table
 * ("table X has changed -- restarting"), or when the master goes away.
 * multi_server_main(): many clients in one event loop; service(fd,
 * service_name, argv) owns the connected, non-blocking fd and must call
 * multi_server_disconnect(fd) after closing it.
 * trigger_server_main(): a trigger (a few bytes written and the connection
 * closed, or a FIFO write) calls service(buf, len, service_name, argv) once
 * per read. The master's wakeup timer arrives the same way ("W").
 * dgram_server_main(): each datagram calls service(buf, len, ...).
 * All but single_server run the events loop; opts->loop, if set, is called
 * before each wait and returns the longest wait in milliseconds (-1:
 * unlimited), so qmgr can do its work between events.
 *
 * mail_flow_get(n): take n tokens from the flow pipe, waiting at most
 * in_flow_delay seconds (cleanup does this per message); returns the count
 * taken or -1. mail_flow_put(n): add n tokens (qmgr). mail_flow_count():
 * tokens in the pipe, or -1.
 */
#ifndef POSTERN_SERVER_H
#define POSTERN_SERVER_H
#include <stddef.h>

#include "stream.h"

#define MASTER_FLOW_READ 3
#define MASTER_FLOW_WRITE 4
#define MASTER_STATUS_FD 5
#define MASTER_LISTEN_FD 6

struct master_status {
    int pid;
    unsigned gen;
    int avail;
};

typedef struct SERVER_OPTS {
    void (*pre_init)(const char *service, char **argv);   /* root, before chroot */
    void (*post_init)(const char *service, char **argv);  /* after privileges dropped */
    void (*pre_accept)(const char *service, char **argv); /* before each wait */
    long (*loop)(void);     /* event servers: work; returns max wait ms or -1 */
    void (*pre_exit)(void); /* before a voluntary exit */
} SERVER_OPTS;

typedef void (*SINGLE_SERVICE_FN)(STREAM *client, const char *service, char **argv);
typedef void (*MULTI_SERVICE_FN)(int fd, const char *service, char **argv);
typedef void (*TRIGGER_SERVICE_FN)(const char *buf, size_t len, const char *service, char **argv);

extern void single_server_main(int argc, char **argv, SINGLE_SERVICE_FN fn, const SERVER_OPTS *opts)
    __attribute__((noreturn));
extern void multi_server_main(int argc, char **argv, MULTI_SERVICE_FN fn, const SERVER_OPTS *opts)
    __attribute__((noreturn));
extern void multi_server_disconnect(int fd);
extern void trigger_server_main(int argc, char **argv, TRIGGER_SERVICE_FN fn,
                                const SERVER_OPTS *opts) __attribute__((noreturn));
extern void dgram_server_main(int argc, char **argv, TRIGGER_SERVICE_FN fn, const SERVER_OPTS *opts)
    __attribute__((noreturn));

extern int mail_flow_get(int count);
extern int mail_flow_put(int count);
extern int mail_flow_count(void);

/* The name of the service being run ("smtp", "127.0.0.1:2525"), and whether
 * the daemon was started by the master (0 when run by hand for tests). */
extern const char *server_service_name(void);
extern int server_by_master(void);

/* Switch effective uid/gid for a delivery (root daemons): 0 or -1. */
extern int set_eugid(uid_t uid, gid_t gid);

#endif
