/*
 * NAME
 *      dict_static - static: and fail: tables
 * SYNOPSIS
 *      DICT *dict_static_open(const char *value, int open_flags, int flags);
 *      DICT *dict_fail_open(const char *reason, int open_flags, int flags);
 * DESCRIPTION
 *      static:value returns value for every key (Postfix dict_static; since
 *      Postfix 3.7 the value may be written "static:{ text with spaces }",
 *      the braces and the blanks inside them are removed). Typical use:
 *      virtual_uid_maps = static:5000.
 *
 *      fail:reason fails every operation with DICT_ERR_RETRY, as Postfix's
 *      dict_fail does; a daemon consulting it must defer the mail.
 * DIAGNOSTICS
 *      None: fail: is silent by design (the caller logs the deferral).
 * SEE ALSO
 *      Postfix util/dict_static.c, util/dict_fail.c; reference 7.1.
 */
#include <ctype.h>
#include <string.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"

extern DICT *dict_static_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_fail_open(const char *name, int open_flags, int dict_flags);

typedef struct DICT_STATIC {
    DICT dict;
    char *value;
} DICT_STATIC;

static const char *dict_static_lookup(DICT *d, const char *key)
{
    return ((DICT_STATIC *)d)->value;
}

static int dict_static_sequence(DICT *d, int func, const char **key, const char **value)
{
    /* One pseudo entry, as Postfix has none; report the end. */
    return 1;
}

static void dict_static_close(DICT *d)
{
    myfree(((DICT_STATIC *)d)->value);
}

/* dict_static_open - a table that maps every key to name ("{ x }" -> "x"). */
DICT *dict_static_open(const char *name, int open_flags, int dict_flags)
{
    DICT_STATIC *ds = (DICT_STATIC *)dict_alloc("static", name, sizeof(*ds));
    size_t len = strlen(name);

    if (len >= 2 && name[0] == '{' && name[len - 1] == '}') {
        const char *start = name + 1;
        const char *end = name + len - 1;

        while (start < end && isspace((unsigned char)*start))
            start++;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        ds->value = mystrndup(start, (size_t)(end - start));
    } else {
        ds->value = mystrdup(name);
    }
    ds->dict.flags = dict_flags | DICT_FLAG_FIXED;
    ds->dict.lookup = dict_static_lookup;
    ds->dict.sequence = dict_static_sequence;
    ds->dict.close = dict_static_close;
    return &ds->dict;
}

static const char *dict_fail_lookup(DICT *d, const char *key)
{
    d->error = DICT_ERR_RETRY;
    return NULL;
}

static int dict_fail_update(DICT *d, const char *key, const char *value)
{
    d->error = DICT_ERR_RETRY;
    return DICT_STAT_ERROR;
}

static int dict_fail_delete(DICT *d, const char *key)
{
    d->error = DICT_ERR_RETRY;
    return DICT_STAT_ERROR;
}

static int dict_fail_sequence(DICT *d, int func, const char **key, const char **value)
{
    d->error = DICT_ERR_RETRY;
    return -1;
}

/* dict_fail_open - a table whose every operation fails (DICT_ERR_RETRY). */
DICT *dict_fail_open(const char *name, int open_flags, int dict_flags)
{
    DICT *d = dict_alloc("fail", name, sizeof(DICT));

    d->flags = dict_flags | DICT_FLAG_FIXED;
    d->lookup = dict_fail_lookup;
    d->update = dict_fail_update;
    d->delete = dict_fail_delete;
    d->sequence = dict_fail_sequence;
    return d;
}
