/*
 * NAME
 *      config 3 - main.cf reading and parameter expansion
 *
 * DESCRIPTION
 *      Implements lib/config.h: Postfix's main.cf syntax and semantics
 *      (postconf(5); reference 5.1 and traps 14, 31).
 *
 *      cfg_init() reads DIR/main.cf into logical lines: a line that starts
 *      with white space continues the previous one (only the newline goes,
 *      the leading blanks stay); blank lines and lines whose first non-blank
 *      character is '#' are skipped and do not end a logical line; '#'
 *      elsewhere is data. "name = value" is split as Postfix's
 *      split_nameval() does; the last definition wins.
 *
 *      Values are kept unexpanded. cfg_str() expands on first use and caches
 *      the result per name; the cache is dropped by cfg_init() and
 *      cfg_override() (old results stay allocated until the next
 *      cfg_init(), so pointers held across an override do not dangle).
 *      Expansion follows Postfix's mac_expand(): $name ${name} $(name) $$
 *      ${name?value} ${name:value} ${name?{a}:{b}}, and the relational
 *      forms ${{a} OP {b}?{x}:{y}} with == != < <= > >= (numeric when both
 *      sides are all digits) and <level <=level >level >=level (dotted
 *      compatibility levels compared per component: 3.6 < 3.10).
 *
 *      Some defaults are computed at run time: myhostname (gethostname(),
 *      made fully qualified with getaddrinfo(AI_CANONNAME), else with
 *      ".localdomain" appended as Postfix does), mydomain ($myhostname minus
 *      its first label, else "localdomain"), mynetworks (per
 *      $mynetworks_style: host, subnet or class, from getifaddrs()),
 *      process_id and process_name.
 *
 * DIAGNOSTICS
 *      Fatal: "FILE, line N: missing '=' after attribute name: "TEXT"" for a
 *      malformed line; "open FILE: ..." when main.cf exists but cannot be
 *      read; "unreasonable macro call nesting (recursion): ..." beyond 100
 *      levels; "bad numerical configuration: NAME = VALUE" and "bad boolean
 *      configuration: NAME = VALUE" from the typed getters.
 *      Warnings: "FILE, line N: unused parameter: NAME=VALUE" for a setting
 *      nothing knows or refers to, from cfg_warn_unused() (postconf only,
 *      as in Postfix; daemons stay quiet); "truncated macro reference", "empty
 *      macro name", "bad operator" for malformed expansions (the text is then
 *      kept literally or dropped, as noted in the code).
 *
 * SEE ALSO
 *      postconf(5), lib/params.c (the defaults), tools/gen-params.sh
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

#define CFG_MAX_DEPTH 100
#define CFG_HASH_SIZE 1021

#define CFG_ORIGIN_NONE 0
#define CFG_ORIGIN_FILE 1
#define CFG_ORIGIN_OVERRIDE 2

typedef struct CFG_ENT {
    char *name;
    char *value; /* setting (main.cf or override), unexpanded, or NULL */
    int origin;  /* CFG_ORIGIN_* */
    int line;    /* main.cf line of the setting */
    char *cache; /* expanded value, or NULL */
    struct CFG_ENT *next;
} CFG_ENT;

static CFG_ENT *cfg_hash[CFG_HASH_SIZE];
static char *cfg_path;        /* DIR/main.cf */
static char *cfg_master_text; /* DIR/master.cf, for $name references */
static char **cfg_retired;    /* expansions dropped since the last cfg_init */
static size_t cfg_nretired;
static size_t cfg_retired_cap;

/* Run-time defaults (see cfg_dyn_default), valid until invalidation. */
enum { DYN_MYHOSTNAME, DYN_MYDOMAIN, DYN_MYNETWORKS, DYN_PROCESS_ID, DYN_PROCESS_NAME, DYN_COUNT };
static const char *const cfg_dyn_names[DYN_COUNT] = {"myhostname", "mydomain", "mynetworks",
                                                     "process_id", "process_name"};
static char *cfg_dyn_cache[DYN_COUNT];

static const char *cfg_lookup(const char *name, int depth);
static void cfg_expand_mem(VSTR *out, const char *s, size_t len, int depth);

/* cfg_hashval - string hash for the settings table. */
static unsigned cfg_hashval(const char *name)
{
    unsigned h = 5381;

    while (*name)
        h = h * 33 + (unsigned char)*name++;
    return h % CFG_HASH_SIZE;
}

