/*
 * NAME
 *      dict_sql_common - .cf files, query templates and host lists for SQL tables
 * SYNOPSIS
 *      #include "dict_sql_common.h"
 * DESCRIPTION
 *      The parts of mysql_table(5) and pgsql_table(5) that do not depend on
 *      the client library, after Postfix's cfg_parser.c and db_common.c:
 *
 *      The .cf file has the main.cf line syntax (a line starting with white
 *      space continues the previous one, '#' as the first non-blank starts
 *      a comment) but is a flat name = value table: no $name expansion.
 *
 *      The query template expands %% to '%', %s to the key, %u to its local
 *      part (the whole key if it has no '@'), %d to its domain, %1..%9 to
 *      domain labels counted from the right; every inserted part is quoted
 *      by the driver's escaping function. The query is suppressed (the key
 *      is "not found", no query is sent) when the key is empty, when %d or
 *      %1-%9 is used and the key has no domain (or too few labels), or when
 *      %u is used and the local part is empty. %S %U %D mean the same in
 *      the query; in result_format, %s %u %d refer to the result column and
 *      %S %U %D %1-%9 to the key. Every column of every row goes through
 *      result_format; the pieces are joined with ','. NULL columns are
 *      skipped silently, empty ones with a warning, as Postfix does.
 *
 *      "domain" restricts lookups to user@domain keys whose domain is
 *      listed (exact, case-insensitive; !domain excludes; type:table looks
 *      the domain up).
 *
 *      Hosts are tried UNIX sockets first, in random order; a host that
 *      fails is skipped for SQL_RETRY_INTERVAL seconds.
 * DIAGNOSTICS
 *      warning: table "TYPE:NAME": empty query string -- ignored
 *      warning: table "TYPE:NAME": empty lookup result for: "KEY" -- ignored
 *      fatal: FILE: bad numerical configuration: NAME = VALUE
 *      fatal: FILE, line N: missing '=' after attribute name: "TEXT"
 *      fatal: db_common_parse: FILE: Invalid query template: TEXT
 *      (Postfix 3.7's texts.)
 * SEE ALSO
 *      mysql_table(5), pgsql_table(5), Postfix global/db_common.c,
 *      global/cfg_parser.c; reference section 7.3.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dict_sql_common.h"
#include "msg.h"
#include "mymalloc.h"

/* sql_cf_set - store one name = value line (the last definition wins). */
static void sql_cf_set(SQL_CF *cf, const char *line, int lineno)
{
    const char *eq = strchr(line, '=');
    const char *ne;
    const char *vs;
    const char *ve;
    int i;
    char *name;

    if (eq == NULL) {
        msg_fatal("%s, line %d: missing '=' after attribute name: \"%s\"", cf->path, lineno, line);
    }
    ne = eq;
    while (ne > line && isspace((unsigned char)ne[-1]))
        ne--;
    if (ne == line) {
        msg_fatal("%s, line %d: missing attribute name: \"%s\"", cf->path, lineno, line);
    }
    vs = eq + 1;
    while (*vs && isspace((unsigned char)*vs))
        vs++;
    ve = vs + strlen(vs);
    while (ve > vs && isspace((unsigned char)ve[-1]))
        ve--;
    name = mystrndup(line, (size_t)(ne - line));
    for (i = 0; i < cf->names->argc; i++) {
        if (strcmp(cf->names->argv[i], name) == 0) {
            myfree(cf->values->argv[i]);
            cf->values->argv[i] = mystrndup(vs, (size_t)(ve - vs));
            myfree(name);
            return;
        }
    }
    argv_add(cf->names, name, (char *)0);
    argv_addn(cf->values, vs, (size_t)(ve - vs));
    myfree(name);
}

/*
 * sql_cf_load - read a .cf file (main.cf line rules, no expansion).
 * Returns the table, or NULL with errno set when the file cannot be opened.
 */
