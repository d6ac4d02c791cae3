/*
 * NAME
 *      dict_pgsql - the pgsql: lookup table type (libpq)
 * SYNOPSIS
 *      DICT *dict_pgsql_open(const char *path, int open_flags, int dict_flags);
 * DESCRIPTION
 *      pgsql:/path/to/file.cf, configured as Postfix's pgsql_table(5):
 *      hosts (host, host:port, inet:host:port, unix:/socket/directory,
 *      postgresql://... URIs), user, password, dbname, query (or the legacy
 *      select_function, select_field, table, where_field,
 *      additional_conditions), result_format, domain, expansion_limit,
 *      encoding (client encoding, default UTF8). The template and .cf
 *      handling is in dict_sql_common.c.
 *
 *      Hosts are tried UNIX sockets first, in random order. Connections
 *      stay open across lookups; one idle for SQL_IDLE_INTERVAL seconds is
 *      closed, and a host whose connection or query failed is not tried
 *      again for SQL_RETRY_INTERVAL seconds; a kept connection that the
 *      server dropped (restart) is reopened at once, one time per lookup,
 *      before the host counts as failed. Every part of the key put into
 *      the query goes through PQescapeStringConn() of the connection that
 *      runs it. A NULL column reads as an empty string (ignored with a
 *      warning), as in Postfix.
 *
 *      A lookup fails with DICT_ERR_RETRY (the caller defers, never
 *      bounces) when no host can be reached, a query fails, or more than
 *      expansion_limit results come back. Keys are lower-cased by
 *      dict_get() (DICT_FLAG_FOLD_FIX).
 * DIAGNOSTICS
 *      Postfix 3.7's texts:
 *      warning: pgsql:PATH: non-UTF-8 key "KEY": malformed UTF-8 or invalid codepoint
 *      warning: connect to pgsql server HOST: ERROR
 *      warning: pgsql query failed: fatal error from host HOST: ERROR
 *      warning: dict_pgsql_lookup: PATH: Expansion limit exceeded for key: 'KEY'
 *      An unreadable .cf file gives a surrogate table ("open PATH: ERROR").
 * SEE ALSO
 *      pgsql_table(5), Postfix global/dict_pgsql.c; reference section 7.3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <postgresql/libpq-fe.h>

#include "dict.h"
#include "dict_sql_common.h"
#include "msg.h"
#include "mymalloc.h"

extern DICT *dict_pgsql_open(const char *name, int open_flags, int dict_flags);

typedef struct DICT_PGSQL {
    DICT dict;
    SQL_CF *cf;
    SQL_CTX ctx;
    char *query;
    char *result_format;
    int expansion_limit;
    SQL_HOST *hosts;
    int nhosts;
    VSTR *qbuf;
    VSTR *result;
} DICT_PGSQL;

/* pgsql_quote - escape text for a query on the connection qctx. */
static void pgsql_quote(void *qctx, const char *text, VSTR *result)
{
    PGconn *db = qctx;
    size_t len = strlen(text);
    size_t old = VSTR_LEN(result);
    size_t n;
    int err = 0;

    if (len > ((size_t)-1 - 1) / 2 - old - 1)
        msg_fatal("pgsql_quote: string too long");
    /* Make room for the worst case, then trim to what was written. */
    vstr_addmem(result, text, len);
    vstr_addmem(result, text, len);
    vstr_addch(result, 0);
    n = PQescapeStringConn(db, VSTR_STR(result) + old, text, len, &err);
    if (err) {
        /* Invalid multibyte input: make sure nothing matches. */
        msg_warn("dict_pgsql: cannot escape lookup key: %s", sql_printable(PQerrorMessage(db)));
        n = 0;
    }
    vstr_truncate(result, old + n);
}

/* pgsql_close_host - close a host's connection if any. */
static void pgsql_close_host(SQL_HOST *h)
{
    if (h->conn)
        PQfinish((PGconn *)h->conn);
    h->conn = NULL;
}

