/*
 * NAME
 *      mastercf 3 - master.cf parsing
 *
 * DESCRIPTION
 *      Implements lib/mastercf.h after master(5) and Postfix's
 *      master/master_ent.c (reference 5.2, trap 22).
 *
 *      Lines follow the main.cf rules: blank lines and lines whose first
 *      non-blank character is '#' are skipped (also between continuation
 *      lines), and a line starting with white space continues the previous
 *      logical line. Each logical line is split into words at white space;
 *      a word starting with '{' extends to the matching '}' and becomes one
 *      word without the braces and the blanks just inside them (Postfix
 *      3.0). The first eight words are the columns "service type private
 *      unpriv chroot wakeup maxproc command"; the rest are the command's
 *      arguments. "-o name=value" and "-o { name = value }" are also
 *      collected as "name=value" overrides (blanks around '=' dropped, as
 *      Postfix's postconf -P shows them).
 *
 *      Defaults for "-": private y (n for inet), unpriv y, chroot n (Postfix
 *      >= 3.0), wakeup 0, maxproc -1 (meaning $default_process_limit).
 *
 * DIAGNOSTICS
 *      Fatal, as "FILE, line N: TEXT": "bad field count", "unknown service
 *      type: TYPE", "bad private/unpriv/chroot field: VALUE" (y, n or -),
 *      "bad wakeup time: VALUE", "bad process limit: VALUE", "inet service
 *      cannot be private", "missing '}'". "open FILE: ..." if the file cannot
 *      be read. A repeated (service, type) gives "warning: FILE, line N:
 *      duplicate service name/type entry SERVICE/TYPE"; the later one wins.
 *
 * SEE ALSO
 *      master(5), lib/config.c (main.cf, same line rules)
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "mastercf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

/*
 * mastercf_words - split a logical line into words with { } grouping. As in
 * Postfix (postconf -M shows "{}" as is), braces group only the command's
 * arguments, not the eight columns: a command column "{}" is the word "{}",
 * never an empty command (found by tests/fuzz/fuzz_mastercf).
 */
static ARGV *mastercf_words(const char *text, const char *path, int line)
{
    ARGV *words = argv_alloc(16);
    const char *p = text;
    const char *start;
    const char *end;
    int level;

    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == 0)
            break;
        if (*p == '{' && words->argc >= 8) {
            for (level = 0, end = p; *end; end++) {
                if (*end == '{')
                    level++;
                else if (*end == '}' && --level == 0)
                    break;
            }
            if (*end == 0)
                msg_fatal("%s, line %d: missing '}' in \"%s\"", path, line, p);
            start = p + 1;
            p = end + 1;
            while (start < end && isspace((unsigned char)*start))
                start++;
            while (end > start && isspace((unsigned char)end[-1]))
                end--;
            argv_addn(words, start, (size_t)(end - start));
        } else {
            start = p;
            while (*p && !isspace((unsigned char)*p))
                p++;
            argv_addn(words, start, (size_t)(p - start));
        }
    }
    return words;
}

/* mastercf_bool - a y/n/- column; def for "-". */
static int mastercf_bool(const char *value, int def, const char *what, const char *path, int line)
{
    if (strcmp(value, "-") == 0)
        return def;
    if (strcmp(value, "y") == 0)
        return 1;
    if (strcmp(value, "n") == 0)
        return 0;
    msg_fatal("%s, line %d: bad %s field: %s", path, line, what, value);
}

/* mastercf_number - a non-negative decimal column, or -1 if malformed. */
static int mastercf_number(const char *value, size_t len)
{
    long n = 0;
    size_t i;

    if (len == 0 || len > 9)
        return -1;
    for (i = 0; i < len; i++) {
        if (!isdigit((unsigned char)value[i]))
            return -1;
        n = n * 10 + (value[i] - '0');
    }
    return (int)n;
}

/*
 * mastercf_override - normalise an -o argument to "name=value". An argument
 * without '=' or with an empty name is not an override: like Postfix's
 * postconf ("missing '=' after attribute name"), warn and leave it out of
 * overrides (it stays in args; the daemon rejects it). Found by
 * tests/fuzz/fuzz_mastercf: "-o { foo bar }" became the override "foo bar".
 */
static void mastercf_override(MASTER_ENT *ent, const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *nend;
    const char *val;
    VSTR *buf;

    if (eq == NULL) {
        msg_warn("%s, line %d: missing '=' after attribute name: \"%s\"", ent->file, ent->line,
                 arg);
        return;
    }
    for (nend = eq; nend > arg && isspace((unsigned char)nend[-1]); nend--)
        /* void */;
    if (nend == arg) {
        msg_warn("%s, line %d: missing attribute name: \"%s\"", ent->file, ent->line, arg);
        return;
    }
    for (val = eq + 1; *val && isspace((unsigned char)*val); val++)
        /* void */;
    buf = vstr_alloc(strlen(arg) + 1);
    vstr_addmem(buf, arg, (size_t)(nend - arg));
    vstr_addch(buf, '=');
    vstr_addstr(buf, val);
    argv_add(ent->overrides, VSTR_STR(buf), (char *)0);
    vstr_free(buf);
}

