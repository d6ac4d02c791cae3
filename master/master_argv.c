/*
 * NAME
 *     master_argv - command lines, listen addresses and environments for
 *     the children of master(8)
 *
 * DESCRIPTION
 *     Pure functions (no I/O), so that tests/unit/test_server.c can check
 *     them: master_child_argv() builds a child's argv as Postfix's
 *     master_ent.c does (reference 5.3), master_inet_addrs() expands an inet
 *     service against inet_interfaces, and master_child_env() builds the
 *     child environment from export_environment (reference 5.1, last
 *     paragraph).
 *
 * DIAGNOSTICS
 *     None; the callers report problems.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "master.h"
#include "mymalloc.h"
#include "vstr.h"

/*
 * master_child_argv - the child's argv, in Postfix's order:
 * "command [-l] [-z] [-n service] -t type [-d] [-v] [-u] [-c] [-o stress=]
 * [-s N] user-args". maxproc is resolved (0 = unlimited); -l when it is 1,
 * -z when it is 0. -n when the service name differs from the basename of
 * the command. -d when the master is not detached. "-o stress=" for inet
 * services with maxproc > 1; its index goes to *stress_idx (else -1) so
 * the master can fill in "stress=yes". Returns a new ARGV (argv_free).
 */
ARGV *master_child_argv(const char *name, const char *type, const char *command, int maxproc,
                        int unpriv, int chroot, int listen_count, int detached, int verbose,
                        const ARGV *user_args, int *stress_idx)
{
    ARGV *av = argv_alloc(16);
    const char *base = strrchr(command, '/');
    int i;

    base = base ? base + 1 : command;
    argv_add(av, command, (char *)0);
    if (maxproc == 1)
        argv_add(av, "-l", (char *)0);
    if (maxproc == 0)
        argv_add(av, "-z", (char *)0);
    if (strcmp(base, name) != 0)
        argv_add(av, "-n", name, (char *)0);
    argv_add(av, "-t", type, (char *)0);
    if (!detached)
        argv_add(av, "-d", (char *)0);
    for (i = 0; i < verbose; i++)
        argv_add(av, "-v", (char *)0);
    if (unpriv)
        argv_add(av, "-u", (char *)0);
    if (chroot)
        argv_add(av, "-c", (char *)0);
    if (stress_idx)
        *stress_idx = -1;
    if (strcmp(type, "inet") == 0 && maxproc > 1) {
        argv_add(av, "-o", (char *)0);
        if (stress_idx)
            *stress_idx = av->argc;
        argv_add(av, "stress=", (char *)0);
    }
    if (listen_count > 1) {
        char num[32];

        snprintf(num, sizeof(num), "%d", listen_count);
        argv_add(av, "-s", num, (char *)0);
    }
    for (i = 0; user_args && i < user_args->argc; i++)
        argv_add(av, user_args->argv[i], (char *)0);
    return av;
}

/* add_addr - append "host:port", bracketing IPv6 literals */
static void add_addr(ARGV *out, const char *host, size_t hlen, const char *port)
{
    VSTR *v = vstr_alloc(64);

    if (hlen > 0 && host[0] != '[' && memchr(host, ':', hlen) != 0) {
        vstr_addch(v, '[');
        vstr_addmem(v, host, hlen);
        vstr_addch(v, ']');
    } else {
        vstr_addmem(v, host, hlen);
    }
    vstr_addch(v, ':');
    vstr_addstr(v, port);
    argv_add(out, VSTR_STR(v), (char *)0);
    vstr_free(v);
}

/*
 * master_inet_addrs - the inet_listen() addresses for an inet service
 * "[host:]port". With a host, that one address. Without, one address per
 * inet_interfaces entry: "all" gives ":port" (every address);
 * "loopback-only" and "localhost" give 127.0.0.1 and, when protocols
 * (inet_protocols) allows IPv6 ("all", "ipv6"), [::1]; other entries are
 * taken as addresses (IPv6 literals are bracketed). Returns a new ARGV.
 */
ARGV *master_inet_addrs(const char *service, const char *interfaces, const char *protocols)
{
    ARGV *out = argv_alloc(4);
    const char *port;
    ARGV *list;
    int want6 = protocols == 0 || strstr(protocols, "all") != 0 || strstr(protocols, "ipv6") != 0;
    int want4 = protocols == 0 || strstr(protocols, "all") != 0 || strstr(protocols, "ipv4") != 0;
    int i;

    /* "[v6]:port", "host:port", or a bare port. */
    if (service[0] == '[') {
        const char *close = strchr(service, ']');

        if (close && close[1] == ':') {
            argv_add(out, service, (char *)0);
            return out;
        }
    }
    if ((port = strrchr(service, ':')) != 0) {
        if (port == service) {
            argv_add(out, service, (char *)0); /* ":port" */
        } else {
            add_addr(out, service, (size_t)(port - service), port + 1);
        }
        return out;
    }
    port = service;
    list = argv_split(interfaces ? interfaces : "all", ", \t\r\n");
    for (i = 0; i < list->argc; i++) {
        const char *ent = list->argv[i];

        if (strcasecmp(ent, "all") == 0) {
            argv_free(out);
            out = argv_alloc(1);
            add_addr(out, "", 0, port);
            break;
        } else if (strcasecmp(ent, "loopback-only") == 0 || strcasecmp(ent, "localhost") == 0) {
            if (want4)
                add_addr(out, "127.0.0.1", 9, port);
            if (want6)
                add_addr(out, "::1", 3, port);
        } else {
            add_addr(out, ent, strlen(ent), port);
        }
    }
    argv_free(list);
    if (out->argc == 0)
        add_addr(out, "", 0, port);
    return out;
}

/*
 * master_child_env - "NAME=value" strings for execve(): every
 * export_environment entry (a bare NAME is copied from environ_in when
 * set; "NAME=value" is used as written), then MAIL_CONFIG=config_dir and
 * GENERATION=<octal>, which replace any earlier value. Returns a new ARGV.
 */
ARGV *master_child_env(char **environ_in, const char *export_list, const char *config_dir,
                       unsigned generation)
{
    ARGV *out = argv_alloc(8);
    ARGV *names = argv_split(export_list ? export_list : "", ", \t\r\n");
    VSTR *v = vstr_alloc(64);
    int i;

    for (i = 0; i < names->argc; i++) {
        const char *name = names->argv[i];
        size_t nlen;
        char **ep;

        if (strchr(name, '=') != 0) {
            if (strncmp(name, "MAIL_CONFIG=", 12) != 0 && strncmp(name, "GENERATION=", 11) != 0)
                argv_add(out, name, (char *)0);
            continue;
        }
        if (strcmp(name, "MAIL_CONFIG") == 0 || strcmp(name, "GENERATION") == 0)
            continue;
        nlen = strlen(name);
        for (ep = environ_in; ep && *ep; ep++) {
            if (strncmp(*ep, name, nlen) == 0 && (*ep)[nlen] == '=') {
                argv_add(out, *ep, (char *)0);
                break;
            }
        }
    }
    vstr_sprintf(v, "MAIL_CONFIG=%s", config_dir);
    argv_add(out, VSTR_STR(v), (char *)0);
    vstr_sprintf(v, "GENERATION=%o", generation);
    argv_add(out, VSTR_STR(v), (char *)0);
    vstr_free(v);
    argv_free(names);
    return out;
}