/* pgsql_connect_host - open a connection; 0 or -1 (host marked down). */
static int pgsql_connect_host(DICT_PGSQL *dp, SQL_HOST *h, time_t now)
{
    const SQL_CF *cf = dp->cf;
    const char *user = sql_cf_str(cf, "user", "");
    const char *password = sql_cf_str(cf, "password", "");
    const char *dbname = sql_cf_str(cf, "dbname", "");
    const char *encoding = sql_cf_str(cf, "encoding", "UTF8");
    PGconn *db;

    if (h->type == SQL_HOST_URI)
        db = PQconnectdb(h->name);
    else
        db = PQsetdbLogin(h->name, h->port, NULL, NULL, *dbname ? dbname : NULL,
                          *user ? user : NULL, *password ? password : NULL);
    if (db == NULL)
        msg_fatal("dict_pgsql: out of memory");
    if (PQstatus(db) != CONNECTION_OK) {
        msg_warn("connect to pgsql server %s: %s", h->label, sql_printable(PQerrorMessage(db)));
        PQfinish(db);
        sql_host_down(h, now);
        return -1;
    }
    if (*encoding && PQsetClientEncoding(db, encoding) != 0) {
        msg_warn("dict_pgsql: cannot set the encoding to %s, skipping %s", encoding, h->label);
        PQfinish(db);
        sql_host_down(h, now);
        return -1;
    }
    h->conn = db;
    h->stat = SQL_STAT_ACTIVE;
    h->used = now;
    return 0;
}

/* pgsql_host_failed - drop a host after a failed query. */
static void pgsql_host_failed(SQL_HOST *h, time_t now)
{
    pgsql_close_host(h);
    sql_host_down(h, now);
}

/* pgsql_run - run the query for key on some host; the result or NULL. */
static PGresult *pgsql_run(DICT_PGSQL *dp, const char *key, int *suppressed)
{
    time_t now = time(NULL);
    SQL_HOST *h;
    PGresult *res;
    int i;

    *suppressed = 0;
    for (i = 0; i < dp->nhosts; i++) {
        SQL_HOST *ih = dp->hosts + i;

        if (ih->stat == SQL_STAT_ACTIVE && now - ih->used > SQL_IDLE_INTERVAL) {
            pgsql_close_host(ih);
            ih->stat = SQL_STAT_UNTRIED;
        }
    }
    while ((h = sql_host_pick(dp->hosts, dp->nhosts, now)) != NULL) {
        int fresh = (h->stat != SQL_STAT_ACTIVE);

        if (fresh && pgsql_connect_host(dp, h, now) < 0)
            continue;
        vstr_reset(dp->qbuf);
        if (!sql_expand(&dp->ctx, dp->query, key, NULL, dp->qbuf, pgsql_quote, h->conn)) {
            *suppressed = 1;
            return NULL;
        }
        h->used = now;
        if ((res = PQexec((PGconn *)h->conn, VSTR_STR(dp->qbuf))) != NULL) {
            switch (PQresultStatus(res)) {
            case PGRES_TUPLES_OK:
            case PGRES_COMMAND_OK:
                return res;
            case PGRES_FATAL_ERROR:
                msg_warn("pgsql query failed: fatal error from host %s: %s", h->label,
                         sql_printable(PQresultErrorMessage(res)));
                break;
            case PGRES_BAD_RESPONSE:
                msg_warn("pgsql query failed: protocol error, host %s", h->label);
                break;
            default:
                msg_warn("pgsql query failed: unknown code 0x%lx from host %s",
                         (unsigned long)PQresultStatus(res), h->label);
                break;
            }
            PQclear(res);
        } else {
            msg_warn("pgsql query failed: fatal error from host %s: %s", h->label,
                     sql_printable(PQerrorMessage((PGconn *)h->conn)));
        }
        if (!fresh && PQstatus((PGconn *)h->conn) == CONNECTION_BAD) {
            /* A kept connection went stale (server restart): reconnect once. */
            pgsql_close_host(h);
            h->stat = SQL_STAT_UNTRIED;
            continue;
        }
        pgsql_host_failed(h, now);
    }
    return NULL;
}

