/*
 * master.h - internal interfaces of the master(8) daemon.
 *
 * A MASTER_SERV is one master.cf service (identified by name and type) with
 * its listening endpoints, status pipe and process accounting; a
 * MASTER_PROC is one child process. See master.c for the manual.
 */
#ifndef POSTERN_MASTER_H
#define POSTERN_MASTER_H
#include <sys/types.h>
#include <time.h>

#include "argv.h"
#include "mastercf.h"

typedef struct MASTER_SERV {
    char *name;      /* master.cf service column: "smtp", "cleanup" */
    char *type;      /* inet unix unix-dgram fifo pass */
    char *endpoint;  /* "25", "private/cleanup" (diagnostics, unix path) */
    int private_;    /* private/ vs public/ */
    int unpriv;      /* -u */
    int chroot;      /* -c */
    int wakeup;      /* seconds, 0 = none */
    int wakeup_cond; /* "N?" */
    int maxproc;     /* resolved: 0 = unlimited */
    int inet;        /* type inet */
    char *path;      /* program to exec */
    ARGV *argv;      /* child argv (template; "-o stress=" filled at spawn) */
    int stress_idx;  /* index of the "stress=" word in argv, or -1 */
    int *listen_fd;  /* listening endpoints */
    int listen_count;
    int status_fd[2]; /* [0] master reads, [1] child's fd 5 */
    int total_proc;   /* children alive */
    int avail_proc;   /* children idle */
    int listening;    /* master watches the listen fds */
    int throttled;    /* bad startup: no forks until the timer fires */
    int used;         /* a child was started on demand (conditional wakeup) */
    time_t stress_until;
    time_t limit_warned;
    int mark; /* reload bookkeeping */
    struct MASTER_SERV *next;
} MASTER_SERV;

typedef struct MASTER_PROC {
    pid_t pid;
    unsigned gen;
    int avail;
    long use_count;
    MASTER_SERV *serv;
    struct MASTER_PROC *next;
} MASTER_PROC;

/* master_argv.c */
extern ARGV *master_child_argv(const char *name, const char *type, const char *command, int maxproc,
                               int unpriv, int chroot, int listen_count, int detached, int verbose,
                               const ARGV *user_args, int *stress_idx);
extern ARGV *master_inet_addrs(const char *service, const char *interfaces, const char *protocols);
extern ARGV *master_child_env(char **environ_in, const char *export_list, const char *config_dir,
                              unsigned generation);

#endif