SQL_CF *sql_cf_load(const char *path)
{
    FILE *fp;
    SQL_CF *cf;
    VSTR *logical = vstr_alloc(256);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    int start = 0;

    if ((fp = fopen(path, "re")) == NULL) {
        vstr_free(logical);
        return NULL;
    }
    cf = mymalloc(sizeof(*cf));
    cf->path = mystrdup(path);
    cf->names = argv_alloc(8);
    cf->values = argv_alloc(8);
    while ((n = getline(&line, &cap, fp)) >= 0) {
        const char *cp = line;

        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = 0;
        while (*cp && isspace((unsigned char)*cp))
            cp++;
        if (*cp == '#' || *cp == 0)
            continue;
        if (cp != line && VSTR_LEN(logical) > 0) {
            vstr_addstr(logical, line);
            continue;
        }
        if (VSTR_LEN(logical) > 0)
            sql_cf_set(cf, VSTR_STR(logical), start);
        vstr_strcpy(logical, cp);
        start = lineno;
    }
    if (VSTR_LEN(logical) > 0)
        sql_cf_set(cf, VSTR_STR(logical), start);
    free(line);
    fclose(fp);
    vstr_free(logical);
    return cf;
}

/* sql_cf_str - the value of name, or def when it is not set. */
const char *sql_cf_str(const SQL_CF *cf, const char *name, const char *def)
{
    int i;

    for (i = cf->names->argc - 1; i >= 0; i--)
        if (strcmp(cf->names->argv[i], name) == 0)
            return cf->values->argv[i];
    return def;
}

/* sql_cf_int - a decimal setting; fatal when malformed (Postfix cfg_get_int). */
int sql_cf_int(const SQL_CF *cf, const char *name, int def)
{
    const char *value = sql_cf_str(cf, name, NULL);
    char *end;
    long n;

    if (value == NULL)
        return def;
    errno = 0;
    n = strtol(value, &end, 10);
    if (*value == 0 || *end != 0 || errno != 0 || n < -2147483647L || n > 2147483647L)
        msg_fatal("%s: bad numerical configuration: %s = %s", cf->path, name, value);
    return (int)n;
}

