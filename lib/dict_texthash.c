/*
 * NAME
 *      dict_texthash - texthash: tables, in-memory tables, and the postmap
 *      source file parser
 * SYNOPSIS
 *      DICT *dict_texthash_open(const char *path, int open_flags, int flags);
 *      int dict_source_read(const char *path, DICT_SOURCE_FN fn, void *ctx);
 * DESCRIPTION
 *      texthash:/path reads a file in postmap(1) source format into memory
 *      once, at open time, like Postfix's dict_thash: no .db file is
 *      needed. The table is read-only and watched for changes (trap 24).
 *
 *      The source format (Postfix postmap(1), reference 7.4): logical lines
 *      per main.cf rules (a line whose first non-blank character is '#' is
 *      a comment, empty lines are skipped, a line starting with white space
 *      continues the previous one: the newline is dropped and the leading
 *      blanks kept); each logical line is "key whitespace value" with blanks
 *      around both trimmed. A key that starts with '"' extends to its
 *      closing quote (backslash escapes the next character) and keeps the
 *      quotes, as Postfix 3.2 and later do for quoted address local parts.
 *
 *      The in-memory table (dict_mem_*) is shared with inline: tables: a
 *      chained hash over entries kept in insertion order (dict_seq order).
 * DIAGNOSTICS
 *      "FILE, line N: expected format: key whitespace value",
 *      "FILE, line N: unbalanced '\"' in 'TEXT' -- ignoring this line",
 *      "FILE, line N: duplicate entry: \"KEY\"" (texthash, first one kept);
 *      "open database FILE: ..." when the file cannot be read (surrogate).
 * SEE ALSO
 *      Postfix util/dict_thash.c, postmap/postmap.c; reference 7.4.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "stream.h"
#include "vstr.h"

/* In-memory table, used by texthash and inline. */

typedef struct DICT_MEM_ENT {
    char *key;
    char *value;
    struct DICT_MEM_ENT *next_hash;
} DICT_MEM_ENT;

typedef struct DICT_MEM {
    DICT dict;
    DICT_MEM_ENT **buckets;
    size_t nbuckets;
    DICT_MEM_ENT **order; /* insertion order, for dict_seq */
    size_t count;
    size_t cap;
    size_t seq_pos;
} DICT_MEM;

DICT *dict_mem_create(const char *type, const char *name, int dict_flags);
int dict_mem_add(DICT *d, const char *key, const char *value);

static size_t dict_mem_hash(const char *key, size_t n)
{
    size_t h = 5381;

    while (*key)
        h = h * 33 + (unsigned char)*key++;
    return h % n;
}

