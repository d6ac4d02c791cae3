/*
 * NAME
 *      dict_proxy - the proxy: lookup table type (client of proxymap(8))
 *
 * SYNOPSIS
 *      proxy:TYPE:NAME
 *
 * DESCRIPTION
 *      Postfix's dict_proxy client (reference 4.9, trap 19). Lookups in
 *      proxy:TYPE:NAME are sent to the proxymap(8) server on
 *      private/proxymap (relative to queue_directory, where daemons run; a
 *      process elsewhere, such as postmap -q, falls back to the absolute
 *      $queue_directory/private/proxymap). One connection per process is
 *      shared by all proxy: tables, kept open, and re-established once per
 *      request after an error.
 *
 *      Protocol (attr0 lists): server greeting {protocol=proxymap_protocol};
 *      open: {request=open, table=TYPE:NAME, flags=N} -> {status, flags};
 *      lookup: {request=lookup, table, flags, key} -> {status, value}.
 *      Status 0 OK, 1 NOKEY, 2 RETRY, 3 BAD, 4 DENY, 5 CONFIG.
 *
 *      At open the server replies with the table's own flags; the proxy
 *      table takes DICT_FLAG_PATTERN/DICT_FLAG_FIXED from it, so maps and
 *      mail_addr_find treat proxy:pcre:... as a pattern table. If the
 *      server cannot be reached at open time the table is assumed fixed-key
 *      and the open is repeated at the first lookup.
 *
 * DIAGNOSTICS
 *      A lookup answered DENY, RETRY, BAD or CONFIG, or a connection
 *      failure, returns NULL with d->error = DICT_ERR_RETRY, so mail is
 *      deferred, never bounced; a warning names the table ("proxy:TYPE:NAME
 *      lookup error for \"key\"" or the connection error).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "config.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "stream.h"
#include "vstr.h"

extern DICT *dict_proxy_open(const char *name, int open_flags, int dict_flags);

#define PROXY_STAT_OK 0
#define PROXY_STAT_NOKEY 1
#define PROXY_STAT_RETRY 2
#define PROXY_STAT_BAD 3
#define PROXY_STAT_DENY 4
#define PROXY_STAT_CONFIG 5

#define PROXY_TIMEOUT 100 /* ipc_timeout, seconds */

typedef struct DICT_PROXY {
    DICT dict;
    int opened;     /* the server accepted the open */
    int user_flags; /* the caller's dict_flags */
    VSTR *result;
} DICT_PROXY;

static STREAM *proxy_stream;   /* shared by all proxy: tables */
static ATTR_LIST *proxy_reply; /* reply buffer */

/* Connect and check the greeting; 0 or -1 (warning logged). */
static int proxy_connect(void)
{
    int fd;
    VSTR *path;

    if (proxy_stream != NULL)
        return 0;
    if (proxy_reply == NULL)
        proxy_reply = attr_list_alloc();
    fd = unix_connect("private/proxymap", 0, PROXY_TIMEOUT);
    if (fd < 0 && (errno == ENOENT || errno == ECONNREFUSED)) {
        path = vstr_alloc(100);
        vstr_sprintf(path, "%s/private/proxymap", cfg_str("queue_directory"));
        fd = unix_connect(VSTR_STR(path), 0, PROXY_TIMEOUT);
        vstr_free(path);
    }
    if (fd < 0) {
        msg_warn("connect to private/proxymap service: %m");
        return -1;
    }
    (void)close_on_exec(fd, 1);
    proxy_stream = stream_fdopen(fd, "private/proxymap");
    stream_set_timeout(proxy_stream, PROXY_TIMEOUT);
    if (attr_scan(proxy_stream, proxy_reply, ATTR_LIMIT_DEFAULT) < 0 ||
        attr_expect(proxy_reply, "protocol", "proxymap_protocol") < 0) {
        msg_warn("private/proxymap: bad or missing protocol greeting");
        (void)stream_close(proxy_stream);
        proxy_stream = NULL;
        return -1;
    }
    return 0;
}

static void proxy_disconnect(void)
{
    if (proxy_stream != NULL) {
        (void)stream_close(proxy_stream);
        proxy_stream = NULL;
    }
}

/*
 * One request/reply round trip with one reconnect after an I/O error.
 * Returns the status, or -1 when the server cannot be reached.
 */
