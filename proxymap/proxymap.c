/*
 * NAME
 *      proxymap - lookup table server (Postfix proxymap(8))
 *
 * SYNOPSIS
 *      proxymap [generic daemon options]   (master.cf: private/proxymap,
 *      private/proxywrite)
 *
 * DESCRIPTION
 *      Serves lookups in any table type to other processes (reference 4.9):
 *      chrooted or unprivileged daemons read root-only tables through it
 *      (proxy:unix:passwd.byname), and every process shares its SQL
 *      connections. It is a multi_server: many clients in one event loop,
 *      and each table opened once is kept open (with its database
 *      connection) for all clients until the process exits.
 *
 *      Protocol (attr0): greeting {protocol=proxymap_protocol}; then any
 *      number of requests {request=open|lookup, table=TYPE:NAME, flags=N
 *      [, key=K]} answered by {status=S, flags=F} (open) or {status=S,
 *      value=V} (lookup). S: 0 OK, 1 NOKEY, 2 RETRY, 3 BAD, 4 DENY,
 *      5 CONFIG.
 *
 *      Only tables listed, after $name expansion, in proxy_read_maps are
 *      served (with or without their "proxy:" prefix; trap 19). On the
 *      proxywrite service every request is refused with DENY: writes are not
 *      implemented.
 *
 * DIAGNOSTICS
 *      "warning: request for unapproved table: \"TYPE:NAME\"" followed by
 *      "warning: to approve this table for read-only access, list
 *      proxy:TYPE:NAME in main.cf:proxy_read_maps" (Postfix's texts). A
 *      malformed request gets status BAD; the connection is closed on I/O
 *      errors. When a served file-based table changes, the server exits
 *      after the current requests so that the master restarts it.
 *
 * SEE ALSO
 *      Postfix proxymap(8), dict_proxy.c (the client).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "attr.h"
#include "config.h"
#include "dict.h"
#include "events.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define PROXY_STAT_OK 0
#define PROXY_STAT_NOKEY 1
#define PROXY_STAT_RETRY 2
#define PROXY_STAT_BAD 3
#define PROXY_STAT_DENY 4
#define PROXY_STAT_CONFIG 5

/* One open table, shared by all clients. */
typedef struct PROXY_TABLE {
    char *spec;
    int flags;
    DICT *dict;
    struct PROXY_TABLE *next;
} PROXY_TABLE;

/* One client connection. */
typedef struct PROXY_CLIENT {
    int fd;
    STREAM *st;
    ATTR_LIST *req;
} PROXY_CLIENT;

static PROXY_TABLE *tables;
static ARGV *read_maps; /* approved table names, "proxy:" stripped */
static int write_service;

/* Is spec approved in proxy_read_maps? */
static int proxy_approved(const char *spec)
{
    int i;
    const char *cp;

    for (i = 0; i < read_maps->argc; i++) {
        cp = read_maps->argv[i];
        if (strncmp(cp, "proxy:", 6) == 0)
            cp += 6;
        if (strcmp(cp, spec) == 0)
            return 1;
    }
    return 0;
}

/* Find or open the table; the cache key is spec plus the caller's flags. */
static DICT *proxy_table(const char *spec, int flags)
{
    PROXY_TABLE *t;

    for (t = tables; t; t = t->next)
        if (t->flags == flags && strcmp(t->spec, spec) == 0)
            return t->dict;
    t = (PROXY_TABLE *)mymalloc(sizeof(*t));
    t->spec = mystrdup(spec);
    t->flags = flags;
    t->dict = dict_open(spec, O_RDONLY, (flags & ~DICT_FLAG_FATAL_OPEN) | DICT_FLAG_LOCK);
    t->next = tables;
    tables = t;
    return t->dict;
}

