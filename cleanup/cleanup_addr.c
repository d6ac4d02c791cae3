/*
 * NAME
 *     cleanup_addr - envelope address qualification, canonical mapping and
 *     virtual alias expansion for cleanup(8)
 * DESCRIPTION
 *     cleanup_qualify() appends "@$myorigin" to an address without a domain
 *     (trivial-rewrite in the "local" context, append_at_myorigin = yes);
 *     the null address stays empty.
 *
 *     cleanup_map11() is one canonical_maps style lookup (Postfix
 *     cleanup_map11.c): the address is looked up with the virtual/canonical
 *     key sequence of reference 7.2 (mail_addr_find MAIL_ADDR_VIRTUAL); the
 *     first result of the value list replaces the address.
 *
 *     cleanup_map1n() is the recursive one-to-many virtual alias expansion
 *     (Postfix cleanup_map1n.c): every address in the result list is looked
 *     up again until it maps to nothing, maps to itself, or was already
 *     expanded (which breaks loops such as a -> b, b -> a); results are
 *     de-duplicated; the nesting depth is limited by
 *     virtual_alias_recursion_limit and the list size by
 *     virtual_alias_expansion_limit.
 *
 *     Lookup results are canonicalised as Postfix's mail_addr_map() does: a
 *     result "@domain" means the same local part in that domain; an
 *     extension that had to be stripped to find a match is appended to the
 *     result's local part when propagate_unmatched_extensions says so; a
 *     result without '@' gets "@$myorigin".
 * DIAGNOSTICS
 *     Table errors return CLEANUP_MAP_ERROR (the caller defers the message,
 *     trap 13: an error is never "not found"); exceeded limits return
 *     CLEANUP_MAP_LIMIT. The caller logs with the queue ID.
 */
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "mymalloc.h"

/*
 * cleanup_qualify - out = addr, with "@myorigin" appended when addr is not
 * empty and has no '@'.
 */
void cleanup_qualify(const char *addr, const char *myorigin, VSTR *out)
{
    vstr_strcpy(out, addr);
    if (*addr && strchr(addr, '@') == 0 && myorigin && *myorigin) {
        vstr_addch(out, '@');
        vstr_addstr(out, myorigin);
    }
}

/* canon_result - turn one lookup result into a complete address. */
static void canon_result(const char *lhs, const char *value, size_t vlen, const char *ext,
                         int propagate, const char *myorigin, VSTR *out)
{
    VSTR *tmp = vstr_alloc(vlen + 64);
    const char *at;

    if (vlen > 0 && value[0] == '@') {
        /* "@domain": the same local part in another domain. */
        at = strrchr(lhs, '@');
        vstr_addmem(tmp, lhs, at ? (size_t)(at - lhs) : strlen(lhs));
        vstr_addmem(tmp, value, vlen);
    } else {
        vstr_addmem(tmp, value, vlen);
    }
    if (ext && *ext && propagate) {
        at = strrchr(tmp->buf, '@');
        if (at) {
            size_t pos = (size_t)(at - tmp->buf);
            vstr_memcpy(out, tmp->buf, pos);
            vstr_addstr(out, ext);
            vstr_addstr(out, tmp->buf + pos);
        } else {
            vstr_strcpy(out, tmp->buf);
            vstr_addstr(out, ext);
        }
        vstr_strcpy(tmp, out->buf);
    }
    cleanup_qualify(tmp->buf, myorigin, out);
    vstr_free(tmp);
}

/* split_values - the comma/blank separated elements of a lookup result. */
static ARGV *split_values(const char *value)
{
    return argv_split(value, CFG_LIST_DELIMS);
}

/*
 * cleanup_map11 - one lookup of addr in maps. Returns 1 and out = the
 * (canonicalised) first result when found, 0 (out = addr) when not found,
 * CLEANUP_MAP_ERROR when a table failed. propagate: append an unmatched
 * extension to the result.
 */
