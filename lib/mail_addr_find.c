/*
 * NAME
 *      mail_addr_find - address lookups with Postfix's key sequences
 * SYNOPSIS
 *      #include "maps.h"
 *      const char *mail_addr_find(MAPS *maps, const char *address,
 *                                 char **extp, int strategy);
 * DESCRIPTION
 *      Reference 7.2. The outer loop is over keys, the inner one (maps_find)
 *      over tables. The whole address is tried against every table
 *      (pattern tables included); the partial keys only against fixed-key
 *      tables (MAPS_FIND_FIXED_ONLY). Key sequences for user+ext@domain:
 *
 *      MAIL_ADDR_VIRTUAL: user+ext@domain, user@domain, then, only when the
 *      domain is local (resolve_local_domain()), user+ext and user, then
 *      @domain.
 *      MAIL_ADDR_MAILBOX: user+ext@domain, user@domain, @domain.
 *      MAIL_ADDR_TRANSPORT: user+ext@domain, user@domain, domain, .parent
 *      for each parent domain, then "*".
 *
 *      recipient_delimiter is a set of characters: the local part is split
 *      at the first member of the set, never for postmaster, MAILER-DAEMON,
 *      and (owner_request_special = yes) owner-* and *-request. Table
 *      folding (DICT_FLAG_FOLD_FIX) lower-cases the keys.
 * DIAGNOSTICS
 *      A table error stops the search: NULL with maps->error set, also when
 *      resolve_local_domain() fails (DICT_ERR_RETRY).
 * SEE ALSO
 *      Postfix global/mail_addr_find.c, global/split_addr.c.
 */
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dict.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve.h"
#include "vstr.h"

/* Length of the base local part when it must be split, else 0. */
static size_t mail_addr_split(const char *local, size_t local_len)
{
    const char *delims = cfg_str("recipient_delimiter");
    const char *ors;
    size_t len;

    if (delims == NULL || *delims == 0 || local_len == 0)
        return 0;
    if ((local_len == 10 && strncasecmp(local, "postmaster", 10) == 0) ||
        (local_len == 13 && strncasecmp(local, "mailer-daemon", 13) == 0))
        return 0;
    ors = cfg_str("owner_request_special");
    if (ors == NULL || *ors == 0 || strcasecmp(ors, "no") != 0) {
        if (strncasecmp(local, "owner-", 6) == 0 ||
            (local_len > 8 && strncasecmp(local + local_len - 8, "-request", 8) == 0))
            return 0;
    }
    for (len = 0; len < local_len; len++)
        if (strchr(delims, local[len]) != NULL)
            break;
    if (len == 0 || len >= local_len)
        return 0;
    return len;
}

static const char *mail_addr_try(MAPS *maps, VSTR *key, int flags, int *done)
{
    const char *result = maps_find(maps, VSTR_STR(key), flags);

    if (result != NULL || maps->error != DICT_ERR_NONE)
        *done = 1;
    return result;
}

/*
 * mail_addr_find - see above. Returns the value (valid until the next
 * lookup in these tables) or NULL; on NULL maps->error tells "not found"
 * (DICT_ERR_NONE) from a failure. *extp (if extp is not NULL) gets the
 * mymalloc'ed extension with its delimiter when the match needed it
 * stripped, else NULL.
 */
const char *mail_addr_find(MAPS *maps, const char *address, char **extp, int strategy)
{
    VSTR *key = vstr_alloc(100);
    const char *at = strrchr(address, '@');
    const char *domain = at ? at + 1 : "";
    size_t local_len = at ? (size_t)(at - address) : strlen(address);
    size_t base_len = mail_addr_split(address, local_len);
    const char *result = NULL;
    int done = 0;
    int used_ext = 0;

    if (extp)
        *extp = NULL;
    maps->error = DICT_ERR_NONE;

    /* 1. The whole address, every table. */
    vstr_strcpy(key, address);
    result = mail_addr_try(maps, key, 0, &done);

    /* 2. user@domain without the extension. */
    if (!done && base_len > 0) {
        vstr_memcpy(key, address, base_len);
        if (at)
            vstr_addstr(key, at);
        result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
        used_ext = (result != NULL);
    }

    /* 3. Local part only, for local domains (virtual alias strategy). */
    if (!done && strategy == MAIL_ADDR_VIRTUAL && at != NULL) {
        int local = resolve_local_domain(domain);

        if (local < 0) {
            maps->error = DICT_ERR_RETRY;
            done = 1;
        } else if (local > 0) {
            vstr_memcpy(key, address, local_len);
            result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
            if (!done && base_len > 0) {
                vstr_memcpy(key, address, base_len);
                result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
                used_ext = (result != NULL);
            }
        }
    }

    /* 4. @domain, or domain and its parents for transport_maps. */
    if (!done && at != NULL && *domain) {
        if (strategy == MAIL_ADDR_TRANSPORT) {
            const char *cp;

            vstr_strcpy(key, domain);
            result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
            for (cp = domain; !done && (cp = strchr(cp + 1, '.')) != NULL;) {
                vstr_strcpy(key, cp);
                result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
            }
            if (!done) {
                vstr_strcpy(key, "*");
                result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
            }
        } else {
            vstr_strcpy(key, at);
            result = mail_addr_try(maps, key, MAPS_FIND_FIXED_ONLY, &done);
        }
    }

    if (result != NULL && used_ext && extp != NULL)
        *extp = mystrndup(address + base_len, local_len - base_len);
    if (msg_verbose)
        msg_info("mail_addr_find: %s -> %s", address,
                 result        ? result
                 : maps->error ? "(error)"
                               : "(notfound)");
    vstr_free(key);
    return result;
}
