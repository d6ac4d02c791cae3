/*
 * NAME
 *      dict_mysql - the mysql: lookup table type (MariaDB Connector/C)
 * SYNOPSIS
 *      DICT *dict_mysql_open(const char *path, int open_flags, int dict_flags);
 * DESCRIPTION
 *      mysql:/path/to/file.cf, configured as Postfix's mysql_table(5):
 *      hosts, user, password, dbname, query (or the legacy select_field,
 *      table, where_field, additional_conditions), result_format, domain,
 *      expansion_limit, option_file, option_group (default "client"),
 *      require_result_set (default yes), tls_cert_file, tls_key_file,
 *      tls_CAfile, tls_CApath, tls_ciphers, tls_verify_cert. The template
 *      and .cf handling is in dict_sql_common.c.
 *
 *      Hosts are tried UNIX sockets first, in random order. Connections
 *      stay open across lookups; one idle for SQL_IDLE_INTERVAL seconds is
 *      closed, and a host whose connection or query failed is not tried
 *      again for SQL_RETRY_INTERVAL seconds; a kept connection that the
 *      server dropped (restart, wait_timeout) is reopened at once, one
 *      time per lookup, before the host counts as failed. Every part of the key put into
 *      the query goes through mysql_real_escape_string() of the connection
 *      that runs it.
 *
 *      A lookup fails with DICT_ERR_RETRY (the caller defers, never
 *      bounces) when no host can be reached, a query fails, or more than
 *      expansion_limit results come back. Keys are lower-cased by
 *      dict_get() (DICT_FLAG_FOLD_FIX).
 * DIAGNOSTICS
 *      Postfix 3.7's texts:
 *      warning: mysql:PATH: non-UTF-8 key "KEY": malformed UTF-8 or invalid codepoint
 *      warning: connect to mysql server HOST: ERROR
 *      warning: mysql:PATH: query failed: ERROR
 *      warning: dict_mysql_lookup: PATH: Expansion limit exceeded for key: 'KEY'
 *      An unreadable .cf file gives a surrogate table ("open PATH: ERROR").
 * SEE ALSO
 *      mysql_table(5), Postfix global/dict_mysql.c; reference section 7.3.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mariadb/errmsg.h>
#include <mariadb/mysql.h>

#include "dict.h"
#include "dict_sql_common.h"
#include "msg.h"
#include "mymalloc.h"

extern DICT *dict_mysql_open(const char *name, int open_flags, int dict_flags);

typedef struct DICT_MYSQL {
    DICT dict;
    SQL_CF *cf;
    SQL_CTX ctx;
    char *query;
    char *result_format;
    int expansion_limit;
    int require_result_set;
    SQL_HOST *hosts;
    int nhosts;
    VSTR *qbuf;
    VSTR *result;
} DICT_MYSQL;

/* mysql_quote - escape text for a query on the connection qctx. */
static void mysql_quote(void *qctx, const char *text, VSTR *result)
{
    MYSQL *db = qctx;
    size_t len = strlen(text);
    size_t old = VSTR_LEN(result);
    size_t n;

    if (len > ((size_t)-1 - 1) / 2 - old - 1)
        msg_fatal("mysql_quote: string too long");
    /* Make room for the worst case, then trim to what was written. */
    vstr_addmem(result, text, len);
    vstr_addmem(result, text, len);
    vstr_addch(result, 0);
    n = mysql_real_escape_string(db, VSTR_STR(result) + old, text, (unsigned long)len);
    if (n == (size_t)-1)
        msg_fatal("mysql_quote: cannot escape");
    vstr_truncate(result, old + n);
}

/* mysql_close_host - close a host's connection if any. */
static void mysql_close_host(SQL_HOST *h)
{
    if (h->conn)
        mysql_close((MYSQL *)h->conn);
    h->conn = NULL;
}