static int proxy_call(const char *request, const char *table, int flags, const char *key)
{
    int attempt;
    long status;

    for (attempt = 0; attempt < 2; attempt++) {
        if (proxy_connect() < 0)
            return -1;
        if (attr_print_str(proxy_stream, "request", request) == 0 &&
            attr_print_str(proxy_stream, "table", table) == 0 &&
            attr_print_long(proxy_stream, "flags", flags) == 0 &&
            (key == NULL || attr_print_str(proxy_stream, "key", key) == 0) &&
            attr_print_end(proxy_stream) == 0 && stream_flush(proxy_stream) == 0 &&
            attr_scan(proxy_stream, proxy_reply, ATTR_LIMIT_DEFAULT) == 0 &&
            attr_get_long(proxy_reply, "status", &status) == 0)
            return (int)status;
        if (attempt > 0)
            msg_warn("private/proxymap: %s %s: %s", request, table,
                     stream_timedout(proxy_stream) ? "timeout" : "lost connection");
        proxy_disconnect();
    }
    return -1;
}

/* Ask the server to open the table; learn its flags. 0 or -1. */
static int proxy_open_remote(DICT_PROXY *dp)
{
    int status;
    long server_flags;

    status = proxy_call("open", dp->dict.name, dp->user_flags, NULL);
    if (status != PROXY_STAT_OK) {
        if (status == PROXY_STAT_DENY)
            msg_warn("proxy:%s: table not approved by proxymap (proxy_read_maps)", dp->dict.name);
        else if (status >= 0)
            msg_warn("proxy:%s: open failed (proxymap status %d)", dp->dict.name, status);
        return -1;
    }
    if (attr_get_long(proxy_reply, "flags", &server_flags) == 0) {
        dp->dict.flags &= ~(DICT_FLAG_PATTERN | DICT_FLAG_FIXED);
        dp->dict.flags |= (int)server_flags & (DICT_FLAG_PATTERN | DICT_FLAG_FIXED);
    }
    dp->opened = 1;
    return 0;
}

static const char *dict_proxy_lookup(DICT *d, const char *key)
{
    DICT_PROXY *dp = (DICT_PROXY *)d;
    const char *value;
    int status;

    if (!dp->opened && proxy_open_remote(dp) < 0) {
        d->error = DICT_ERR_RETRY;
        return NULL;
    }
    status = proxy_call("lookup", d->name, dp->user_flags, key);
    switch (status) {
    case PROXY_STAT_OK:
        value = attr_get(proxy_reply, "value");
        vstr_strcpy(dp->result, value ? value : "");
        return VSTR_STR(dp->result);
    case PROXY_STAT_NOKEY:
        return NULL;
    case -1:
        d->error = DICT_ERR_RETRY;
        return NULL;
    case PROXY_STAT_DENY:
        msg_warn("proxy:%s lookup error for \"%s\": table not approved for proxy access", d->name,
                 key);
        d->error = DICT_ERR_RETRY;
        return NULL;
    default:
        msg_warn("proxy:%s lookup error for \"%s\"", d->name, key);
        d->error = DICT_ERR_RETRY;
        return NULL;
    }
}

static void dict_proxy_close(DICT *d)
{
    vstr_free(((DICT_PROXY *)d)->result);
}

/*
 * dict_proxy_open - open proxy:TYPE:NAME (name is "TYPE:NAME"). Only
 * read access is supported; open_flags other than O_RDONLY get a surrogate
 * (DICT_ERR_CONFIG). Returns the table; never fails.
 */
DICT *dict_proxy_open(const char *name, int open_flags, int dict_flags)
{
    DICT_PROXY *dp;

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate("proxy", name, DICT_ERR_CONFIG,
                              "proxy:%s: write access via proxywrite is not supported", name);
    if (strchr(name, ':') == NULL)
        return dict_surrogate("proxy", name, DICT_ERR_CONFIG, "proxy:%s: need proxy:type:name",
                              name);
    dp = (DICT_PROXY *)dict_alloc("proxy", name, sizeof(*dp));
    dp->user_flags = dict_flags & ~DICT_FLAG_FATAL_OPEN;
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dp->dict.lookup = dict_proxy_lookup;
    dp->dict.close = dict_proxy_close;
    dp->result = vstr_alloc(100);
    (void)proxy_open_remote(dp);
    return &dp->dict;
}