static DICT_MEM_ENT *dict_mem_find(DICT_MEM *dm, const char *key)
{
    DICT_MEM_ENT *e;

    for (e = dm->buckets[dict_mem_hash(key, dm->nbuckets)]; e; e = e->next_hash)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static const char *dict_mem_lookup(DICT *d, const char *key)
{
    DICT_MEM_ENT *e = dict_mem_find((DICT_MEM *)d, key);

    return e ? e->value : NULL;
}

static void dict_mem_grow(DICT_MEM *dm)
{
    size_t i, nb = dm->nbuckets * 2 + 1;
    DICT_MEM_ENT **nbuck = mymalloc(nb * sizeof(*nbuck));

    memset(nbuck, 0, nb * sizeof(*nbuck));
    for (i = 0; i < dm->count; i++) {
        DICT_MEM_ENT *e = dm->order[i];
        size_t h = dict_mem_hash(e->key, nb);

        e->next_hash = nbuck[h];
        nbuck[h] = e;
    }
    myfree(dm->buckets);
    dm->buckets = nbuck;
    dm->nbuckets = nb;
}

/*
 * dict_mem_add - store key (folded per the table's flags by the caller) and
 * value. A duplicate keeps the first value (DICT_STAT_FAIL) unless
 * DICT_FLAG_DUP_REPLACE is set.
 */
int dict_mem_add(DICT *d, const char *key, const char *value)
{
    DICT_MEM *dm = (DICT_MEM *)d;
    DICT_MEM_ENT *e;
    size_t h;

    if ((e = dict_mem_find(dm, key)) != NULL) {
        if ((d->flags & DICT_FLAG_DUP_REPLACE) == 0)
            return DICT_STAT_FAIL;
        myfree(e->value);
        e->value = mystrdup(value);
        return DICT_STAT_SUCCESS;
    }
    if (dm->count >= dm->nbuckets)
        dict_mem_grow(dm);
    if (dm->count >= dm->cap) {
        dm->cap = dm->cap ? dm->cap * 2 : 16;
        dm->order = myrealloc(dm->order, dm->cap * sizeof(*dm->order));
    }
    e = mymalloc(sizeof(*e));
    e->key = mystrdup(key);
    e->value = mystrdup(value);
    h = dict_mem_hash(key, dm->nbuckets);
    e->next_hash = dm->buckets[h];
    dm->buckets[h] = e;
    dm->order[dm->count++] = e;
    return DICT_STAT_SUCCESS;
}

static int dict_mem_sequence(DICT *d, int func, const char **key, const char **value)
{
    DICT_MEM *dm = (DICT_MEM *)d;

    if (func == DICT_SEQ_FIRST)
        dm->seq_pos = 0;
    if (dm->seq_pos >= dm->count)
        return 1;
    *key = dm->order[dm->seq_pos]->key;
    *value = dm->order[dm->seq_pos]->value;
    dm->seq_pos++;
    return 0;
}

static void dict_mem_close(DICT *d)
{
    DICT_MEM *dm = (DICT_MEM *)d;
    size_t i;

    for (i = 0; i < dm->count; i++) {
        myfree(dm->order[i]->key);
        myfree(dm->order[i]->value);
        myfree(dm->order[i]);
    }
    myfree(dm->order);
    myfree(dm->buckets);
}

/* dict_mem_create - an empty read-only in-memory fixed-key table. */
DICT *dict_mem_create(const char *type, const char *name, int dict_flags)
{
    DICT_MEM *dm = (DICT_MEM *)dict_alloc(type, name, sizeof(DICT_MEM));

    dm->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dm->dict.lookup = dict_mem_lookup;
    dm->dict.sequence = dict_mem_sequence;
    dm->dict.close = dict_mem_close;
    dm->nbuckets = 13;
    dm->buckets = mymalloc(dm->nbuckets * sizeof(*dm->buckets));
    memset(dm->buckets, 0, dm->nbuckets * sizeof(*dm->buckets));
    return &dm->dict;
}

/* The source file parser. */

static void dict_trim_right(VSTR *v)
{
    while (v->len > 0 && isspace((unsigned char)v->buf[v->len - 1]))
        v->len--;
    v->buf[v->len] = 0;
}

/* Split one logical line and report it. */
static void dict_source_line(const char *label, int lineno, char *line, DICT_SOURCE_FN fn,
                             void *ctx)
{
    char *cp = line;
    char *key;
    int in_quote = 0;

    while (isspace((unsigned char)*cp))
        cp++;
    key = cp;
    for (; *cp; cp++) {
        if (in_quote) {
            if (*cp == '\\' && cp[1] != 0)
                cp++;
            else if (*cp == '"')
                in_quote = 0;
        } else if (*cp == '"') {
            in_quote = 1;
        } else if (isspace((unsigned char)*cp)) {
            break;
        }
    }
    if (in_quote) {
        msg_warn("%s, line %d: unbalanced '\"' in '%s' -- ignoring this line", label, lineno, key);
        return;
    }
    if (*cp)
        *cp++ = 0;
    while (isspace((unsigned char)*cp))
        cp++;
    if (*key == 0 || *cp == 0) {
        msg_warn("%s, line %d: expected format: key whitespace value", label, lineno);
        return;
    }
    fn(key, cp, lineno, ctx);
}

/*
 * dict_source_parse - parse lines from getline_fn (which stores one line,
 * without its newline, and returns 1, or returns 0 at the end) as the
 * postmap source format; label names the input in warnings.
 */
void dict_source_parse(const char *label, int (*getline_fn)(VSTR *, void *), void *src,
                       DICT_SOURCE_FN fn, void *ctx)
{
    VSTR *line = vstr_alloc(200);
    VSTR *logical = vstr_alloc(200);
    int lineno = 0;
    int first = 0;
    int have = 0;

    while (getline_fn(line, src)) {
        const char *cp = VSTR_STR(line);

        lineno++;
        while (isspace((unsigned char)*cp))
            cp++;
        if (*cp == '#' || *cp == 0)
            continue; /* comments and blank lines may sit inside a logical line */
        if (have && isspace((unsigned char)VSTR_STR(line)[0])) {
            vstr_addmem(logical, VSTR_STR(line), VSTR_LEN(line));
            continue;
        }
        if (have) {
            dict_trim_right(logical);
            dict_source_line(label, first, VSTR_STR(logical), fn, ctx);
        }
        vstr_memcpy(logical, VSTR_STR(line), VSTR_LEN(line));
        first = lineno;
        have = 1;
    }
    if (have) {
        dict_trim_right(logical);
        dict_source_line(label, first, VSTR_STR(logical), fn, ctx);
    }
    vstr_free(line);
    vstr_free(logical);
}

static int dict_stream_getline(VSTR *v, void *src)
{
    int ch = stream_get_line((STREAM *)src, v, (size_t)1 << 30);

    if (ch == STREAM_EOF)
        return 0;
    if (v->len > 0 && v->buf[v->len - 1] == '\n')
        vstr_truncate(v, v->len - 1);
    if (v->len > 0 && v->buf[v->len - 1] == '\r')
        vstr_truncate(v, v->len - 1);
    return 1;
}

/*
 * dict_source_read - parse the file path (see dict_source_parse). Returns 0,
 * or -1 (errno set) if it cannot be opened.
 */
int dict_source_read(const char *path, DICT_SOURCE_FN fn, void *ctx)
{
    int fd;
    STREAM *st;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    st = stream_fdopen(fd, path);
    dict_source_parse(path, dict_stream_getline, st, fn, ctx);
    (void)stream_close(st);
    return 0;
}

/* texthash */

static void dict_texthash_entry(const char *key, const char *value, int lineno, void *ctx)
{
    DICT *d = ctx;
    const char *k = key;
    const char *cp;

    if (d->flags & DICT_FLAG_FOLD_FIX) {
        vstr_reset(d->fold_buf);
        for (cp = key; *cp; cp++)
            vstr_addch(d->fold_buf, tolower((unsigned char)*cp));
        k = VSTR_STR(d->fold_buf);
    }
    if (dict_mem_add(d, k, value) == DICT_STAT_FAIL && (d->flags & DICT_FLAG_DUP_IGNORE) == 0)
        msg_warn("%s, line %d: duplicate entry: \"%s\"", d->name, lineno, k);
}

/* dict_texthash_open - read path (postmap source format) into memory. */
DICT *dict_texthash_open(const char *path, int open_flags, int dict_flags)
{
    DICT *d;

    if ((open_flags & O_ACCMODE) != O_RDONLY)
        return dict_surrogate("texthash", path, DICT_ERR_CONFIG,
                              "texthash:%s map requires O_RDONLY access mode", path);
    d = dict_mem_create("texthash", path, dict_flags);
    if (dict_source_read(path, dict_texthash_entry, d) < 0) {
        int saved = errno;

        dict_close(d);
        errno = saved;
        if (dict_flags & DICT_FLAG_FATAL_OPEN)
            msg_fatal("open database %s: %m", path);
        return dict_surrogate("texthash", path, DICT_ERR_CONFIG, "open database %s: %m", path);
    }
    dict_watch_file(d, path);
    return d;
}
