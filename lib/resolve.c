/*
 * NAME
 *	resolve - address class, transport and nexthop (in-process
 *	trivial-rewrite resolve)
 *
 * SYNOPSIS
 *	#include "resolve.h"
 *
 * DESCRIPTION
 *	Classifies an address the way Postfix's trivial-rewrite(8) does
 *	(reference 4.6, traps 17 and 18), in this order, first match wins:
 *	local (mydestination, or a "[ip]" literal of one of our
 *	inet_interfaces/proxy_interfaces addresses), alias
 *	(virtual_alias_domains, default $virtual_alias_maps), virtual
 *	(virtual_mailbox_domains, default $virtual_mailbox_maps), relay
 *	(relay_domains), default. Then transport_maps may override the
 *	transport and/or nexthop (not for the alias class).
 *
 *	Domain lists hold domain names (".example" matches subdomains;
 *	relay_domains also matches subdomains of a listed name, as
 *	parent_domain_matches_subdomains says by default), "!name" negations,
 *	"/file" names whose contents are more list entries, and "type:table"
 *	entries, which match when the table has the domain (or, for
 *	relay_domains, a parent domain) as a key.
 *
 * DIAGNOSTICS
 *	A table lookup error makes resolve_addr() return -1 with
 *	reply->error set: callers defer (trap 13). Unreadable /file entries
 *	are logged with msg_warn.
 */
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "argv.h"
#include "config.h"
#include "dict.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve.h"
#include "vstr.h"

/* One domain list (mydestination, relay_domains, ...). */
typedef struct DOMAIN_LIST {
    ARGV *names;    /* literal patterns, lower case, "!" kept */
    MAPS **tables;  /* type:table entries, in list order */
    int *table_pos; /* position of each table among all entries */
    int ntables;
    int parent; /* "example.com" matches sub.example.com too */
} DOMAIN_LIST;

static DOMAIN_LIST *local_domains;
static DOMAIN_LIST *alias_domains;
static DOMAIN_LIST *virtual_domains;
static DOMAIN_LIST *relay_domains;
static ARGV *interface_addrs; /* numeric addresses of our interfaces */
static MAPS *transport_maps;
static int resolve_ready;

/* Add the entries of a list value, reading "/file" entries recursively. */
static void domain_list_add(DOMAIN_LIST *list, const char *title, const char *value, int depth)
{
    ARGV *words = cfg_split_list(value);
    int i;

    for (i = 0; i < words->argc; i++) {
        const char *w = words->argv[i];
        if (*w == '/' && depth < 10) {
            FILE *fp = fopen(w, "r");
            VSTR *content = vstr_alloc(256);
            int ch;
            if (fp == 0) {
                msg_warn("%s: open %s: %m", title, w);
                vstr_free(content);
                continue;
            }
            while ((ch = getc(fp)) != EOF)
                vstr_addch(content, ch);
            fclose(fp);
            /* Drop # comments line by line. */
            {
                VSTR *clean = vstr_alloc(content->len + 1);
                const char *p = content->buf;
                while (*p) {
                    const char *nl = strchr(p, '\n');
                    size_t n = nl ? (size_t)(nl - p) : strlen(p);
                    const char *q = p;
                    while (q < p + n && isspace((unsigned char)*q))
                        q++;
                    if (q < p + n && *q != '#') {
                        vstr_addmem(clean, p, n);
                        vstr_addch(clean, '\n');
                    }
                    p += n;
                    if (*p == '\n')
                        p++;
                }
                domain_list_add(list, title, clean->buf, depth + 1);
                vstr_free(clean);
            }
            vstr_free(content);
        } else if (strchr(w, ':') != 0 && *w != '[' && *w != '!') {
            list->tables = myrealloc(list->tables, sizeof(MAPS *) * (size_t)(list->ntables + 1));
            list->table_pos = myrealloc(list->table_pos, sizeof(int) * (size_t)(list->ntables + 1));
            list->tables[list->ntables] = maps_create(title, w, DICT_FLAGS_DEFAULT);
            list->table_pos[list->ntables] = list->names->argc;
            list->ntables++;
        } else {
            VSTR *low = vstr_alloc(strlen(w) + 1);
            addr_lowercase(w, low);
            argv_add(list->names, low->buf, (char *)0);
            vstr_free(low);
        }
    }
    argv_free(words);
}

static DOMAIN_LIST *domain_list_create(const char *title, const char *value, int parent)
{
    DOMAIN_LIST *list = mymalloc(sizeof(*list));

    list->names = argv_alloc(4);
    list->tables = 0;
    list->table_pos = 0;
    list->ntables = 0;
    list->parent = parent;
    domain_list_add(list, title, value, 0);
    return list;
}