/* cfg_find - the entry for name, or NULL. */
static CFG_ENT *cfg_find(const char *name)
{
    CFG_ENT *e;

    for (e = cfg_hash[cfg_hashval(name)]; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

/* cfg_enter - the entry for name, created empty if needed. */
static CFG_ENT *cfg_enter(const char *name)
{
    CFG_ENT *e;
    unsigned h;

    if ((e = cfg_find(name)) != NULL)
        return e;
    h = cfg_hashval(name);
    e = mymalloc(sizeof(*e));
    e->name = mystrdup(name);
    e->value = NULL;
    e->origin = CFG_ORIGIN_NONE;
    e->line = 0;
    e->cache = NULL;
    e->next = cfg_hash[h];
    cfg_hash[h] = e;
    return e;
}

/* cfg_retire - keep an expansion alive until the next cfg_init(). */
static void cfg_retire(char *str)
{
    if (str == NULL)
        return;
    if (cfg_nretired == cfg_retired_cap) {
        cfg_retired_cap = cfg_retired_cap ? 2 * cfg_retired_cap : 64;
        cfg_retired = myrealloc(cfg_retired, cfg_retired_cap * sizeof(*cfg_retired));
    }
    cfg_retired[cfg_nretired++] = str;
}

/* cfg_invalidate - drop every cached expansion (configuration changed). */
static void cfg_invalidate(void)
{
    CFG_ENT *e;
    int i;

    for (i = 0; i < CFG_HASH_SIZE; i++) {
        for (e = cfg_hash[i]; e; e = e->next) {
            cfg_retire(e->cache);
            e->cache = NULL;
        }
    }
    for (i = 0; i < DYN_COUNT; i++) {
        cfg_retire(cfg_dyn_cache[i]);
        cfg_dyn_cache[i] = NULL;
    }
}

/* cfg_free_all - release every setting, cache and retired expansion. */
static void cfg_free_all(void)
{
    CFG_ENT *e;
    CFG_ENT *next;
    size_t n;
    int i;

    cfg_invalidate();
    for (i = 0; i < CFG_HASH_SIZE; i++) {
        for (e = cfg_hash[i]; e; e = next) {
            next = e->next;
            myfree(e->name);
            myfree(e->value);
            myfree(e);
        }
        cfg_hash[i] = NULL;
    }
    for (n = 0; n < cfg_nretired; n++)
        myfree(cfg_retired[n]);
    cfg_nretired = 0;
}

/* cfg_table_find - the built-in table entry for name, or NULL. */
static const CFG_PARAM *cfg_table_find(const char *name)
{
    int lo = 0;
    int hi = cfg_param_count - 1;
    int mid;
    int cmp;

    while (lo <= hi) {
        mid = lo + (hi - lo) / 2;
        cmp = strcmp(name, cfg_params[mid].name);
        if (cmp == 0)
            return cfg_params + mid;
        if (cmp < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* cfg_set - store a setting (no cache invalidation). */
static void cfg_set(const char *name, const char *value, int origin, int line)
{
    CFG_ENT *e = cfg_enter(name);

    myfree(e->value);
    e->value = mystrdup(value);
    e->origin = origin;
    e->line = line;
}

/*
 * Run-time defaults.
 */

/* cfg_hostname - the FQDN of this host, Postfix style. */
static char *cfg_hostname(void)
{
    char buf[HOST_NAME_MAX + 1];
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char *result;

    if (gethostname(buf, sizeof(buf)) < 0)
        msg_fatal("gethostname: %m");
    buf[sizeof(buf) - 1] = 0;
    if (strchr(buf, '.') != NULL)
        return mystrdup(buf);
    memset(&hints, 0, sizeof(hints));
    hints.ai_flags = AI_CANONNAME;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(buf, NULL, &hints, &res) == 0 && res != NULL && res->ai_canonname != NULL &&
        strchr(res->ai_canonname, '.') != NULL) {
        result = mystrdup(res->ai_canonname);
    } else {
        /* Postfix check_myhostname(): append the default domain. */
        result = mymalloc(strlen(buf) + sizeof(".localdomain"));
        strcpy(result, buf);
        strcat(result, ".localdomain");
    }
    if (res)
        freeaddrinfo(res);
    return result;
}

/* cfg_add_net - append "net/len" (v4) or "[net]/len" (v6) once. */
static void cfg_add_net(VSTR *list, int family, const void *addr, int prefix)
{
    char text[INET6_ADDRSTRLEN];
    char item[INET6_ADDRSTRLEN + 8];
    const char *p;
    size_t ilen;

    if (inet_ntop(family, addr, text, sizeof(text)) == NULL)
        return;
    if (family == AF_INET)
        snprintf(item, sizeof(item), "%s/%d", text, prefix);
    else
        snprintf(item, sizeof(item), "[%s]/%d", text, prefix);
    ilen = strlen(item);
    for (p = VSTR_STR(list); (p = strstr(p, item)) != NULL; p += ilen)
        if ((p == VSTR_STR(list) || p[-1] == ' ') && (p[ilen] == ' ' || p[ilen] == 0))
            return;
    if (VSTR_LEN(list))
        vstr_addch(list, ' ');
    vstr_addstr(list, item);
}

/* cfg_mask - apply a prefix length to an address of len bytes. */
static void cfg_mask(unsigned char *addr, size_t len, int prefix)
{
    size_t i;

    for (i = 0; i < len; i++) {
        int bits = prefix - (int)(8 * i);

        if (bits >= 8)
            continue;
        addr[i] &= bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
    }
}

/* cfg_prefix_len - count the leading one bits of a netmask. */
static int cfg_prefix_len(const unsigned char *mask, size_t len)
{
    int n = 0;
    size_t i;
    int b;

    for (i = 0; i < len; i++)
        for (b = 7; b >= 0; b--) {
            if (!(mask[i] & (1 << b)))
                return n;
            n++;
        }
    return n;
}

/*
 * cfg_mynetworks - the default mynetworks per mynetworks_style (Postfix
 * mynetworks.c): "host" gives each interface address as /32 or /128,
 * "subnet" the interface networks, "class" the class A/B/C networks (v6 as
 * subnet). IPv4 entries come before IPv6 ones.
 */
static char *cfg_mynetworks(const char *style)
{
    struct ifaddrs *ifa_list = NULL;
    struct ifaddrs *ifa;
    VSTR *v4 = vstr_alloc(100);
    VSTR *v6 = vstr_alloc(100);
    int host = strcasecmp(style, "host") == 0;
    int class = strcasecmp(style, "class") == 0;

    if (!host && !class && strcasecmp(style, "subnet") != 0)
        msg_fatal("unknown mynetworks_style parameter value: %s", style);
    if (getifaddrs(&ifa_list) < 0) {
        msg_warn("getifaddrs: %m");
        ifa_list = NULL;
    }
    for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
        if (ifa->ifa_addr == NULL)
            continue;
        if (ifa->ifa_addr->sa_family == AF_INET) {
            struct in_addr a = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
            int prefix = 32;

            if (!host && ifa->ifa_netmask) {
                prefix = cfg_prefix_len(
                    (unsigned char *)&((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr, 4);
                if (class) {
                    unsigned char first = ((unsigned char *)&a)[0];

                    prefix = first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
                }
                cfg_mask((unsigned char *)&a, 4, prefix);
            }
            cfg_add_net(v4, AF_INET, &a, prefix);
        } else if (ifa->ifa_addr->sa_family == AF_INET6) {
            struct in6_addr a = ((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
            int prefix = 128;

            if (!host && ifa->ifa_netmask) {
                prefix = cfg_prefix_len(
                    (unsigned char *)&((struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr, 16);
                cfg_mask((unsigned char *)&a, 16, prefix);
            }
            cfg_add_net(v6, AF_INET6, &a, prefix);
        }
    }
    if (ifa_list)
        freeifaddrs(ifa_list);
    /* Loopback is always local, even without getifaddrs(). */
    if (VSTR_LEN(v4) == 0)
        vstr_strcpy(v4, host ? "127.0.0.1/32" : "127.0.0.0/8");
    if (VSTR_LEN(v6)) {
        vstr_addch(v4, ' ');
        vstr_addstr(v4, VSTR_STR(v6));
    }
    vstr_free(v6);
    return vstr_export(v4);
}

/* cfg_dyn_default - compute a run-time default (NULL: not a run-time one). */
static const char *cfg_dyn_default(const char *name, int depth)
{
    int i;
    const char *p;

    for (i = 0; i < DYN_COUNT; i++)
        if (strcmp(name, cfg_dyn_names[i]) == 0)
            break;
    if (i == DYN_COUNT)
        return NULL;
    if (cfg_dyn_cache[i])
        return cfg_dyn_cache[i];
    switch (i) {
    case DYN_MYHOSTNAME:
        cfg_dyn_cache[i] = cfg_hostname();
        break;
    case DYN_MYDOMAIN:
        p = strchr(cfg_lookup("myhostname", depth + 1), '.');
        cfg_dyn_cache[i] = mystrdup(p && p[1] ? p + 1 : "localdomain");
        break;
    case DYN_MYNETWORKS:
        cfg_dyn_cache[i] = cfg_mynetworks(cfg_lookup("mynetworks_style", depth + 1));
        break;
    case DYN_PROCESS_ID: {
        char buf[32];

        snprintf(buf, sizeof(buf), "%ld", (long)getpid());
        cfg_dyn_cache[i] = mystrdup(buf);
        break;
    }
    default:
        cfg_dyn_cache[i] = mystrdup(msg_progname());
        break;
    }
    return cfg_dyn_cache[i];
}

/* cfg_default_depth - the default of name, with the nesting depth. */
static const char *cfg_default_depth(const char *name, int depth)
{
    const CFG_PARAM *p = cfg_table_find(name);

    if (p == NULL)
        return NULL;
    if (p->defval)
        return p->defval;
    return cfg_dyn_default(name, depth);
}

/*
 * Expansion.
 */

/* cfg_isname - a parameter name character [A-Za-z0-9_]. */
static int cfg_isname(int ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

/* cfg_skip_ws - advance over blanks within [p, end). */
static const char *cfg_skip_ws(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/*
 * cfg_braced - p points at '{': find the matching '}' before end. Sets
 * *text and *len to the inside and returns the position after '}', or NULL.
 */
static const char *cfg_braced(const char *p, const char *end, const char **text, size_t *len)
{
    int level = 0;
    const char *q;

    if (p >= end || *p != '{')
        return NULL;
    for (q = p; q < end; q++) {
        if (*q == '{')
            level++;
        else if (*q == '}' && --level == 0) {
            *text = p + 1;
            *len = (size_t)(q - p - 1);
            return q + 1;
        }
    }
    return NULL;
}

/* cfg_is_digits - non-empty and all decimal digits. */
static int cfg_is_digits(const char *s)
{
    if (*s == 0)
        return 0;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return 0;
    return 1;
}

/* cfg_numcmp - compare two digit strings of any length. */
static int cfg_numcmp(const char *a, const char *b)
{
    size_t la;
    size_t lb;

    while (*a == '0' && a[1])
        a++;
    while (*b == '0' && b[1])
        b++;
    la = strlen(a);
    lb = strlen(b);
    if (la != lb)
        return la < lb ? -1 : 1;
    return strcmp(a, b);
}

/*
 * cfg_levelcmp - compare compatibility levels "major[.minor[.patch]]"
 * component by component, numerically (Postfix compat_level.c).
 */
static int cfg_levelcmp(const char *a, const char *b)
{
    while (*a || *b) {
        char *ea;
        char *eb;
        unsigned long na = strtoul(a, &ea, 10);
        unsigned long nb = strtoul(b, &eb, 10);

        if (ea == a && *a && *a != '.')
            msg_warn("bad compatibility level: \"%s\"", a);
        if (eb == b && *b && *b != '.')
            msg_warn("bad compatibility level: \"%s\"", b);
        if (na != nb)
            return na < nb ? -1 : 1;
        a = *ea == '.' ? ea + 1 : ea + strlen(ea);
        b = *eb == '.' ? eb + 1 : eb + strlen(eb);
    }
    return 0;
}

/*
 * cfg_choose - the "? {x} : {y}" tail of ${...} at p (after the name or
 * relation). cond selects x (non-empty/true) or y. Returns 0, or -1 on a
 * syntax error.
 */
static int cfg_choose(VSTR *out, const char *p, const char *end, int cond, int depth)
{
    const char *text;
    size_t len;
    const char *q;

    p = cfg_skip_ws(p, end);
    if (p >= end) /* no action: a relation alone expands to nothing */
        return 0;
    if (*p == '?') {
        p = cfg_skip_ws(p + 1, end);
        if (p < end && *p == '{') {
            if ((q = cfg_braced(p, end, &text, &len)) == NULL)
                return -1;
            if (cond)
                cfg_expand_mem(out, text, len, depth + 1);
            p = cfg_skip_ws(q, end);
            if (p >= end)
                return 0;
            if (*p != ':')
                return -1;
        } else {
            /* ${name?value}: the rest is the value. */
            if (cond)
                cfg_expand_mem(out, p, (size_t)(end - p), depth + 1);
            return 0;
        }
    }
    if (*p != ':')
        return -1;
    p = cfg_skip_ws(p + 1, end);
    if (p < end && *p == '{') {
        if ((q = cfg_braced(p, end, &text, &len)) == NULL)
            return -1;
        if (cfg_skip_ws(q, end) != end)
            return -1;
    } else {
        text = p;
        len = (size_t)(end - p);
    }
    if (!cond)
        cfg_expand_mem(out, text, len, depth + 1);
    return 0;
}

/* cfg_relation - ${{a} OP {b} ...}: evaluate and choose. */
static void cfg_relation(VSTR *out, const char *p, const char *end, int depth)
{
    const char *text;
    size_t len;
    VSTR *a = vstr_alloc(32);
    VSTR *b = vstr_alloc(32);
    char op[3] = {0, 0, 0};
    int level = 0;
    int cmp;
    int cond;
    const char *start = p;

    if ((p = cfg_braced(p, end, &text, &len)) == NULL)
        goto bad;
    cfg_expand_mem(a, text, len, depth + 1);
    p = cfg_skip_ws(p, end);
    if (p < end && strchr("=!<>", *p))
        op[0] = *p++;
    if (p < end && *p == '=')
        op[1] = *p++;
    if (strcmp(op, "==") && strcmp(op, "!=") && strcmp(op, "<") && strcmp(op, "<=") &&
        strcmp(op, ">") && strcmp(op, ">="))
        goto bad;
    if (end - p >= 5 && strncmp(p, "level", 5) == 0) {
        if (op[0] == '=' || op[0] == '!')
            goto bad;
        level = 1;
        p += 5;
    }
    p = cfg_skip_ws(p, end);
    if ((p = cfg_braced(p, end, &text, &len)) == NULL)
        goto bad;
    cfg_expand_mem(b, text, len, depth + 1);
    if (level)
        cmp = cfg_levelcmp(VSTR_STR(a), VSTR_STR(b));
    else if (cfg_is_digits(VSTR_STR(a)) && cfg_is_digits(VSTR_STR(b)))
        cmp = cfg_numcmp(VSTR_STR(a), VSTR_STR(b));
    else
        cmp = strcmp(VSTR_STR(a), VSTR_STR(b));
    if (op[0] == '=')
        cond = cmp == 0;
    else if (op[0] == '!')
        cond = cmp != 0;
    else if (op[0] == '<')
        cond = op[1] ? cmp <= 0 : cmp < 0;
    else
        cond = op[1] ? cmp >= 0 : cmp > 0;
    if (cfg_choose(out, p, end, cond, depth) < 0)
        goto bad;
    vstr_free(a);
    vstr_free(b);
    return;

bad:
    msg_warn("bad relational expression: \"{%.*s}\"", (int)(end - start), start);
    vstr_free(a);
    vstr_free(b);
}

/* cfg_expand_macro - the inside of ${...} or $(...). */
static void cfg_expand_macro(VSTR *out, const char *s, size_t len, int depth)
{
    const char *end = s + len;
    const char *p = cfg_skip_ws(s, end);
    const char *name_end;
    char *name;
    const char *value;

    if (p < end && *p == '{') {
        cfg_relation(out, p, end, depth);
        return;
    }
    for (name_end = p; name_end < end && cfg_isname(*name_end); name_end++)
        /* void */;
    if (name_end == p) {
        msg_warn("empty macro name: \"${%.*s}\"", (int)len, s);
        return;
    }
    name = mystrndup(p, (size_t)(name_end - p));
    value = cfg_lookup(name, depth + 1);
    p = cfg_skip_ws(name_end, end);
    if (p >= end)
        vstr_addstr(out, value);
    else if (cfg_choose(out, p, end, *value != 0, depth) < 0)
        msg_warn("bad macro syntax: \"${%.*s}\"", (int)len, s);
    myfree(name);
}

/* cfg_expand_mem - expand len bytes of text at s, appending to out. */
static void cfg_expand_mem(VSTR *out, const char *s, size_t len, int depth)
{
    const char *end = s + len;
    const char *dollar;
    const char *p;

    if (depth > CFG_MAX_DEPTH)
        msg_fatal("unreasonable macro call nesting (recursion): \"%.*s\"", (int)len, s);
    while (s < end) {
        if ((dollar = memchr(s, '$', (size_t)(end - s))) == NULL) {
            vstr_addmem(out, s, (size_t)(end - s));
            break;
        }
        vstr_addmem(out, s, (size_t)(dollar - s));
        s = dollar + 1;
        if (s >= end) {
            vstr_addch(out, '$');
            break;
        }
        if (*s == '$') {
            vstr_addch(out, '$');
            s++;
        } else if (*s == '{' || *s == '(') {
            char open = *s;
            char close = open == '{' ? '}' : ')';
            int level = 1;

            for (p = s + 1; p < end; p++) {
                if (*p == open)
                    level++;
                else if (*p == close && --level == 0)
                    break;
            }
            if (p >= end) {
                msg_warn("truncated macro reference: \"$%.*s\"", (int)(end - s), s);
                vstr_addch(out, '$');
                vstr_addmem(out, s, (size_t)(end - s));
                break;
            }
            cfg_expand_macro(out, s + 1, (size_t)(p - s - 1), depth);
            s = p + 1;
        } else if (cfg_isname(*s)) {
            char *name;

            for (p = s; p < end && cfg_isname(*p); p++)
                /* void */;
            name = mystrndup(s, (size_t)(p - s));
            vstr_addstr(out, cfg_lookup(name, depth + 1));
            myfree(name);
            s = p;
        } else {
            msg_warn("empty macro name: \"$%.*s\"", (int)(end - s), s);
            vstr_addch(out, '$');
        }
    }
}

/* cfg_lookup - the cached expanded value of name ("" if unknown). */
static const char *cfg_lookup(const char *name, int depth)
{
    CFG_ENT *e = cfg_find(name);
    const char *raw;
    VSTR *out;

    if (e && e->cache)
        return e->cache;
    if (depth > CFG_MAX_DEPTH)
        msg_fatal("unreasonable macro call nesting (recursion): \"%s\"", name);
    raw = e && e->value ? e->value : cfg_default_depth(name, depth);
    if (raw == NULL)
        return "";
    out = vstr_alloc(strlen(raw) + 1);
    cfg_expand_mem(out, raw, strlen(raw), depth);
    e = cfg_enter(name);
    if (e->cache) /* filled by a recursive call: keep one */
        cfg_retire(e->cache);
    e->cache = vstr_export(out);
    return e->cache;
}

/*
 * main.cf parsing.
 */

/* cfg_refers - does text contain $name, ${name...} or $(name...)? */
static int cfg_refers(const char *text, const char *name)
{
    size_t nlen = strlen(name);
    const char *p;

    for (p = strchr(text, '$'); p; p = strchr(p + 1, '$')) {
        const char *q = p + 1;

        if (*q == '{' || *q == '(')
            q++;
        if (strncmp(q, name, nlen) == 0 && !cfg_isname(q[nlen]))
            return 1;
    }
    return 0;
}

/* cfg_per_transport - NAME is TRANSPORT_SUFFIX with default_SUFFIX known. */
static int cfg_per_transport(const char *name)
{
    const char *p;
    char *def;
    int known;

    for (p = strchr(name, '_'); p; p = strchr(p + 1, '_')) {
        def = mymalloc(strlen(p) + sizeof("default"));
        strcpy(def, "default");
        strcat(def, p);
        known = cfg_table_find(def) != NULL;
        myfree(def);
        if (known)
            return 1;
    }
    return 0;
}

/*
 * cfg_is_used - known, per-transport, or referenced by another setting or
 * by master.cf (Postfix postconf's notion of a used parameter).
 */
int cfg_is_used(const char *name)
{
    CFG_ENT *o;
    int j;

    if (cfg_table_find(name) || cfg_per_transport(name))
        return 1;
    if (cfg_master_text && cfg_refers(cfg_master_text, name))
        return 1;
    for (j = 0; j < CFG_HASH_SIZE; j++)
        for (o = cfg_hash[j]; o; o = o->next)
            if (strcmp(o->name, name) != 0 && o->value && cfg_refers(o->value, name))
                return 1;
    return 0;
}

/*
 * cfg_warn_unused - Postfix's postconf "unused parameter" warning, with the
 * line, for each main.cf setting of the last cfg_init() that nothing knows
 * or refers to (cfg_is_used()). Only postconf(1) calls this: Postfix's
 * daemons do not warn about unused parameters.
 */
void cfg_warn_unused(void)
{
    CFG_ENT *e;
    int i;

    for (i = 0; i < CFG_HASH_SIZE; i++)
        for (e = cfg_hash[i]; e; e = e->next)
            if (e->origin == CFG_ORIGIN_FILE && !cfg_is_used(e->name))
                msg_warn("%s, line %d: unused parameter: %s=%s", cfg_path, e->line, e->name,
                         e->value);
}

/* cfg_logical_line - split "name = value" and store it. */
static void cfg_logical_line(char *text, int line)
{
    char *p = text;
    char *name_end;
    char *value;
    char *vend;

    while (*p && !isspace((unsigned char)*p) && *p != '=')
        p++;
    name_end = p;
    while (*p && isspace((unsigned char)*p))
        p++;
    if (name_end == text)
        msg_fatal("%s, line %d: missing attribute name: \"%s\"", cfg_path, line, text);
    if (*p != '=')
        msg_fatal("%s, line %d: missing '=' after attribute name: \"%s\"", cfg_path, line, text);
    *name_end = 0;
    value = p + 1;
    while (*value && isspace((unsigned char)*value))
        value++;
    vend = value + strlen(value);
    while (vend > value && isspace((unsigned char)vend[-1]))
        *--vend = 0;
    cfg_set(text, value, CFG_ORIGIN_FILE, line);
}

/* cfg_read_file - the whole text of path, or NULL if it does not exist. */
static char *cfg_read_file(const char *path, int must_exist)
{
    FILE *fp;
    VSTR *buf;
    char chunk[4096];
    size_t n;

    if ((fp = fopen(path, "r")) == NULL) {
        if (errno == ENOENT && !must_exist)
            return NULL;
        msg_fatal("open %s: %m", path);
    }
    buf = vstr_alloc(sizeof(chunk));
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        vstr_addmem(buf, chunk, n);
    if (ferror(fp))
        msg_fatal("read %s: %m", path);
    fclose(fp);
    return vstr_export(buf);
}

/*
 * cfg_init - read DIR/main.cf (DIR: the argument, else $MAIL_CONFIG, else
 * DEF_CONFIG_DIR), replacing any previous configuration. A missing main.cf
 * means all defaults. Fatal on a malformed line (file, line and text).
 */
void cfg_init(const char *config_dir)
{
    const char *dir = config_dir;
    char *text;
    char *master_path;
    char *line;
    char *next;
    VSTR *logical = vstr_alloc(256);
    int lineno = 0;
    int start_line = 0;
    int explicit_dir = 1;

    if (dir == NULL || *dir == 0)
        dir = getenv("MAIL_CONFIG");
    if (dir == NULL || *dir == 0) {
        dir = DEF_CONFIG_DIR;
        explicit_dir = 0;
    }
    cfg_free_all();
    myfree(cfg_path);
    cfg_path = mymalloc(strlen(dir) + sizeof("/main.cf"));
    strcpy(cfg_path, dir);
    strcat(cfg_path, "/main.cf");

    if ((text = cfg_read_file(cfg_path, 0)) != NULL) {
        for (line = text; line && *line; line = next) {
            const char *p;

            if ((next = strchr(line, '\n')) != NULL)
                *next++ = 0;
            lineno++;
            for (p = line; isspace((unsigned char)*p); p++)
                /* void */;
            if (*p == 0 || *p == '#')
                continue; /* blank or comment: does not end a logical line */
            if (p != line) {
                if (start_line == 0) {
                    msg_warn("%s, line %d: logical line must not start with white space: "
                             "\"%s\"",
                             cfg_path, lineno, line);
                    continue;
                }
                vstr_addstr(logical, line);
                continue;
            }
            if (start_line)
                cfg_logical_line(VSTR_STR(logical), start_line);
            vstr_strcpy(logical, line);
            start_line = lineno;
        }
        if (start_line)
            cfg_logical_line(VSTR_STR(logical), start_line);
        myfree(text);
    }
    vstr_free(logical);

    /* Names used only by master.cf -o settings are not "unused". */
    master_path = mymalloc(strlen(dir) + sizeof("/master.cf"));
    strcpy(master_path, dir);
    strcat(master_path, "/master.cf");
    myfree(cfg_master_text);
    cfg_master_text = cfg_read_file(master_path, 0);
    myfree(master_path);

    if (explicit_dir)
        cfg_set("config_directory", dir, CFG_ORIGIN_OVERRIDE, 0);
}

/* cfg_main_cf_path - the main.cf path of the last cfg_init(). */
const char *cfg_main_cf_path(void)
{
    return cfg_path ? cfg_path : DEF_CONFIG_DIR "/main.cf";
}

/*
 * cfg_str - the expanded value of name, cached; "" when it is neither set
 * nor known. Valid until cfg_init()/cfg_override().
 */
const char *cfg_str(const char *name)
{
    return cfg_lookup(name, 0);
}

/* cfg_expand - expand arbitrary text; the result is mymalloc'ed. */
char *cfg_expand(const char *text)
{
    VSTR *out = vstr_alloc(strlen(text) + 1);

    cfg_expand_mem(out, text, strlen(text), 0);
    return vstr_export(out);
}

/* cfg_raw - the unexpanded setting, else the default, else NULL. */
const char *cfg_raw(const char *name)
{
    CFG_ENT *e = cfg_find(name);

    if (e && e->value)
        return e->value;
    return cfg_default(name);
}

/* cfg_default - the built-in default (unexpanded), or NULL if unknown. */
const char *cfg_default(const char *name)
{
    return cfg_default_depth(name, 0);
}

/* cfg_is_set - whether main.cf or an override set name. */
int cfg_is_set(const char *name)
{
    CFG_ENT *e = cfg_find(name);

    return e != NULL && e->value != NULL;
}

/* cfg_is_known - whether name is in the built-in table. */
int cfg_is_known(const char *name)
{
    return cfg_table_find(name) != NULL;
}

/* cfg_bad_number - the fatal error for a malformed numerical value. */
static void cfg_bad_number(const char *name, const char *value) __attribute__((noreturn));
static void cfg_bad_number(const char *name, const char *value)
{
    msg_fatal("bad numerical configuration: %s = %s", name, value);
}

/* cfg_long - decimal value of name (may be negative); fatal if malformed. */
long cfg_long(const char *name)
{
    const char *value = cfg_str(name);
    char *end;
    long result;

    errno = 0;
    result = strtol(value, &end, 10);
    if (*value == 0 || *end != 0 || errno == ERANGE || isspace((unsigned char)*value))
        cfg_bad_number(name, value);
    return result;
}

/* cfg_bool - "yes" 1, "no" 0 (case-insensitive); fatal otherwise. */
int cfg_bool(const char *name)
{
    const char *value = cfg_str(name);

    if (strcasecmp(value, "yes") == 0)
        return 1;
    if (strcasecmp(value, "no") == 0)
        return 0;
    msg_fatal("bad boolean configuration: %s = %s", name, value);
}

/*
 * cfg_parse_time - seconds for "N" (unit def_unit) or "N[smhdw]"; -1 if
 * malformed or negative or too large.
 */
long cfg_parse_time(const char *value, int def_unit)
{
    char *end;
    long n;
    long mult;
    int unit;

    if (!isdigit((unsigned char)*value))
        return -1;
    errno = 0;
    n = strtol(value, &end, 10);
    if (errno == ERANGE)
        return -1;
    if (*end == 0)
        unit = def_unit;
    else if (end[1] == 0)
        unit = tolower((unsigned char)*end);
    else
        return -1;
    switch (unit) {
    case 's':
        mult = 1;
        break;
    case 'm':
        mult = 60;
        break;
    case 'h':
        mult = 3600;
        break;
    case 'd':
        mult = 86400;
        break;
    case 'w':
        mult = 7 * 86400;
        break;
    default:
        return -1;
    }
    if (n > __LONG_MAX__ / mult)
        return -1;
    return n * mult;
}

/* cfg_time - name in seconds, default unit from the table; fatal if bad. */
long cfg_time(const char *name)
{
    const CFG_PARAM *p = cfg_table_find(name);
    const char *value = cfg_str(name);
    long result = cfg_parse_time(value, p ? p->unit : 's');

    if (result < 0)
        cfg_bad_number(name, value);
    return result;
}

/*
 * cfg_split_list - split value at runs of ", \t\r\n" as Postfix's
 * mystrtokq(..., CHARS_COMMA_SP, CHARS_BRACE) does: a "{...}" group (nested
 * groups included) is never split, so "inline:{ a=b, c=d }, hash:/x" gives
 * two elements; the braces stay in the element. An unbalanced '{' extends
 * the element to the end of value. Empty elements are dropped. Returns a
 * fresh ARGV (argv_free); value NULL gives an empty list.
 */
ARGV *cfg_split_list(const char *value)
{
    ARGV *list = argv_alloc(8);
    const char *p = value ? value : "";
    const char *start;
    int depth;

    for (;;) {
        p += strspn(p, CFG_LIST_DELIMS);
        if (*p == 0)
            break;
        for (start = p, depth = 0; *p; p++) {
            if (*p == '{')
                depth++;
            else if (*p == '}' && depth > 0)
                depth--;
            else if (depth == 0 && strchr(CFG_LIST_DELIMS, *p) != NULL)
                break;
        }
        argv_addn(list, start, (size_t)(p - start));
    }
    return list;
}

/*
 * cfg_list - the expanded value of name split with cfg_split_list() (brace
 * groups kept whole); free with argv_free.
 */
ARGV *cfg_list(const char *name)
{
    return cfg_split_list(cfg_str(name));
}

/*
 * cfg_transport_long - TRANSPORT_SUFFIX when set (or known), else the
 * fallback parameter (Postfix per-transport parameters, reference 5.1).
 */
long cfg_transport_long(const char *transport, const char *suffix, const char *fallback)
{
    char *name = mymalloc(strlen(transport) + strlen(suffix) + 2);
    long result;

    strcpy(name, transport);
    if (*suffix != '_') /* accept "destination_x" and "_destination_x" alike */
        strcat(name, "_");
    strcat(name, suffix);
    if (cfg_is_set(name) || cfg_is_known(name))
        result = cfg_long(name);
    else
        result = cfg_long(fallback);
    myfree(name);
    return result;
}

/* cfg_override - apply "-o name=value"; value is expanded lazily. */
void cfg_override(const char *name, const char *value)
{
    cfg_invalidate();
    cfg_set(name, value, CFG_ORIGIN_OVERRIDE, 0);
}

/* cfg_set_service - set $service_name for expansions. */
void cfg_set_service(const char *service_name)
{
    cfg_override("service_name", service_name);
}

/* cfg_foreach_known - every table parameter in name order, with its default. */
void cfg_foreach_known(void (*fn)(const char *name, const char *defval, void *ctx), void *ctx)
{
    int i;

    for (i = 0; i < cfg_param_count; i++)
        fn(cfg_params[i].name, cfg_default(cfg_params[i].name), ctx);
}

/* cfg_ent_cmp - qsort by name. */
static int cfg_ent_cmp(const void *a, const void *b)
{
    return strcmp((*(CFG_ENT *const *)a)->name, (*(CFG_ENT *const *)b)->name);
}

/* cfg_foreach_set - every parameter set in main.cf or by override, sorted. */
void cfg_foreach_set(void (*fn)(const char *name, const char *value, void *ctx), void *ctx)
{
    CFG_ENT **list = NULL;
    size_t n = 0;
    size_t cap = 0;
    size_t k;
    CFG_ENT *e;
    int i;

    for (i = 0; i < CFG_HASH_SIZE; i++) {
        for (e = cfg_hash[i]; e; e = e->next) {
            if (e->value == NULL)
                continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 64;
                list = myrealloc(list, cap * sizeof(*list));
            }
            list[n++] = e;
        }
    }
    if (n)
        qsort(list, n, sizeof(*list), cfg_ent_cmp);
    for (k = 0; k < n; k++)
        fn(list[k]->name, list[k]->value, ctx);
    myfree(list);
}
