/*
 * NAME
 *      dict_inline - inline: tables written in main.cf
 * SYNOPSIS
 *      DICT *dict_inline_open(const char *spec, int open_flags, int flags);
 * DESCRIPTION
 *      inline:{ key=value, { key = text with blanks, or commas } } as in
 *      Postfix 3.0 and later (postconf(5), "inline" in DATABASE_README):
 *      the whole name is enclosed in braces; elements are separated by
 *      commas or white space; an element that is itself enclosed in braces
 *      may contain blanks and commas, and blanks around its '=' are
 *      removed. The first '=' separates key from value. Keys are lower-cased
 *      with DICT_FLAG_FOLD_FIX; a duplicate key keeps the first value.
 * DIAGNOSTICS
 *      Syntax errors give a warning and a surrogate table (DICT_ERR_CONFIG):
 *      "inline:NAME: syntax error: ..."
 * SEE ALSO
 *      Postfix util/dict_inline.c.
 */
#include <ctype.h>
#include <string.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

extern DICT *dict_inline_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_mem_create(const char *type, const char *name, int dict_flags);
extern int dict_mem_add(DICT *d, const char *key, const char *value);

/* Trim [start, end) in place; returns the new start, *endp updated. */
static const char *inline_trim(const char *start, const char **endp)
{
    const char *end = *endp;

    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    *endp = end;
    return start;
}

/* Add one "key=value" element; returns an error text or NULL. */
static const char *inline_element(DICT *d, const char *start, const char *end)
{
    const char *eq;
    const char *kend, *vstart;
    char *key, *val, *cp;

    start = inline_trim(start, &end);
    eq = memchr(start, '=', (size_t)(end - start));
    if (eq == NULL)
        return "missing '=' after attribute name";
    kend = eq;
    start = inline_trim(start, &kend);
    if (start == kend)
        return "missing attribute name";
    vstart = eq + 1;
    vstart = inline_trim(vstart, &end);
    key = mystrndup(start, (size_t)(kend - start));
    val = mystrndup(vstart, (size_t)(end - vstart));
    if (d->flags & DICT_FLAG_FOLD_FIX)
        for (cp = key; *cp; cp++)
            *cp = (char)tolower((unsigned char)*cp);
    (void)dict_mem_add(d, key, val);
    myfree(key);
    myfree(val);
    return NULL;
}

/* dict_inline_open - parse "{ ... }" into an in-memory table. */
DICT *dict_inline_open(const char *name, int open_flags, int dict_flags)
{
    const char *start = name;
    const char *end = name + strlen(name);
    const char *cp, *err = NULL;
    DICT *d;

    start = inline_trim(start, &end);
    if (end - start < 2 || *start != '{' || end[-1] != '}')
        return dict_surrogate("inline", name, DICT_ERR_CONFIG,
                              "inline:%s: syntax error: missing '{' or '}'", name);
    start++;
    end--;
    d = dict_mem_create("inline", name, dict_flags);
    cp = start;
    while (err == NULL) {
        while (cp < end && (isspace((unsigned char)*cp) || *cp == ','))
            cp++;
        if (cp >= end)
            break;
        if (*cp == '{') {
            const char *inner = cp + 1;
            int depth = 1;

            for (cp++; cp < end && depth > 0; cp++) {
                if (*cp == '{')
                    depth++;
                else if (*cp == '}')
                    depth--;
            }
            if (depth > 0)
                err = "missing '}'";
            else
                err = inline_element(d, inner, cp - 1);
        } else {
            const char *elem = cp;

            while (cp < end && !isspace((unsigned char)*cp) && *cp != ',')
                cp++;
            err = inline_element(d, elem, cp);
        }
    }
    if (err != NULL) {
        dict_close(d);
        return dict_surrogate("inline", name, DICT_ERR_CONFIG, "inline:%s: syntax error: %s", name,
                              err);
    }
    return d;
}
