/*
 * dict_sql_common - what mysql: and pgsql: tables share (Postfix's
 * cfg_parser.c and db_common.c): the .cf file, the query and result_format
 * templates, the domain restriction and the host list with fail-over.
 *
 * sql_cf_load(path): read a .cf file with the main.cf line rules (comments,
 * continuation lines, "name = value", last one wins) but no $name
 * expansion. NULL with errno when the file cannot be opened; a line without
 * '=' is fatal ("FILE, line N: missing '=' after attribute name: "TEXT"",
 * Postfix's text). sql_cf_str(cf, name, def) returns the value or def;
 * sql_cf_int(cf, name, def) a decimal number (a malformed one is fatal:
 * "FILE: bad numerical configuration: name = value", as Postfix);
 * sql_cf_bool(cf, name, def) yes/no (true/false/1/0 too). sql_cf_free().
 *
 * SQL_CTX holds what the templates need. sql_ctx_init(ctx, dict, cf) reads
 * "domain" (a list of domain names, !name negations and type:table
 * lookups). sql_fmt_parse(ctx, format, is_query) validates a template and
 * records which key/value parts it needs (%s %u %d %S %U %D %1-%9 %%);
 * returns 0; an unknown %X is fatal ("db_common_parse: PATH: Invalid query
 * template: TEXT", as Postfix). (-1 is reserved, never returned now.)
 * sql_check_domain(ctx, key): 1 to query, 0 to skip (no '@', empty local
 * part, domain not listed), -1 when a domain table failed.
 * sql_expand(ctx, format, value, key, result, quote, qctx): Postfix's
 * db_common_expand. With key NULL, value is the lookup key and format the
 * query (each inserted part is passed through quote(qctx, part, result), or
 * appended verbatim when quote is NULL); with key set, value is one result
 * column and format the result_format, whose expansion is appended to
 * result after a ',' when result is not empty. Returns 1 when something was
 * expanded, 0 when the expansion is suppressed (empty or NULL value, %d of
 * an unqualified address, empty local part, too few domain labels).
 * sql_ctx_free() releases the domain list.
 *
 * SQL_HOST lists: sql_hosts_parse(text, &count) splits "hosts" (comma or
 * white space) into unix:/path, inet:host:port, host:port and host
 * entries. sql_host_pick(hosts, count, now) returns a connected (ACTIVE)
 * host if any (UNIX sockets first), else an untried host or one whose
 * retry time has passed, chosen at random, UNIX sockets first; NULL when
 * none may be tried. sql_host_down(host, now) marks a host failed until
 * now + SQL_RETRY_INTERVAL. sql_hosts_free().
 */
#ifndef POSTERN_DICT_SQL_COMMON_H
#define POSTERN_DICT_SQL_COMMON_H

#include <time.h>

#include "argv.h"
#include "dict.h"
#include "vstr.h"

typedef struct SQL_CF {
    char *path;
    ARGV *names;
    ARGV *values;
} SQL_CF;

extern SQL_CF *sql_cf_load(const char *path);
extern const char *sql_cf_str(const SQL_CF *cf, const char *name, const char *def);
extern int sql_cf_int(const SQL_CF *cf, const char *name, int def);
extern int sql_cf_bool(const SQL_CF *cf, const char *name, int def);
extern void sql_cf_free(SQL_CF *cf);

#define SQL_KEY_DOMAIN (1 << 0)
#define SQL_KEY_USER (1 << 1)
#define SQL_VALUE_DOMAIN (1 << 2)
#define SQL_VALUE_USER (1 << 3)
#define SQL_KEY_PARTIAL (1 << 4)

typedef struct SQL_CTX {
    DICT *dict;      /* for warnings: type and name */
    int flags;       /* SQL_KEY_* / SQL_VALUE_* */
    int nparts;      /* highest %1-%9 */
    ARGV *domain;    /* NULL: no restriction */
    DICT **dom_dict; /* per domain element: its table, or NULL */
} SQL_CTX;

typedef void (*SQL_QUOTE_FN)(void *qctx, const char *text, VSTR *result);

extern void sql_ctx_init(SQL_CTX *ctx, DICT *dict, const SQL_CF *cf);
extern int sql_fmt_parse(SQL_CTX *ctx, const char *format, int is_query);
extern int sql_check_domain(SQL_CTX *ctx, const char *key);
extern int sql_expand(SQL_CTX *ctx, const char *format, const char *value, const char *key,
                      VSTR *result, SQL_QUOTE_FN quote, void *qctx);
extern void sql_ctx_free(SQL_CTX *ctx);
/* The legacy query: "SELECT f FROM t WHERE w='%s' cond" (mymalloc'ed). */
extern char *sql_legacy_query(const SQL_CF *cf);

#define SQL_HOST_UNIX 1
#define SQL_HOST_INET 2
#define SQL_HOST_URI 3

#define SQL_STAT_UNTRIED 0
#define SQL_STAT_ACTIVE 1
#define SQL_STAT_FAIL 2

#define SQL_RETRY_INTERVAL 60 /* seconds before a failed host is tried again */
#define SQL_IDLE_INTERVAL 60  /* seconds before an idle connection is closed */

typedef struct SQL_HOST {
    int type;     /* SQL_HOST_UNIX/INET/URI */
    char *name;   /* socket path, host name, or URI */
    char *port;   /* NULL: the library's default */
    char *label;  /* as written in hosts, for messages */
    int stat;     /* SQL_STAT_* */
    time_t retry; /* when FAIL: not before this time */
    time_t used;  /* last use, for the idle timeout */
    void *conn;   /* the driver's connection, or NULL */
} SQL_HOST;

extern SQL_HOST *sql_hosts_parse(const char *text, int *count);
extern SQL_HOST *sql_host_pick(SQL_HOST *hosts, int count, time_t now);
extern void sql_host_down(SQL_HOST *host, time_t now);
extern void sql_hosts_free(SQL_HOST *hosts, int count);

/* sql_printable(text): text with every control character (newline, tab,
 * ...) and every byte that is not valid UTF-8 replaced by '?', as Postfix's
 * logging does; the result is valid
 * until the next call. For database error messages in warnings. */
extern const char *sql_printable(const char *text);

/* sql_valid_utf8(text): 1 when text is well-formed UTF-8 (no overlong
 * forms, surrogates or code points above U+10FFFF), else 0. Postfix looks
 * up only valid UTF-8 keys in SQL tables; others are "not found", after
 * "warning: TYPE:NAME: non-UTF-8 key "KEY": malformed UTF-8 or invalid
 * codepoint" (Postfix's dict_utf8 text). */
extern int sql_valid_utf8(const char *text);

#endif