static void domain_list_free(DOMAIN_LIST *list)
{
    int i;

    if (list == 0)
        return;
    argv_free(list->names);
    for (i = 0; i < list->ntables; i++)
        maps_free(list->tables[i]);
    myfree(list->tables);
    myfree(list->table_pos);
    myfree(list);
}

/* Does one literal pattern match the (lower-case) domain? */
static int domain_pattern_match(const char *pat, const char *domain, int parent)
{
    size_t dl = strlen(domain);
    size_t pl = strlen(pat);

    if (strcmp(pat, domain) == 0)
        return 1;
    if (*pat == '.' && pl > 1 && dl > pl && strcmp(domain + dl - pl, pat) == 0)
        return 1;
    if (parent && *pat != '.' && dl > pl + 1 && domain[dl - pl - 1] == '.' &&
        strcmp(domain + dl - pl, pat) == 0)
        return 1;
    return 0;
}

/* Look the domain (and parents when asked) up in one table: 1 found, 0 not,
 * -1 error (*err set). */
static int domain_table_match(MAPS *maps, const char *domain, int parent, int *err)
{
    const char *p = domain;

    if (maps_find(maps, domain, 0) != 0)
        return 1;
    if (maps->error) {
        *err = maps->error;
        return -1;
    }
    if (!parent)
        return 0;
    while ((p = strchr(p + 1, '.')) != 0) {
        if (maps_find(maps, p + 1, MAPS_FIND_FIXED_ONLY) != 0)
            return 1;
        if (maps->error) {
            *err = maps->error;
            return -1;
        }
        if (maps_find(maps, p, MAPS_FIND_FIXED_ONLY) != 0)
            return 1;
        if (maps->error) {
            *err = maps->error;
            return -1;
        }
    }
    return 0;
}

/* Match a lower-case domain against a list: 1 match, 0 no match, -1 error. */
static int domain_list_match(DOMAIN_LIST *list, const char *domain, int *err)
{
    int i;
    int t = 0;

    for (i = 0; i <= list->names->argc; i++) {
        while (t < list->ntables && list->table_pos[t] == i) {
            int r = domain_table_match(list->tables[t], domain, list->parent, err);
            if (r != 0)
                return r;
            t++;
        }
        if (i == list->names->argc)
            break;
        {
            const char *pat = list->names->argv[i];
            int neg = 0;
            while (*pat == '!') {
                neg = !neg;
                pat++;
            }
            if (domain_pattern_match(pat, domain, list->parent))
                return neg ? 0 : 1;
        }
    }
    return 0;
}

/* Normalize a numeric address (IPv4-mapped IPv6 becomes IPv4). */
static void add_numeric(const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN + 1];

    if (sa == 0)
        return;
    if (sa->sa_family == AF_INET) {
        if (inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, sizeof(buf)))
            argv_add(interface_addrs, buf, (char *)0);
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            if (inet_ntop(AF_INET, &a6->s6_addr[12], buf, sizeof(buf)))
                argv_add(interface_addrs, buf, (char *)0);
        } else if (inet_ntop(AF_INET6, a6, buf, sizeof(buf))) {
            argv_add(interface_addrs, buf, (char *)0);
        }
    }
}

/* Collect the addresses of inet_interfaces and proxy_interfaces. */
static void interfaces_init(void)
{
    static const char *params[] = {"inet_interfaces", "proxy_interfaces"};
    size_t n;
    int i;

    interface_addrs = argv_alloc(4);
    for (n = 0; n < sizeof(params) / sizeof(params[0]); n++) {
        ARGV *words;
        if (!cfg_is_known(params[n]) && !cfg_is_set(params[n]))
            continue;
        words = argv_split(cfg_str(params[n]), CFG_LIST_DELIMS);
        for (i = 0; i < words->argc; i++) {
            const char *w = words->argv[i];
            if (strcasecmp(w, "all") == 0) {
                struct ifaddrs *ifa0, *ifa;
                if (getifaddrs(&ifa0) == 0) {
                    for (ifa = ifa0; ifa; ifa = ifa->ifa_next)
                        add_numeric(ifa->ifa_addr);
                    freeifaddrs(ifa0);
                }
            } else if (strcasecmp(w, "loopback-only") == 0) {
                argv_add(interface_addrs, "127.0.0.1", "::1", (char *)0);
            } else {
                struct addrinfo hints, *res, *ai;
                VSTR *host = vstr_alloc(strlen(w) + 1);
                memset(&hints, 0, sizeof(hints));
                hints.ai_socktype = SOCK_STREAM;
                if (*w == '[') {
                    vstr_strcpy(host, w + 1);
                    if (host->len && host->buf[host->len - 1] == ']')
                        vstr_truncate(host, host->len - 1);
                } else {
                    vstr_strcpy(host, w);
                }
                if (getaddrinfo(host->buf, 0, &hints, &res) == 0) {
                    for (ai = res; ai; ai = ai->ai_next)
                        add_numeric(ai->ai_addr);
                    freeaddrinfo(res);
                } else {
                    msg_warn("%s: cannot resolve \"%s\"", params[n], w);
                }
                vstr_free(host);
            }
        }
        argv_free(words);
    }
}