int cleanup_map11(MAPS *maps, const char *addr, const CLEANUP_ADDR_CFG *cfg, int propagate,
                  VSTR *out)
{
    char *ext = 0;
    const char *value;
    ARGV *list;

    vstr_strcpy(out, addr);
    if (maps == 0 || maps->count == 0 || *addr == 0)
        return 0;
    value = mail_addr_find(maps, addr, &ext, MAIL_ADDR_VIRTUAL);
    if (value == 0) {
        myfree(ext);
        return maps->error != 0 ? CLEANUP_MAP_ERROR : 0;
    }
    list = split_values(value);
    if (list->argc > 0)
        canon_result(addr, list->argv[0], strlen(list->argv[0]), ext, propagate, cfg->myorigin,
                     out);
    argv_free(list);
    myfree(ext);
    return 1;
}

/* seen - linear membership test (case-insensitive), small lists. */
static int seen(const ARGV *set, const char *addr)
{
    int i;

    for (i = 0; i < set->argc; i++)
        if (strcasecmp(set->argv[i], addr) == 0)
            return 1;
    return 0;
}

/*
 * cleanup_map1n - recursive 1:n virtual alias expansion of addr. On success
 * *result is a new list (caller argv_free()s it) of final addresses without
 * duplicates (an unmapped address yields itself) and the return value is
 * CLEANUP_MAP_OK. On CLEANUP_MAP_ERROR (table error) or CLEANUP_MAP_LIMIT
 * *result is NULL.
 */
int cleanup_map1n(MAPS *maps, const char *addr, const CLEANUP_ADDR_CFG *cfg, ARGV **result)
{
    ARGV *list = argv_alloc(4);
    ARGV *done = argv_alloc(4);
    ARGV *out;
    VSTR *buf = vstr_alloc(100);
    int status = CLEANUP_MAP_OK;
    int arg;
    int count;
    int i;

    *result = 0;
    argv_add(list, addr, (char *)0);
    if (maps == 0 || maps->count == 0 || *addr == 0)
        goto finish;

    for (arg = 0; arg < list->argc && status == CLEANUP_MAP_OK; arg++) {
        if (cfg->expansion_limit > 0 && list->argc > cfg->expansion_limit) {
            status = CLEANUP_MAP_LIMIT;
            break;
        }
        for (count = 0; /* void */; count++) {
            char *ext = 0;
            const char *value;
            char *lhs;
            ARGV *vals;

            if (seen(done, list->argv[arg]))
                break;
            if (cfg->recursion_limit > 0 && count >= cfg->recursion_limit) {
                status = CLEANUP_MAP_LIMIT;
                break;
            }
            value = mail_addr_find(maps, list->argv[arg], &ext, MAIL_ADDR_VIRTUAL);
            if (value == 0) {
                myfree(ext);
                if (maps->error != 0)
                    status = CLEANUP_MAP_ERROR;
                break;
            }
            vals = split_values(value);
            lhs = list->argv[arg];
            if (vals->argc == 0) {
                /* An empty result: keep the address. */
                argv_free(vals);
                myfree(ext);
                argv_add(done, lhs, (char *)0);
                break;
            }
            for (i = 0; i < vals->argc; i++) {
                canon_result(lhs, vals->argv[i], strlen(vals->argv[i]), ext, cfg->propagate_virtual,
                             cfg->myorigin, buf);
                if (i == 0) {
                    list->argv[arg] = mystrdup(buf->buf);
                } else if (!seen(done, buf->buf) && !seen(list, buf->buf)) {
                    argv_add(list, buf->buf, (char *)0);
                }
            }
            argv_free(vals);
            myfree(ext);
            argv_add(done, lhs, (char *)0);
            if (strcasecmp(lhs, list->argv[arg]) == 0) {
                myfree(lhs);
                break; /* maps to itself */
            }
            myfree(lhs);
        }
    }

finish:
    vstr_free(buf);
    argv_free(done);
    if (status != CLEANUP_MAP_OK) {
        argv_free(list);
        return status;
    }
    /* Remove duplicates, keeping the first occurrence. */
    out = argv_alloc(list->argc + 1);
    for (i = 0; i < list->argc; i++)
        if (!seen(out, list->argv[i]))
            argv_add(out, list->argv[i], (char *)0);
    argv_free(list);
    *result = out;
    return CLEANUP_MAP_OK;
}
