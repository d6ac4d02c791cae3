/*
 * resolve - which class an address belongs to and where it goes (Postfix's
 * trivial-rewrite resolve, done in-process; reference 4.6).
 *
 * resolve_init() reads the configuration once per process (call it again
 * after cfg_init on reload): mydestination, inet_interfaces,
 * proxy_interfaces, myhostname, myorigin, virtual_alias_domains (default
 * $virtual_alias_maps), virtual_mailbox_domains (default
 * $virtual_mailbox_maps), relay_domains, relayhost, local_transport,
 * virtual_transport, relay_transport, default_transport, transport_maps.
 * Domain lists may contain domains, /file names and type:table entries
 * (a domain matches a table when the table has the domain as a key).
 *
 * resolve_addr(addr, reply) classifies addr (unquoted internal form; an
 * address without '@' is local), in the order of reference 4.6: local
 * (mydestination, inet_interfaces/proxy_interfaces as [ip]), alias
 * (transport "error", nexthop "5.1.1 User unknown in virtual alias table"),
 * virtual, relay, default; then transport_maps may override transport and/or
 * nexthop. Fills reply->klass (RESOLVE_CLASS_*), transport, nexthop (for
 * local: $myhostname; virtual: the domain; relay/default: $relayhost if set,
 * else the domain) and recipient (the address). Returns 0, or -1 when a
 * table lookup failed (reply->error = DICT_ERR_*): the caller must defer
 * (451 4.3.0 in smtpd, retry in qmgr). reply_alloc/free manage replies.
 * resolve_local_domain(domain): 1 if the domain is local class (mydestination
 * or our interface addresses), 0 if not, -1 on a table error.
 */
#ifndef POSTERN_RESOLVE_H
#define POSTERN_RESOLVE_H

#include "vstr.h"

#define RESOLVE_CLASS_LOCAL 0x100
#define RESOLVE_CLASS_ALIAS 0x200
#define RESOLVE_CLASS_VIRTUAL 0x400
#define RESOLVE_CLASS_RELAY 0x800
#define RESOLVE_CLASS_DEFAULT 0x1000

typedef struct RESOLVE_REPLY {
    int klass;       /* RESOLVE_CLASS_* */
    int error;       /* DICT_ERR_* when resolve_addr returned -1 */
    VSTR *transport; /* "virtual", "local", "smtp", "error" */
    VSTR *nexthop;   /* "example.test", "[127.0.0.1]:25", error text */
    VSTR *recipient; /* the address */
} RESOLVE_REPLY;

extern void resolve_init(void);
extern RESOLVE_REPLY *resolve_reply_alloc(void);
extern void resolve_reply_free(RESOLVE_REPLY *reply);
extern int resolve_addr(const char *addr, RESOLVE_REPLY *reply);
extern int resolve_local_domain(const char *domain);

#endif