/* sql_cf_bool - a yes/no setting; fatal when malformed. */
int sql_cf_bool(const SQL_CF *cf, const char *name, int def)
{
    const char *value = sql_cf_str(cf, name, NULL);

    if (value == NULL)
        return def;
    if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
        return 1;
    if (strcasecmp(value, "no") == 0 || strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
        return 0;
    msg_fatal("%s: bad boolean configuration: %s = %s", cf->path, name, value);
}

/* sql_cf_free - release a .cf table. */
void sql_cf_free(SQL_CF *cf)
{
    if (cf == NULL)
        return;
    argv_free(cf->names);
    argv_free(cf->values);
    myfree(cf->path);
    myfree(cf);
}

/*
 * sql_legacy_query - the query Postfix builds from select_field, table,
 * where_field and additional_conditions when "query" is not set.
 */
char *sql_legacy_query(const SQL_CF *cf)
{
    VSTR *q = vstr_alloc(128);

    vstr_sprintf(q, "SELECT %s FROM %s WHERE %s='%%s' %s", sql_cf_str(cf, "select_field", ""),
                 sql_cf_str(cf, "table", ""), sql_cf_str(cf, "where_field", ""),
                 sql_cf_str(cf, "additional_conditions", ""));
    return vstr_export(q);
}

/*
 * sql_ctx_init - set up the template context for dict; read the "domain"
 * list from cf (elements of the form type:table are opened as tables).
 */
void sql_ctx_init(SQL_CTX *ctx, DICT *dict, const SQL_CF *cf)
{
    const char *domain = sql_cf_str(cf, "domain", "");
    int i;

    memset(ctx, 0, sizeof(*ctx));
    ctx->dict = dict;
    if (*domain == 0)
        return;
    ctx->domain = argv_split(domain, CFG_LIST_DELIMS);
    if (ctx->domain->argc == 0) {
        argv_free(ctx->domain);
        ctx->domain = NULL;
        return;
    }
    ctx->dom_dict = mymalloc(sizeof(DICT *) * (size_t)ctx->domain->argc);
    for (i = 0; i < ctx->domain->argc; i++) {
        const char *item = ctx->domain->argv[i];
        const char *colon = strchr(item, ':');

        if (*item == '!')
            item++;
        ctx->dom_dict[i] =
            (colon && item[0] != '/') ? dict_open(item, 0, DICT_FLAGS_DEFAULT) : NULL;
    }
}

/* sql_ctx_free - release what sql_ctx_init allocated. */
void sql_ctx_free(SQL_CTX *ctx)
{
    int i;

    if (ctx->domain) {
        for (i = 0; i < ctx->domain->argc; i++)
            if (ctx->dom_dict[i])
                dict_close(ctx->dom_dict[i]);
        myfree(ctx->dom_dict);
        argv_free(ctx->domain);
    }
    ctx->domain = NULL;
    ctx->dom_dict = NULL;
}

/*
 * sql_fmt_parse - check a query (is_query) or result_format template and
 * record the parts it uses in ctx->flags / ctx->nparts. Returns 0; an
 * unknown %X is fatal, as in Postfix.
 */
int sql_fmt_parse(SQL_CTX *ctx, const char *format, int is_query)
{
    const char *cp;

    for (cp = format; *cp; cp++) {
        if (*cp != '%')
            continue;
        switch (*++cp) {
        case '%':
        case 's':
        case 'S':
            break;
        case 'u':
            ctx->flags |= is_query ? SQL_KEY_USER : SQL_VALUE_USER;
            break;
        case 'd':
            ctx->flags |= is_query ? SQL_KEY_DOMAIN : SQL_VALUE_DOMAIN;
            break;
        case 'U':
            ctx->flags |= SQL_KEY_USER;
            break;
        case 'D':
            ctx->flags |= SQL_KEY_DOMAIN;
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            ctx->flags |= SQL_KEY_PARTIAL;
            if (*cp - '0' > ctx->nparts)
                ctx->nparts = *cp - '0';
            break;
        default:
            msg_fatal("db_common_parse: %s: Invalid %s template: %s",
                      ctx->dict ? ctx->dict->name : "(sql)", is_query ? "query" : "result", format);
        }
        if (*cp == 0)
            break;
    }
    return 0;
}

/* sql_domain_item_match - one element of the domain list against domain. */
static int sql_domain_item_match(SQL_CTX *ctx, int i, const char *domain)
{
    const char *item = ctx->domain->argv[i];

    if (*item == '!')
        item++;
    if (ctx->dom_dict[i]) {
        if (dict_get(ctx->dom_dict[i], domain) != NULL)
            return 1;
        return ctx->dom_dict[i]->error != DICT_ERR_NONE ? -1 : 0;
    }
    return strcasecmp(item, domain) == 0;
}

/*
 * sql_check_domain - with a domain list, only user@domain keys whose
 * domain is listed are looked up (Postfix db_common_check_domain). Returns
 * 1 to go on, 0 to skip, -1 when a domain table lookup failed.
 */
int sql_check_domain(SQL_CTX *ctx, const char *key)
{
    const char *domain;
    int i;
    int m;

    if (ctx->domain == NULL)
        return 1;
    if ((domain = strrchr(key, '@')) == NULL || domain == key)
        return 0;
    domain++;
    if (*domain == 0)
        return 0;
    for (i = 0; i < ctx->domain->argc; i++) {
        if ((m = sql_domain_item_match(ctx, i, domain)) < 0)
            return -1;
        if (m)
            return ctx->domain->argv[i][0] == '!' ? 0 : 1;
    }
    return 0;
}

/* sql_put - append text, quoted when a quote function is given. */
static void sql_put(SQL_QUOTE_FN quote, void *qctx, const char *text, VSTR *result)
{
    if (quote)
        quote(qctx, text, result);
    else
        vstr_addstr(result, text);
}

/* sql_split - user and domain of an address (mymalloc'ed user or NULL). */
static void sql_split(const char *addr, char **user, const char **domain)
{
    const char *at = strrchr(addr, '@');

    *user = at ? mystrndup(addr, (size_t)(at - addr)) : NULL;
    *domain = at ? at + 1 : NULL;
}

/*
 * sql_expand - expand a query (key == NULL: value is the lookup key) or a
 * result_format (value is a result column, key the lookup key) into
 * result. Returns 1, or 0 when the expansion is suppressed (see the header).
 */
int sql_expand(SQL_CTX *ctx, const char *format, const char *value, const char *key, VSTR *result,
               SQL_QUOTE_FN quote, void *qctx)
{
    char *vuser = NULL;
    const char *vdomain = NULL;
    char *kuser = NULL;
    const char *kdomain = NULL;
    const char *kaddr = key ? key : value;
    ARGV *parts = NULL;
    const char *cp;
    int ok = 0;

    if (value == NULL)
        return 0;
    if (*value == 0) {
        if (ctx->dict) {
            if (key)
                msg_warn("table \"%s:%s\": empty lookup result for: \"%s\" -- ignored",
                         ctx->dict->type, ctx->dict->name, key);
            else
                msg_warn("table \"%s:%s\": empty query string -- ignored", ctx->dict->type,
                         ctx->dict->name);
        }
        return 0;
    }
    if (key) {
        /* Parts of the result value. */
        sql_split(value, &vuser, &vdomain);
        if ((ctx->flags & SQL_VALUE_DOMAIN) && (vdomain == NULL || *vdomain == 0))
            goto done;
        if ((ctx->flags & SQL_VALUE_USER) && vuser && *vuser == 0)
            goto done;
    }
    /* Parts of the key (in a query: value is the key). */
    sql_split(kaddr, &kuser, &kdomain);
    if ((ctx->flags & (SQL_KEY_DOMAIN | SQL_KEY_PARTIAL)) && (kdomain == NULL || *kdomain == 0))
        goto done;
    if ((ctx->flags & SQL_KEY_USER) && kuser && *kuser == 0)
        goto done;
    if (ctx->flags & SQL_KEY_PARTIAL) {
        parts = argv_split(kdomain, ".");
        if (parts->argc < ctx->nparts)
            goto done;
    }
    if (key && VSTR_LEN(result) > 0)
        vstr_addch(result, ',');
    for (cp = format; *cp; cp++) {
        if (*cp != '%') {
            vstr_addch(result, *cp);
            continue;
        }
        switch (*++cp) {
        case '%':
            vstr_addch(result, '%');
            break;
        case 's':
            sql_put(quote, qctx, value, result);
            break;
        case 'u':
            if (key)
                sql_put(quote, qctx, vuser ? vuser : value, result);
            else
                sql_put(quote, qctx, kuser ? kuser : value, result);
            break;
        case 'd':
            if (key) {
                if (vdomain)
                    sql_put(quote, qctx, vdomain, result);
            } else if (kdomain) {
                sql_put(quote, qctx, kdomain, result);
            }
            break;
        case 'S':
            sql_put(quote, qctx, kaddr, result);
            break;
        case 'U':
            sql_put(quote, qctx, kuser ? kuser : kaddr, result);
            break;
        case 'D':
            if (kdomain)
                sql_put(quote, qctx, kdomain, result);
            break;
        case '1':
        case '2':
        case '3':
        case '4':
        case '5':
        case '6':
        case '7':
        case '8':
        case '9':
            if (parts && parts->argc >= *cp - '0')
                sql_put(quote, qctx, parts->argv[parts->argc - (*cp - '0')], result);
            break;
        case 0:
            cp--;
            break;
        default:
            msg_panic("sql_expand: invalid template %s", format);
        }
    }
    ok = 1;
done:
    myfree(vuser);
    myfree(kuser);
    if (parts)
        argv_free(parts);
    return ok;
}

/* sql_host_init - one hosts element. */
static void sql_host_init(SQL_HOST *h, const char *spec)
{
    const char *cp = spec;
    const char *colon;

    memset(h, 0, sizeof(*h));
    h->label = mystrdup(spec);
    h->stat = SQL_STAT_UNTRIED;
    if (strncmp(cp, "unix:", 5) == 0) {
        h->type = SQL_HOST_UNIX;
        h->name = mystrdup(cp + 5);
        return;
    }
    if (strncmp(cp, "postgresql://", 13) == 0 || strncmp(cp, "postgres://", 11) == 0) {
        h->type = SQL_HOST_URI;
        h->name = mystrdup(cp);
        return;
    }
    if (strncmp(cp, "inet:", 5) == 0)
        cp += 5;
    h->type = SQL_HOST_INET;
    if (*cp == '[' && (colon = strchr(cp, ']')) != NULL) {
        h->name = mystrndup(cp + 1, (size_t)(colon - cp - 1));
        if (colon[1] == ':' && colon[2])
            h->port = mystrdup(colon + 2);
        return;
    }
    if ((colon = strrchr(cp, ':')) != NULL && strchr(cp, ':') == colon) {
        h->name = mystrndup(cp, (size_t)(colon - cp));
        if (colon[1])
            h->port = mystrdup(colon + 1);
    } else {
        h->name = mystrdup(cp);
    }
}

/* sql_hosts_parse - the "hosts" list; *count gets the number of entries. */
SQL_HOST *sql_hosts_parse(const char *text, int *count)
{
    ARGV *list = argv_split(text, CFG_LIST_DELIMS);
    SQL_HOST *hosts;
    int i;

    if (list->argc == 0)
        argv_add(list, "localhost", (char *)0);
    hosts = mymalloc(sizeof(SQL_HOST) * (size_t)list->argc);
    for (i = 0; i < list->argc; i++)
        sql_host_init(hosts + i, list->argv[i]);
    *count = list->argc;
    argv_free(list);
    return hosts;
}

/* sql_find - a random host of the given kind and state, or NULL. */
static SQL_HOST *sql_find(SQL_HOST *hosts, int count, int unix_only, int stat, time_t now)
{
    int i;
    int n = 0;
    int pick;

    for (i = 0; i < count; i++) {
        SQL_HOST *h = hosts + i;

        if (h->stat == SQL_STAT_FAIL && h->retry <= now)
            h->stat = SQL_STAT_UNTRIED;
        if (h->stat == stat && (h->type == SQL_HOST_UNIX) == unix_only)
            n++;
    }
    if (n == 0)
        return NULL;
    pick = (int)(random() % n);
    for (i = 0; i < count; i++) {
        SQL_HOST *h = hosts + i;

        if (h->stat == stat && (h->type == SQL_HOST_UNIX) == unix_only && pick-- == 0)
            return h;
    }
    return NULL;
}

/* sql_host_pick - the host to use next (see the header), or NULL. */
SQL_HOST *sql_host_pick(SQL_HOST *hosts, int count, time_t now)
{
    SQL_HOST *h;

    if ((h = sql_find(hosts, count, 1, SQL_STAT_ACTIVE, now)) != NULL ||
        (h = sql_find(hosts, count, 0, SQL_STAT_ACTIVE, now)) != NULL ||
        (h = sql_find(hosts, count, 1, SQL_STAT_UNTRIED, now)) != NULL ||
        (h = sql_find(hosts, count, 0, SQL_STAT_UNTRIED, now)) != NULL)
        return h;
    return NULL;
}

/* sql_host_down - mark a host failed; the driver closed its connection. */
void sql_host_down(SQL_HOST *host, time_t now)
{
    host->stat = SQL_STAT_FAIL;
    host->retry = now + SQL_RETRY_INTERVAL;
    host->conn = NULL;
}

/* sql_hosts_free - release a host list (connections must be closed). */
void sql_hosts_free(SQL_HOST *hosts, int count)
{
    int i;

    for (i = 0; i < count; i++) {
        myfree(hosts[i].name);
        myfree(hosts[i].port);
        myfree(hosts[i].label);
    }
    myfree(hosts);
}

/* sql_utf8_len - length of the valid UTF-8 sequence at cp, or 0. */
static int sql_utf8_len(const unsigned char *cp)
{
    unsigned c = *cp;
    int more;
    int i;
    unsigned cpv;
    unsigned min;

    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0) {
        more = 1, cpv = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        more = 2, cpv = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        more = 3, cpv = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (i = 1; i <= more; i++) {
        if ((cp[i] & 0xc0) != 0x80)
            return 0;
        cpv = (cpv << 6) | (cp[i] & 0x3f);
    }
    if (cpv < min || cpv > 0x10ffff || (cpv >= 0xd800 && cpv <= 0xdfff))
        return 0;
    return more + 1;
}

/*
 * sql_printable - text with control characters and bytes that are not
 * valid UTF-8 shown as '?' (see header).
 */
const char *sql_printable(const char *text)
{
    static VSTR *buf;
    const unsigned char *cp = (const unsigned char *)text;
    int len;

    if (buf == NULL)
        buf = vstr_alloc(256);
    vstr_reset(buf);
    while (*cp) {
        if (*cp < 0x20 || *cp == 0x7f || (len = sql_utf8_len(cp)) == 0) {
            vstr_addch(buf, '?');
            cp++;
        } else {
            vstr_addmem(buf, cp, (size_t)len);
            cp += len;
        }
    }
    return VSTR_STR(buf);
}

/* sql_valid_utf8 - well-formed UTF-8 test (see header). */
int sql_valid_utf8(const char *text)
{
    const unsigned char *cp = (const unsigned char *)text;
    int len;

    while (*cp) {
        if ((len = sql_utf8_len(cp)) == 0)
            return 0;
        cp += len;
    }
    return 1;
}
