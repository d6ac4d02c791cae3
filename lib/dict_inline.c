/*
 * NAME
 *      dict_inline - inline: tables written in main.cf
 * SYNOPSIS
 *      DICT *dict_inline_open(const char *spec, int open_flags, int flags);
 * DESCRIPTION
 *      inline:{ key=value, { key = text with blanks, or commas } } as in
 *      Postfix 3.0 and later (inline_table(5), Postfix util/dict_inline.c),
 *      with the semantics observed with Postfix 3.7's postmap -q:
 *
 *      - the name must be "{...}": the first character '{', its matching
 *        '}' the last character (no trailing text or blanks), else "bad
 *        syntax"; "{}" is "bad syntax" too, and a name with no elements
 *        ("{ }", "{ , }") is an "empty table";
 *      - the text between the braces is split like any Postfix list
 *        (mystrtokq: at commas and white space, never inside a "{...}"
 *        group; cfg_split_list() here);
 *      - an element that starts with '{' must end at its matching '}'
 *        ("syntax error after '}' in "{a=b}x"" otherwise); the braces go,
 *        and so do the blanks just inside them;
 *      - each element is split as Postfix's split_qnameval(): the key runs
 *        to the first white space or '=' (a '\' escapes the next character
 *        and "..." quotes protect blanks and '='; both are kept in the
 *        key), then optional blanks, then '=' ("missing '=' after attribute
 *        name" otherwise; "unbalanced '"'"), then the value with leading
 *        and trailing blanks removed. So "{ key = value with spaces }"
 *        gives "value with spaces", "a={b c}" gives "{b c}", "=b" gives the
 *        empty key, and "a=b c" is an error ("c" has no '=');
 *      - keys are lower-cased with DICT_FLAG_FOLD_FIX; a later duplicate
 *        replaces an earlier one.
 *
 * DIAGNOSTICS
 *      A syntax error gives a warning and a surrogate table whose lookups
 *      fail with DICT_ERR_CONFIG, with Postfix's text: "REASON:
 *      "inline:NAME"; need "inline:{name=value...}"", REASON one of "bad
 *      syntax", "empty table", "missing '=' after attribute name",
 *      "unbalanced '"'", "syntax error after '}' in "ELEMENT"".
 * SEE ALSO
 *      inline_table(5), Postfix util/dict_inline.c, split_qnameval.c.
 */
#include <ctype.h>
#include <string.h>

#include "argv.h"
#include "config.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

extern DICT *dict_inline_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_mem_create(const char *type, const char *name, int dict_flags);
extern int dict_mem_add(DICT *d, const char *key, const char *value);

/* inline_close_brace - the '}' matching the '{' at open, or NULL. */
static const char *inline_close_brace(const char *open)
{
    const char *cp;
    int depth = 0;

    for (cp = open; *cp; cp++) {
        if (*cp == '{')
            depth++;
        else if (*cp == '}' && --depth == 0)
            return cp;
    }
    return NULL;
}

/*
 * inline_nameval - split one element in place as Postfix's
 * split_qnameval(); returns NULL and sets *key and *value, or an error text.
 */
static const char *inline_nameval(char *buf, char **key, char **value)
{
    char *kp;
    char *kend;
    char *vp;
    char *vend;
    int in_quotes = 0;

    for (kp = buf; *kp && isspace((unsigned char)*kp); kp++)
        /* void */;
    for (kend = kp; *kend; kend++) {
        if (*kend == '\\') {
            if (kend[1] == 0)
                break;
            kend++;
        } else if (*kend == '"') {
            in_quotes = !in_quotes;
        } else if (!in_quotes && (isspace((unsigned char)*kend) || *kend == '=')) {
            break;
        }
    }
    if (in_quotes)
        return "unbalanced '\"'";
    for (vp = kend; *vp && isspace((unsigned char)*vp); vp++)
        /* void */;
    if (*vp != '=')
        return "missing '=' after attribute name";
    *kend = 0;
    for (vp++; *vp && isspace((unsigned char)*vp); vp++)
        /* void */;
    for (vend = vp + strlen(vp); vend > vp && isspace((unsigned char)vend[-1]); vend--)
        /* void */;
    *vend = 0;
    *key = kp;
    *value = vp;
    return NULL;
}

/*
 * inline_element - add one list element to d; returns 0, or -1 with the
 * reason in why (for the surrogate's message).
 */
static int inline_element(DICT *d, const char *elem, VSTR *why)
{
    char *copy;
    char *text;
    char *key;
    char *value;
    char *cp;
    const char *close;
    const char *err;

    if (*elem == '{') {
        close = inline_close_brace(elem);
        if (close == NULL || close[1] != 0) {
            vstr_sprintf(why, "syntax error after '}' in \"%s\"", elem);
            return -1;
        }
        copy = mystrndup(elem + 1, (size_t)(close - elem - 1));
    } else {
        copy = mystrdup(elem);
    }
    text = copy;
    if ((err = inline_nameval(text, &key, &value)) != NULL) {
        vstr_strcpy(why, err);
        myfree(copy);
        return -1;
    }
    if (d->flags & DICT_FLAG_FOLD_FIX)
        for (cp = key; *cp; cp++)
            *cp = (char)tolower((unsigned char)*cp);
    (void)dict_mem_add(d, key, value);
    myfree(copy);
    return 0;
}

/*
 * dict_inline_open - parse "{ ... }" (name without the "inline:" prefix)
 * into an in-memory table; open_flags are ignored (read-only), dict_flags
 * as for dict_open(). Never NULL: a syntax error gives a surrogate table.
 */
DICT *dict_inline_open(const char *name, int open_flags, int dict_flags)
{
    const char *close;
    char *inner;
    ARGV *elems;
    VSTR *why;
    DICT *d;
    int saved_flags;
    int i;

    (void)open_flags;
    close = (*name == '{') ? inline_close_brace(name) : NULL;
    if (close == NULL || close[1] != 0 || close == name + 1)
        return dict_surrogate("inline", name, DICT_ERR_CONFIG,
                              "bad syntax: \"inline:%s\"; need \"inline:{name=value...}\"", name);
    inner = mystrndup(name + 1, (size_t)(close - name - 1));
    elems = cfg_split_list(inner);
    myfree(inner);
    if (elems->argc == 0) {
        argv_free(elems);
        return dict_surrogate("inline", name, DICT_ERR_CONFIG,
                              "empty table: \"inline:%s\"; need \"inline:{name=value...}\"", name);
    }
    d = dict_mem_create("inline", name, dict_flags);
    saved_flags = d->flags;
    d->flags |= DICT_FLAG_DUP_REPLACE; /* the last definition wins */
    why = vstr_alloc(64);
    for (i = 0; i < elems->argc && VSTR_LEN(why) == 0; i++)
        (void)inline_element(d, elems->argv[i], why);
    d->flags = saved_flags;
    argv_free(elems);
    if (VSTR_LEN(why) > 0) {
        dict_close(d);
        d = dict_surrogate("inline", name, DICT_ERR_CONFIG,
                           "%s: \"inline:%s\"; need \"inline:{name=value...}\"", VSTR_STR(why),
                           name);
    }
    vstr_free(why);
    return d;
}