/* dict_pgsql_lookup - look up key; see the manual above. */
static const char *dict_pgsql_lookup(DICT *d, const char *key)
{
    DICT_PGSQL *dp = (DICT_PGSQL *)d;
    PGresult *res;
    int nrows;
    int nfields;
    int i;
    int j;
    int expansion = 0;
    int suppressed;
    int check;

    d->error = DICT_ERR_NONE;
    vstr_reset(dp->result);
    if (!sql_valid_utf8(key)) {
        msg_warn("%s:%s: non-UTF-8 key \"%s\": malformed UTF-8 or invalid codepoint", d->type,
                 d->name, sql_printable(key));
        return NULL;
    }
    if ((check = sql_check_domain(&dp->ctx, key)) <= 0) {
        if (check < 0)
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    /* Suppressed queries need no server: test the expansion first. */
    vstr_reset(dp->qbuf);
    if (!sql_expand(&dp->ctx, dp->query, key, NULL, dp->qbuf, NULL, NULL))
        return NULL;
    if ((res = pgsql_run(dp, key, &suppressed)) == NULL) {
        if (!suppressed)
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    nrows = PQntuples(res);
    nfields = PQnfields(res);
    for (i = 0; i < nrows && d->error == DICT_ERR_NONE; i++) {
        for (j = 0; j < nfields; j++) {
            if (sql_expand(&dp->ctx, dp->result_format, PQgetvalue(res, i, j), key, dp->result,
                           NULL, NULL) &&
                dp->expansion_limit > 0 && ++expansion > dp->expansion_limit) {
                msg_warn("dict_pgsql_lookup: %s: Expansion limit exceeded for key: '%s'",
                         dp->dict.name, key);
                d->error = DICT_ERR_RETRY;
                break;
            }
        }
    }
    PQclear(res);
    if (d->error != DICT_ERR_NONE || VSTR_LEN(dp->result) == 0)
        return NULL;
    return VSTR_STR(dp->result);
}

/* dict_pgsql_close - close connections and release the table. */
static void dict_pgsql_close(DICT *d)
{
    DICT_PGSQL *dp = (DICT_PGSQL *)d;
    int i;

    for (i = 0; i < dp->nhosts; i++)
        pgsql_close_host(dp->hosts + i);
    sql_hosts_free(dp->hosts, dp->nhosts);
    sql_ctx_free(&dp->ctx);
    sql_cf_free(dp->cf);
    myfree(dp->query);
    myfree(dp->result_format);
    vstr_free(dp->qbuf);
    vstr_free(dp->result);
}

/*
 * dict_pgsql_open - open pgsql:name, name being the .cf file. No server is
 * contacted until the first lookup. Returns the table, or a surrogate whose
 * lookups fail when the file cannot be read or a template is invalid.
 */
DICT *dict_pgsql_open(const char *name, int open_flags, int dict_flags)
{
    DICT_PGSQL *dp;
    SQL_CF *cf;
    const char *q;
    const char *fn;

    (void)open_flags;
    if ((cf = sql_cf_load(name)) == NULL) {
        if (dict_flags & DICT_FLAG_FATAL_OPEN)
            msg_fatal("open %s: %m", name);
        return dict_surrogate("pgsql", name, DICT_ERR_CONFIG, "open %s: %m", name);
    }
    dp = (DICT_PGSQL *)dict_alloc("pgsql", name, sizeof(*dp));
    dp->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dp->dict.lookup = dict_pgsql_lookup;
    dp->dict.close = dict_pgsql_close;
    dp->cf = cf;
    sql_ctx_init(&dp->ctx, &dp->dict, cf);
    q = sql_cf_str(cf, "query", NULL);
    fn = sql_cf_str(cf, "select_function", NULL);
    if (q)
        dp->query = mystrdup(q);
    else if (fn && *fn) {
        VSTR *v = vstr_alloc(64);

        vstr_sprintf(v, "SELECT %s('%%s')", fn);
        dp->query = vstr_export(v);
    } else
        dp->query = sql_legacy_query(cf);
    dp->result_format = mystrdup(sql_cf_str(cf, "result_format", "%s"));
    dp->expansion_limit = sql_cf_int(cf, "expansion_limit", 0);
    dp->hosts = sql_hosts_parse(sql_cf_str(cf, "hosts", ""), &dp->nhosts);
    dp->qbuf = vstr_alloc(256);
    dp->result = vstr_alloc(256);
    if (sql_fmt_parse(&dp->ctx, dp->query, 1) < 0 ||
        sql_fmt_parse(&dp->ctx, dp->result_format, 0) < 0) {
        dict_close(&dp->dict);
        return dict_surrogate("pgsql", name, DICT_ERR_CONFIG, "%s: invalid template", name);
    }
    return &dp->dict;
}