/* mysql_connect_host - open a connection; 0 or -1 (host marked down). */
static int mysql_connect_host(DICT_MYSQL *dm, SQL_HOST *h, time_t now)
{
    MYSQL *db = mysql_init(NULL);
    const SQL_CF *cf = dm->cf;
    const char *v;
    unsigned int timeout = 30;
    unsigned port = 0;

    if (db == NULL)
        msg_fatal("dict_mysql: mysql_init failed: out of memory");
    mysql_options(db, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    mysql_options(db, MYSQL_OPT_READ_TIMEOUT, &timeout);
    mysql_options(db, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
    if ((v = sql_cf_str(cf, "option_file", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_READ_DEFAULT_FILE, v);
    v = sql_cf_str(cf, "option_group", "client");
    if (*v)
        mysql_options(db, MYSQL_READ_DEFAULT_GROUP, v);
    if ((v = sql_cf_str(cf, "tls_key_file", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_OPT_SSL_KEY, v);
    if ((v = sql_cf_str(cf, "tls_cert_file", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_OPT_SSL_CERT, v);
    if ((v = sql_cf_str(cf, "tls_CAfile", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_OPT_SSL_CA, v);
    if ((v = sql_cf_str(cf, "tls_CApath", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_OPT_SSL_CAPATH, v);
    if ((v = sql_cf_str(cf, "tls_ciphers", NULL)) != NULL && *v)
        mysql_options(db, MYSQL_OPT_SSL_CIPHER, v);
    if (sql_cf_str(cf, "tls_verify_cert", NULL) != NULL) {
        my_bool verify = (my_bool)sql_cf_bool(cf, "tls_verify_cert", 0);

        mysql_options(db, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
    }
    if (h->type == SQL_HOST_INET && h->port)
        port = (unsigned)strtoul(h->port, NULL, 10);
    if (mysql_real_connect(
            db, h->type == SQL_HOST_INET ? h->name : NULL, sql_cf_str(cf, "user", ""),
            sql_cf_str(cf, "password", ""), sql_cf_str(cf, "dbname", ""), port,
            h->type == SQL_HOST_UNIX ? h->name : NULL, CLIENT_MULTI_RESULTS) == NULL) {
        msg_warn("connect to mysql server %s: %s", h->label, sql_printable(mysql_error(db)));
        mysql_close(db);
        sql_host_down(h, now);
        return -1;
    }
    h->conn = db;
    h->stat = SQL_STAT_ACTIVE;
    h->used = now;
    return 0;
}

/* mysql_host_failed - drop a host after a failed query. */
static void mysql_host_failed(SQL_HOST *h, time_t now)
{
    mysql_close_host(h);
    sql_host_down(h, now);
}

/* mysql_run - run the query for key on some host; the result or NULL. */
static MYSQL_RES *mysql_run(DICT_MYSQL *dm, const char *key, int *suppressed)
{
    time_t now = time(NULL);
    SQL_HOST *h;
    MYSQL_RES *res;
    int i;

    *suppressed = 0;
    for (i = 0; i < dm->nhosts; i++) {
        SQL_HOST *ih = dm->hosts + i;

        if (ih->stat == SQL_STAT_ACTIVE && now - ih->used > SQL_IDLE_INTERVAL) {
            mysql_close_host(ih);
            ih->stat = SQL_STAT_UNTRIED;
        }
    }
    while ((h = sql_host_pick(dm->hosts, dm->nhosts, now)) != NULL) {
        int fresh = (h->stat != SQL_STAT_ACTIVE);

        if (fresh && mysql_connect_host(dm, h, now) < 0)
            continue;
        vstr_reset(dm->qbuf);
        if (!sql_expand(&dm->ctx, dm->query, key, NULL, dm->qbuf, mysql_quote, h->conn)) {
            *suppressed = 1;
            return NULL;
        }
        h->used = now;
        if (mysql_query((MYSQL *)h->conn, VSTR_STR(dm->qbuf)) != 0) {
            unsigned err = mysql_errno((MYSQL *)h->conn);

            msg_warn("%s:%s: query failed: %s", dm->dict.type, dm->dict.name,
                     sql_printable(mysql_error((MYSQL *)h->conn)));
            if (!fresh && (err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST)) {
                /* A kept connection went stale (server restart): reconnect once. */
                mysql_close_host(h);
                h->stat = SQL_STAT_UNTRIED;
                continue;
            }
            mysql_host_failed(h, now);
            continue;
        }
        res = mysql_store_result((MYSQL *)h->conn);
        if (res == NULL && mysql_field_count((MYSQL *)h->conn) != 0) {
            msg_warn("%s:%s: result retrieval failed: %s", dm->dict.type, dm->dict.name,
                     sql_printable(mysql_error((MYSQL *)h->conn)));
            mysql_host_failed(h, now);
            continue;
        }
        /* Drain further result sets (stored procedures, CLIENT_MULTI_RESULTS). */
        while (mysql_more_results((MYSQL *)h->conn) && mysql_next_result((MYSQL *)h->conn) == 0) {
            MYSQL_RES *extra = mysql_store_result((MYSQL *)h->conn);

            if (extra)
                mysql_free_result(extra);
        }
        if (res == NULL && dm->require_result_set) {
            msg_warn("%s:%s: query failed: query returned no result set", dm->dict.type,
                     dm->dict.name);
            return NULL;
        }
        if (res == NULL)
            *suppressed = 1;
        return res;
    }
    return NULL;
}

/* dict_mysql_lookup - look up key; see the manual above. */
static const char *dict_mysql_lookup(DICT *d, const char *key)
{
    DICT_MYSQL *dm = (DICT_MYSQL *)d;
    MYSQL_RES *res;
    MYSQL_ROW row;
    unsigned nfields;
    unsigned j;
    int expansion = 0;
    int suppressed;
    int check;

    d->error = DICT_ERR_NONE;
    vstr_reset(dm->result);
    if (!sql_valid_utf8(key)) {
        msg_warn("%s:%s: non-UTF-8 key \"%s\": malformed UTF-8 or invalid codepoint", d->type,
                 d->name, sql_printable(key));
        return NULL;
    }
    if ((check = sql_check_domain(&dm->ctx, key)) <= 0) {
        if (check < 0)
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    /* Suppressed queries need no server: test the expansion first. */
    vstr_reset(dm->qbuf);
    if (!sql_expand(&dm->ctx, dm->query, key, NULL, dm->qbuf, NULL, NULL))
        return NULL;
    if ((res = mysql_run(dm, key, &suppressed)) == NULL) {
        if (!suppressed)
            d->error = DICT_ERR_RETRY;
        return NULL;
    }
    nfields = mysql_num_fields(res);
    while (d->error == DICT_ERR_NONE && (row = mysql_fetch_row(res)) != NULL) {
        for (j = 0; j < nfields; j++) {
            if (sql_expand(&dm->ctx, dm->result_format, row[j], key, dm->result, NULL, NULL) &&
                dm->expansion_limit > 0 && ++expansion > dm->expansion_limit) {
                msg_warn("dict_mysql_lookup: %s: Expansion limit exceeded for key: '%s'",
                         dm->dict.name, key);
                d->error = DICT_ERR_RETRY;
                break;
            }
        }
    }
    mysql_free_result(res);
    if (d->error != DICT_ERR_NONE || VSTR_LEN(dm->result) == 0)
        return NULL;
    return VSTR_STR(dm->result);
}

/* dict_mysql_close - close connections and release the table. */
static void dict_mysql_close(DICT *d)
{
    DICT_MYSQL *dm = (DICT_MYSQL *)d;
    int i;

    for (i = 0; i < dm->nhosts; i++)
        mysql_close_host(dm->hosts + i);
    sql_hosts_free(dm->hosts, dm->nhosts);
    sql_ctx_free(&dm->ctx);
    sql_cf_free(dm->cf);
    myfree(dm->query);
    myfree(dm->result_format);
    vstr_free(dm->qbuf);
    vstr_free(dm->result);
}

/*
 * dict_mysql_open - open mysql:name, name being the .cf file. No server is
 * contacted until the first lookup. Returns the table, or a surrogate whose
 * lookups fail when the file cannot be read or a template is invalid.
 */
DICT *dict_mysql_open(const char *name, int open_flags, int dict_flags)
{
    DICT_MYSQL *dm;
    SQL_CF *cf;
    const char *q;

    (void)open_flags;
    if ((cf = sql_cf_load(name)) == NULL) {
        if (dict_flags & DICT_FLAG_FATAL_OPEN)
            msg_fatal("open %s: %m", name);
        return dict_surrogate("mysql", name, DICT_ERR_CONFIG, "open %s: %m", name);
    }
    dm = (DICT_MYSQL *)dict_alloc("mysql", name, sizeof(*dm));
    dm->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dm->dict.lookup = dict_mysql_lookup;
    dm->dict.close = dict_mysql_close;
    dm->cf = cf;
    sql_ctx_init(&dm->ctx, &dm->dict, cf);
    q = sql_cf_str(cf, "query", NULL);
    dm->query = q ? mystrdup(q) : sql_legacy_query(cf);
    dm->result_format = mystrdup(sql_cf_str(cf, "result_format", "%s"));
    dm->expansion_limit = sql_cf_int(cf, "expansion_limit", 0);
    dm->require_result_set = sql_cf_bool(cf, "require_result_set", 1);
    dm->hosts = sql_hosts_parse(sql_cf_str(cf, "hosts", ""), &dm->nhosts);
    dm->qbuf = vstr_alloc(256);
    dm->result = vstr_alloc(256);
    if (sql_fmt_parse(&dm->ctx, dm->query, 1) < 0 ||
        sql_fmt_parse(&dm->ctx, dm->result_format, 0) < 0) {
        dict_close(&dm->dict);
        return dict_surrogate("mysql", name, DICT_ERR_CONFIG, "%s: invalid template", name);
    }
    return &dm->dict;
}