/*
 * resolve_init - read the configuration (call again after a reload)
 *
 * Opens the domain lists and transport_maps named in the file header.
 * Lookups are done lazily; tables that cannot be opened report errors at
 * lookup time (dict_open's surrogate tables). The new lists are built
 * before the old ones are freed, so a table named both times stays open
 * (maps.c shares open tables): a chrooted daemon whose tables were opened
 * before chroot(2) (lib/server.c calls resolve_init() then) can call
 * resolve_init() again inside the jail.
 */
void resolve_init(void)
{
    DOMAIN_LIST *old_local = local_domains;
    DOMAIN_LIST *old_alias = alias_domains;
    DOMAIN_LIST *old_virtual = virtual_domains;
    DOMAIN_LIST *old_relay = relay_domains;
    ARGV *old_addrs = interface_addrs;
    MAPS *old_transport = transport_maps;

    local_domains = domain_list_create("mydestination", cfg_str("mydestination"), 0);
    alias_domains =
        domain_list_create("virtual_alias_domains", cfg_str("virtual_alias_domains"), 0);
    virtual_domains =
        domain_list_create("virtual_mailbox_domains", cfg_str("virtual_mailbox_domains"), 0);
    relay_domains = domain_list_create("relay_domains", cfg_str("relay_domains"), 1);
    transport_maps = maps_create("transport_maps", cfg_str("transport_maps"), DICT_FLAGS_DEFAULT);
    interfaces_init();
    domain_list_free(old_local);
    domain_list_free(old_alias);
    domain_list_free(old_virtual);
    domain_list_free(old_relay);
    if (old_addrs)
        argv_free(old_addrs);
    if (old_transport)
        maps_free(old_transport);
    resolve_ready = 1;
}

/*
 * resolve_reply_alloc/resolve_reply_free - manage a RESOLVE_REPLY.
 */
RESOLVE_REPLY *resolve_reply_alloc(void)
{
    RESOLVE_REPLY *reply = mymalloc(sizeof(*reply));

    reply->klass = 0;
    reply->error = 0;
    reply->transport = vstr_alloc(16);
    reply->nexthop = vstr_alloc(32);
    reply->recipient = vstr_alloc(64);
    return reply;
}

void resolve_reply_free(RESOLVE_REPLY *reply)
{
    vstr_free(reply->transport);
    vstr_free(reply->nexthop);
    vstr_free(reply->recipient);
    myfree(reply);
}

/* Is "[addr]" or "[IPv6:addr]" one of our interface addresses? */
static int literal_is_ours(const char *domain)
{
    size_t len = strlen(domain);
    VSTR *ip;
    int i;
    int found = 0;
    unsigned char bin[sizeof(struct in6_addr)];
    char norm[INET6_ADDRSTRLEN + 1];

    if (len < 3 || domain[0] != '[' || domain[len - 1] != ']')
        return 0;
    ip = vstr_alloc(len);
    vstr_memcpy(ip, domain + 1, len - 2);
    if (strncasecmp(ip->buf, "IPv6:", 5) == 0) {
        VSTR *tmp = vstr_alloc(len);
        vstr_strcpy(tmp, ip->buf + 5);
        vstr_strcpy(ip, tmp->buf);
        vstr_free(tmp);
    }
    /* Canonicalize so "::0001" matches "::1". */
    if (inet_pton(AF_INET6, ip->buf, bin) == 1 && inet_ntop(AF_INET6, bin, norm, sizeof(norm)))
        vstr_strcpy(ip, norm);
    for (i = 0; interface_addrs && i < interface_addrs->argc; i++) {
        if (strcasecmp(interface_addrs->argv[i], ip->buf) == 0) {
            found = 1;
            break;
        }
    }
    vstr_free(ip);
    return found;
}

/* Lower-case the domain and drop one trailing dot. */
static void domain_normalize(const char *domain, VSTR *out)
{
    addr_lowercase(domain, out);
    if (out->len > 1 && out->buf[out->len - 1] == '.')
        vstr_truncate(out, out->len - 1);
}

