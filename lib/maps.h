/*
 * maps - a *_maps parameter: a list of tables searched in order, and the
 * address lookup strategies of Postfix (reference section 7.2).
 *
 * maps_create(title, value, dict_flags) opens every "type:name" in value
 * (comma/white-space separated); title (the parameter name) labels
 * warnings. An empty value gives an empty list (every lookup: not found).
 * Tables are cached per process: the same spec opened twice is one DICT.
 * maps_find(maps, key, flags) asks each table in turn and returns the first
 * value found. If a table reports an error, the search stops: the result is
 * NULL and maps->error is DICT_ERR_RETRY or DICT_ERR_CONFIG (trap 13: the
 * caller must defer, never treat it as "not found"). maps->error is
 * DICT_ERR_NONE after a clean miss. MAPS_FIND_FIXED_ONLY skips pattern
 * tables (regexp/pcre) for partial keys.
 * maps_free() releases the list.
 *
 * mail_addr_find(maps, address, extp, strategy) looks up an address with
 * the key sequence of reference 7.2, trying every table for one key before
 * the next key: for MAIL_ADDR_VIRTUAL (virtual_alias_maps, canonical_maps):
 * user+ext@domain, user@domain, user+ext and user (only when the domain is
 * local: $myorigin, $mydestination, inet_interfaces), @domain; for
 * MAIL_ADDR_MAILBOX (virtual_mailbox_maps, uid/gid maps): user+ext@domain,
 * user@domain, @domain; for MAIL_ADDR_TRANSPORT: user+ext@domain,
 * user@domain, domain, .parent..., *. recipient_delimiter (a set of
 * characters) splits the extension at the first delimiter found; it is not
 * applied to postmaster, MAILER-DAEMON, owner-* or *-request local parts.
 * Pattern tables see only the whole address. The address is lower-cased for
 * fixed-key tables. When a match needed the extension stripped and extp is
 * not NULL, *extp gets a mymalloc'ed copy of the extension including its
 * delimiter (e.g. "+ext"), else NULL. Returns the value, or NULL with
 * maps->error set as for maps_find.
 */
#ifndef POSTERN_MAPS_H
#define POSTERN_MAPS_H

#include "dict.h"

typedef struct MAPS {
    char *title;
    int count;
    DICT **dicts;
    int error;
} MAPS;

#define MAPS_FIND_FIXED_ONLY (1 << 0)

#define MAIL_ADDR_VIRTUAL 1
#define MAIL_ADDR_MAILBOX 2
#define MAIL_ADDR_TRANSPORT 3

extern MAPS *maps_create(const char *title, const char *value, int dict_flags);
extern const char *maps_find(MAPS *maps, const char *key, int flags);
extern void maps_free(MAPS *maps);
extern const char *mail_addr_find(MAPS *maps, const char *address, char **extp, int strategy);

#endif