/* mastercf_entry - build one entry from a logical line. */
static MASTER_ENT *mastercf_entry(const char *text, const char *path, int line)
{
    static const char *const types[] = {"inet", "unix", "unix-dgram", "fifo", "pass", 0};
    ARGV *words = mastercf_words(text, path, line);
    MASTER_ENT *ent;
    const char *w;
    size_t wlen;
    int i;

    if (words->argc < 8)
        msg_fatal("%s, line %d: bad field count", path, line);
    for (i = 0; types[i]; i++)
        if (strcmp(words->argv[1], types[i]) == 0)
            break;
    if (types[i] == 0)
        msg_fatal("%s, line %d: unknown service type: %s", path, line, words->argv[1]);

    ent = mymalloc(sizeof(*ent));
    memset(ent, 0, sizeof(*ent));
    ent->service = mystrdup(words->argv[0]);
    ent->type = mystrdup(words->argv[1]);
    for (i = 0; i < 7; i++)
        ent->raw[i] = mystrdup(words->argv[i]);
    ent->file = mystrdup(path);
    ent->line = line;

    if (strcmp(ent->type, "inet") == 0) {
        if (strcmp(words->argv[2], "y") == 0)
            msg_fatal("%s, line %d: inet service cannot be private", path, line);
        ent->private_ = mastercf_bool(words->argv[2], 0, "private", path, line);
    } else {
        ent->private_ = mastercf_bool(words->argv[2], 1, "private", path, line);
    }
    ent->unpriv = mastercf_bool(words->argv[3], 1, "unprivileged", path, line);
    ent->chroot = mastercf_bool(words->argv[4], 0, "chroot", path, line);

    w = words->argv[5];
    if (strcmp(w, "-") == 0) {
        ent->wakeup = 0;
    } else {
        wlen = strlen(w);
        if (wlen > 0 && w[wlen - 1] == '?') {
            ent->wakeup_conditional = 1;
            wlen--;
        }
        if ((ent->wakeup = mastercf_number(w, wlen)) < 0)
            msg_fatal("%s, line %d: bad wakeup time: %s", path, line, w);
    }
    w = words->argv[6];
    if (strcmp(w, "-") == 0)
        ent->maxproc = -1;
    else if ((ent->maxproc = mastercf_number(w, strlen(w))) < 0)
        msg_fatal("%s, line %d: bad process limit: %s", path, line, w);

    ent->command = mystrdup(words->argv[7]);
    ent->args = argv_alloc(words->argc);
    ent->overrides = argv_alloc(4);
    for (i = 8; i < words->argc; i++) {
        argv_add(ent->args, words->argv[i], (char *)0);
        if (strcmp(words->argv[i], "-o") == 0 && i + 1 < words->argc) {
            mastercf_override(ent, words->argv[i + 1]);
            argv_add(ent->args, words->argv[++i], (char *)0);
        }
    }
    argv_free(words);
    return ent;
}

/* mastercf_ent_free - release one entry. */
static void mastercf_ent_free(MASTER_ENT *ent)
{
    int i;

    myfree(ent->service);
    myfree(ent->type);
    for (i = 0; i < 7; i++)
        myfree(ent->raw[i]);
    myfree(ent->command);
    if (ent->args)
        argv_free(ent->args);
    if (ent->overrides)
        argv_free(ent->overrides);
    myfree(ent->file);
    myfree(ent);
}

/* mastercf_add - append an entry; a repeated (service, type) replaces. */
static void mastercf_add(MASTER_CF *cf, MASTER_ENT *ent)
{
    int i;

    for (i = 0; i < cf->count; i++) {
        if (strcmp(cf->ents[i]->service, ent->service) == 0 &&
            strcmp(cf->ents[i]->type, ent->type) == 0) {
            msg_warn("%s, line %d: duplicate service name/type entry %s/%s", ent->file, ent->line,
                     ent->service, ent->type);
            mastercf_ent_free(cf->ents[i]);
            memmove(cf->ents + i, cf->ents + i + 1,
                    (size_t)(cf->count - i - 1) * sizeof(*cf->ents));
            cf->count--;
            break;
        }
    }
    cf->ents = myrealloc(cf->ents, (size_t)(cf->count + 1) * sizeof(*cf->ents));
    cf->ents[cf->count++] = ent;
}

/*
 * mastercf_load - parse master.cf at path. Returns the entries in file
 * order (a replaced duplicate moves to the position of the later line).
 * Every syntax error is fatal, naming file and line.
 */
MASTER_CF *mastercf_load(const char *path)
{
    FILE *fp;
    MASTER_CF *cf;
    VSTR *logical = vstr_alloc(256);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0;
    int start_line = 0;
    const char *p;

    if ((fp = fopen(path, "r")) == NULL)
        msg_fatal("open %s: %m", path);
    cf = mymalloc(sizeof(*cf));
    cf->count = 0;
    cf->ents = NULL;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        for (p = line; isspace((unsigned char)*p); p++)
            /* void */;
        if (*p == 0 || *p == '#')
            continue;
        if (p != line) {
            if (start_line == 0) {
                msg_warn("%s, line %d: logical line must not start with white space: \"%s\"", path,
                         lineno, line);
                continue;
            }
            vstr_addstr(logical, line);
            continue;
        }
        if (start_line)
            mastercf_add(cf, mastercf_entry(VSTR_STR(logical), path, start_line));
        vstr_strcpy(logical, line);
        start_line = lineno;
    }
    if (ferror(fp))
        msg_fatal("read %s: %m", path);
    if (start_line)
        mastercf_add(cf, mastercf_entry(VSTR_STR(logical), path, start_line));
    free(line); /* allocated by getline(3) */
    fclose(fp);
    vstr_free(logical);
    return cf;
}

/* mastercf_free - release the list from mastercf_load() (NULL allowed). */
void mastercf_free(MASTER_CF *cf)
{
    int i;

    if (cf == NULL)
        return;
    for (i = 0; i < cf->count; i++)
        mastercf_ent_free(cf->ents[i]);
    myfree(cf->ents);
    myfree(cf);
}