/*
 * resolve_local_domain - is a domain of the local class?
 *
 * Returns 1 when the domain matches mydestination or is an address literal
 * ("[127.0.0.1]", "[IPv6:::1]" or "[::1]") of one of our
 * inet_interfaces/proxy_interfaces addresses, 0 if not, -1 on a table
 * error. Smtpd uses the literal form to test whether a client address is
 * one of ours (permit_inet_interfaces).
 */
int resolve_local_domain(const char *domain)
{
    VSTR *dom;
    int err = 0;
    int r;

    if (!resolve_ready)
        resolve_init();
    dom = vstr_alloc(strlen(domain) + 1);
    domain_normalize(domain, dom);
    if (literal_is_ours(dom->buf))
        r = 1;
    else
        r = domain_list_match(local_domains, dom->buf, &err);
    vstr_free(dom);
    return r;
}

/* Split "transport:nexthop" into the reply, keeping the defaults for empty
 * fields. */
static void apply_transport(RESOLVE_REPLY *reply, const char *value)
{
    const char *colon = strchr(value, ':');

    if (colon == 0) {
        if (*value)
            vstr_strcpy(reply->transport, value);
        return;
    }
    if (colon > value)
        vstr_memcpy(reply->transport, value, (size_t)(colon - value));
    if (colon[1])
        vstr_strcpy(reply->nexthop, colon + 1);
}

/*
 * resolve_addr - classify an address (reference 4.6)
 *
 * addr is the unquoted internal form; an address without '@' (or with an
 * empty domain) is local. Fills reply (see resolve.h). Returns 0, or -1
 * with reply->error = DICT_ERR_* when a table lookup failed.
 */
int resolve_addr(const char *addr, RESOLVE_REPLY *reply)
{
    const char *at = strrchr(addr, '@');
    VSTR *dom;
    int err = 0;
    int r = 0;
    const char *relayhost;

    if (!resolve_ready)
        resolve_init();
    reply->error = 0;
    vstr_strcpy(reply->recipient, addr);
    dom = vstr_alloc(64);
    if (at)
        domain_normalize(at + 1, dom);
    relayhost = cfg_str("relayhost");

    if (at == 0 || dom->len == 0 || literal_is_ours(dom->buf) ||
        (r = domain_list_match(local_domains, dom->buf, &err)) == 1) {
        reply->klass = RESOLVE_CLASS_LOCAL;
        vstr_strcpy(reply->transport, "local");
        vstr_strcpy(reply->nexthop, cfg_str("myhostname"));
        apply_transport(reply, cfg_str("local_transport"));
    } else if (r < 0) {
        goto fail;
    } else if ((r = domain_list_match(alias_domains, dom->buf, &err)) != 0) {
        if (r < 0)
            goto fail;
        reply->klass = RESOLVE_CLASS_ALIAS;
        vstr_strcpy(reply->transport, "error");
        vstr_strcpy(reply->nexthop, "5.1.1 User unknown in virtual alias table");
        vstr_free(dom);
        return 0; /* transport_maps cannot override this (trap 18) */
    } else if ((r = domain_list_match(virtual_domains, dom->buf, &err)) != 0) {
        if (r < 0)
            goto fail;
        reply->klass = RESOLVE_CLASS_VIRTUAL;
        vstr_strcpy(reply->transport, "virtual");
        vstr_strcpy(reply->nexthop, dom->buf);
        apply_transport(reply, cfg_str("virtual_transport"));
    } else if ((r = domain_list_match(relay_domains, dom->buf, &err)) != 0) {
        if (r < 0)
            goto fail;
        reply->klass = RESOLVE_CLASS_RELAY;
        vstr_strcpy(reply->transport, "relay");
        vstr_strcpy(reply->nexthop, *relayhost ? relayhost : dom->buf);
        apply_transport(reply, cfg_str("relay_transport"));
    } else {
        reply->klass = RESOLVE_CLASS_DEFAULT;
        vstr_strcpy(reply->transport, "smtp");
        vstr_strcpy(reply->nexthop, *relayhost ? relayhost : dom->buf);
        apply_transport(reply, cfg_str("default_transport"));
    }
    vstr_free(dom);

    if (transport_maps && transport_maps->count > 0) {
        const char *value = mail_addr_find(transport_maps, addr, 0, MAIL_ADDR_TRANSPORT);
        if (value)
            apply_transport(reply, value);
        else if (transport_maps->error) {
            reply->error = transport_maps->error;
            return -1;
        }
    }
    return 0;

fail:
    vstr_free(dom);
    reply->error = err ? err : DICT_ERR_RETRY;
    return -1;
}
