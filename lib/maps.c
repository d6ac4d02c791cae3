/*
 * NAME
 *      maps - a *_maps parameter: a list of lookup tables searched in order
 * SYNOPSIS
 *      #include "maps.h"
 * DESCRIPTION
 *      maps_create() splits the parameter value with cfg_split_list() (at
 *      commas and white space, except inside {}, so "inline:{ a=b, c=d }"
 *      stays one element, as with Postfix's mystrtokq), and opens each "type:name" with O_RDONLY.
 *      Tables are cached per process by (spec, flags) and reference
 *      counted, so the same table listed in several parameters is opened
 *      once (Postfix's dict_open shared by maps_create).
 *
 *      maps_find() asks each table in turn (reference 7.1). The search
 *      stops at the first hit or at the first table error; then the result
 *      is NULL and maps->error holds DICT_ERR_RETRY or DICT_ERR_CONFIG
 *      (trap 13). An empty string found is a configuration error, as in
 *      Postfix ("... returns an empty string result").
 * DIAGNOSTICS
 *      "TITLE lookup of KEY returns an empty string result" (warning).
 *      Table open failures are logged by dict_open (surrogate tables).
 * SEE ALSO
 *      Postfix global/maps.c; reference 7.1, 7.2.
 */
#include <ctype.h>
#include <fcntl.h>
#include <string.h>

#include "argv.h"
#include "config.h"
#include "dict.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct MAPS_CACHE {
    char *spec;
    int flags;
    int refcount;
    DICT *dict;
} MAPS_CACHE;

static MAPS_CACHE *maps_cache;
static int maps_cache_count;

static DICT *maps_open(const char *spec, int dict_flags)
{
    int i;

    for (i = 0; i < maps_cache_count; i++) {
        if (maps_cache[i].flags == dict_flags && strcmp(maps_cache[i].spec, spec) == 0) {
            maps_cache[i].refcount++;
            return maps_cache[i].dict;
        }
    }
    maps_cache = myrealloc(maps_cache, sizeof(*maps_cache) * (size_t)(maps_cache_count + 1));
    maps_cache[maps_cache_count].spec = mystrdup(spec);
    maps_cache[maps_cache_count].flags = dict_flags;
    maps_cache[maps_cache_count].refcount = 1;
    maps_cache[maps_cache_count].dict = dict_open(spec, O_RDONLY, dict_flags);
    return maps_cache[maps_cache_count++].dict;
}

static void maps_release(DICT *d)
{
    int i;

    for (i = 0; i < maps_cache_count; i++) {
        if (maps_cache[i].dict == d) {
            if (--maps_cache[i].refcount > 0)
                return;
            dict_close(d);
            myfree(maps_cache[i].spec);
            maps_cache[i] = maps_cache[maps_cache_count - 1];
            maps_cache_count--;
            return;
        }
    }
    msg_panic("maps_release: unknown table");
}

/*
 * maps_create - open the tables listed in value (see above); title is the
 * parameter name for diagnostics; dict_flags as for dict_open (usually
 * DICT_FLAGS_DEFAULT). Never fails: broken tables become surrogates.
 */
MAPS *maps_create(const char *title, const char *value, int dict_flags)
{
    MAPS *maps = mymalloc(sizeof(*maps));
    ARGV *words;
    int i;

    maps->title = mystrdup(title);
    maps->count = 0;
    maps->dicts = NULL;
    maps->error = DICT_ERR_NONE;
    words = cfg_split_list(value);
    for (i = 0; i < words->argc; i++) {
        maps->dicts = myrealloc(maps->dicts, sizeof(DICT *) * (size_t)(maps->count + 1));
        maps->dicts[maps->count++] = maps_open(words->argv[i], dict_flags);
    }
    argv_free(words);
    return maps;
}

/*
 * maps_find - the first value for key over the tables, or NULL; then
 * maps->error is DICT_ERR_NONE (not found) or the failing table's error.
 * MAPS_FIND_FIXED_ONLY skips pattern tables.
 */
const char *maps_find(MAPS *maps, const char *key, int flags)
{
    const char *value;
    int i;

    maps->error = DICT_ERR_NONE;
    if (key == NULL || *key == 0)
        return NULL;
    for (i = 0; i < maps->count; i++) {
        DICT *d = maps->dicts[i];

        if ((flags & MAPS_FIND_FIXED_ONLY) && (d->flags & DICT_FLAG_PATTERN))
            continue;
        value = dict_get(d, key);
        if (value != NULL) {
            if (*value == 0) {
                msg_warn("%s lookup of %s returns an empty string result", maps->title, key);
                msg_warn("%s should return NO RESULT in case of NOT FOUND", maps->title);
                maps->error = DICT_ERR_CONFIG;
                return NULL;
            }
            if (msg_verbose)
                msg_info("maps_find: %s: %s:%s: %s = %s", maps->title, d->type, d->name, key,
                         value);
            return value;
        }
        if (d->error != DICT_ERR_NONE) {
            maps->error = d->error;
            if (msg_verbose)
                msg_info("maps_find: %s: %s:%s: %s: error %d", maps->title, d->type, d->name, key,
                         d->error);
            return NULL;
        }
    }
    return NULL;
}

/* maps_free - release the list (shared tables stay open while used). */
void maps_free(MAPS *maps)
{
    int i;

    if (maps == NULL)
        return;
    for (i = 0; i < maps->count; i++)
        maps_release(maps->dicts[i]);
    myfree(maps->dicts);
    myfree(maps->title);
    myfree(maps);
}