/* Handle one request; write the reply (not flushed). */
static void proxy_request(PROXY_CLIENT *pc)
{
    const char *request = attr_get(pc->req, "request");
    const char *spec = attr_get(pc->req, "table");
    const char *key = attr_get(pc->req, "key");
    const char *value = NULL;
    long flags = 0;
    int status;
    DICT *d = NULL;

    if (request == NULL || spec == NULL || attr_get_long(pc->req, "flags", &flags) < 0 ||
        strncmp(spec, "proxy:", 6) == 0) {
        msg_warn("malformed request from client");
        status = PROXY_STAT_BAD;
    } else if (write_service) {
        msg_warn("request for unsupported write access to table: \"%s\"", spec);
        status = PROXY_STAT_DENY;
    } else if (!proxy_approved(spec)) {
        msg_warn("request for unapproved table: \"%s\"", spec);
        msg_warn("to approve this table for read-only access, list proxy:%s in "
                 "main.cf:proxy_read_maps",
                 spec);
        status = PROXY_STAT_DENY;
    } else {
        d = proxy_table(spec, (int)flags);
        if (strcmp(request, "open") == 0) {
            status = PROXY_STAT_OK;
        } else if (strcmp(request, "lookup") == 0 && key != NULL) {
            value = dict_get(d, key);
            if (value != NULL)
                status = PROXY_STAT_OK;
            else if (d->error == DICT_ERR_NONE)
                status = PROXY_STAT_NOKEY;
            else if (d->error == DICT_ERR_RETRY)
                status = PROXY_STAT_RETRY;
            else
                status = PROXY_STAT_CONFIG;
        } else {
            msg_warn("unsupported request \"%s\" for table \"%s\"", request, spec);
            status = PROXY_STAT_BAD;
        }
    }
    (void)attr_print_long(pc->st, "status", status);
    if (request != NULL && strcmp(request, "open") == 0)
        (void)attr_print_long(pc->st, "flags", d ? d->flags : 0);
    else
        (void)attr_print_str(pc->st, "value", value ? value : "");
    (void)attr_print_end(pc->st);
}

static void proxy_client_close(PROXY_CLIENT *pc)
{
    event_disable_readwrite(pc->fd);
    (void)stream_close(pc->st);
    multi_server_disconnect(pc->fd);
    attr_list_free(pc->req);
    myfree(pc);
}

/* Readable client: serve every complete request already sent. */
static void proxy_client_event(int event, void *ctx)
{
    PROXY_CLIENT *pc = (PROXY_CLIENT *)ctx;

    (void)event;
    do {
        if (attr_scan(pc->st, pc->req, ATTR_LIMIT_DEFAULT) < 0) {
            proxy_client_close(pc);
            return;
        }
        proxy_request(pc);
    } while (stream_bufcount(pc->st) > 0);
    if (stream_flush(pc->st) < 0)
        proxy_client_close(pc);
}

/* A new client: greet it and wait for requests. */
static void proxymap_service(int fd, const char *service, char **argv)
{
    PROXY_CLIENT *pc = (PROXY_CLIENT *)mymalloc(sizeof(*pc));

    (void)argv;
    write_service = strstr(service, "proxywrite") != NULL;
    (void)non_blocking(fd, 0);
    pc->fd = fd;
    pc->st = stream_fdopen(fd, "client");
    stream_set_timeout(pc->st, 100); /* ipc_timeout */
    pc->req = attr_list_alloc();
    if (attr_print_str(pc->st, "protocol", "proxymap_protocol") < 0 || attr_print_end(pc->st) < 0 ||
        stream_flush(pc->st) < 0) {
        proxy_client_close(pc);
        return;
    }
    event_enable_read(fd, proxy_client_event, pc);
}

static void proxymap_pre_init(const char *service, char **argv)
{
    (void)service;
    (void)argv;
    read_maps = cfg_split_list(cfg_str("proxy_read_maps"));
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = proxymap_pre_init,
    };

    multi_server_main(argc, argv, proxymap_service, &opts);
}
