/*
 * NAME
 *     dict_regex_common - table file format shared by pcre: and regexp:
 * DESCRIPTION
 *     Reads a Postfix pcre_table(5) / regexp_table(5) file into a list of
 *     rules and looks keys up in it; the regular expression engine comes
 *     from a DICT_REGEX_OPS (dict_pcre.c: PCRE2, dict_regexp.c: POSIX
 *     regcomp). See dict_regex_common.h for the format.
 *
 *     Lookup walks the rules in file order. "if /re/" whose condition fails
 *     jumps past its matching "endif". The first "/re/ result" that matches
 *     (or "!/re/ result" that does not) gives the result, with $n macros
 *     replaced by the matched text. The whole key is matched once: these are
 *     pattern tables (DICT_FLAG_PATTERN), no user@domain splitting.
 * DIAGNOSTICS
 *     Like Postfix, problems in the file are warnings and the rule is
 *     skipped: "TYPE map FILE, line N: " followed by the engine's message
 *     for a pattern that does not compile, "ignoring unrecognized request",
 *     "no closing regexp delimiter \"/\": ignoring this rule" (regexp:
 *     "skipping this rule"), "no
 *     replacement text: using empty string" (kept), "unknown regexp option \"c\": skipping this
 * rule", "out of range replacement index \"n\": skipping this rule",
 *     "$number found in negative match replacement text: skipping this
 *     rule", "ignoring extra text after ENDIF", "ignoring ENDIF without
 *     matching IF", "ignoring extra text after IF", "IF has no matching
 *     ENDIF". A file that cannot be read is a configuration error
 *     (surrogate table, every lookup DICT_ERR_CONFIG).
 * SEE ALSO
 *     Postfix pcre_table(5), regexp_table(5), dict_pcre.c, dict_regexp.c.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dict_regex_common.h"
#include "msg.h"
#include "mymalloc.h"

#define RULE_MATCH 0
#define RULE_IF 1
#define RULE_ENDIF 2

typedef struct RULE {
    int kind;     /* RULE_* */
    int negate;   /* "!/re/" */
    void *re;     /* compiled pattern (MATCH, IF) */
    char *result; /* MATCH: raw result text */
    size_t skip;  /* IF: index of the matching ENDIF */
    int lineno;
} RULE;

typedef struct DICT_REGEX {
    DICT dict;
    const DICT_REGEX_OPS *ops;
    RULE *rules;
    size_t count;
    size_t cap;
    VSTR *result;
    size_t *ov;
} DICT_REGEX;

/*
 * dict_regex_max_ref - the largest $n in result (0 if none), or -1 for a
 * malformed macro, with Postfix's diagnostic in why: "non-numeric
 * replacement index \"x\"" (*located = 1: the caller adds "TYPE map FILE,
 * line N: "), "truncated macro reference: \"RESULT\"" or "empty macro
 * name: \"RESULT\"" (*located = 0: logged as is).
 */
int dict_regex_max_ref(const char *result, VSTR *why, int *located)
{
    const char *cp = result;
    int max = 0;

    while ((cp = strchr(cp, '$')) != 0) {
        const char *name;
        size_t len;
        int n = 0;

        cp++;
        if (*cp == '$') {
            cp++;
            continue;
        }
        if (*cp == '{' || *cp == '(') {
            int close = (*cp == '{') ? '}' : ')';
            const char *end = strchr(cp + 1, close);

            if (end == 0) {
                vstr_sprintf(why, "truncated macro reference: \"%s\"", result);
                *located = 0;
                return -1;
            }
            name = cp + 1;
            len = (size_t)(end - name);
            cp = end + 1;
        } else {
            name = cp;
            while (isalnum((unsigned char)*cp) || *cp == '_')
                cp++;
            len = (size_t)(cp - name);
        }
        if (len == 0) {
            vstr_sprintf(why, "empty macro name: \"%s\"", result);
            *located = 0;
            return -1;
        }
        if (strspn(name, "0123456789") < len) {
            vstr_sprintf(why, "non-numeric replacement index \"%.*s\"", (int)len, name);
            *located = 1;
            return -1;
        }
        while (len-- > 0 && n < 1000)
            n = n * 10 + (*name++ - '0');
        if (n > max)
            max = n;
    }
    return max;
}

/*
 * dict_regex_expand - copy result into out, replacing $n, ${n}, $(n) with
 * group n of key (ov: nmatch offset pairs, DICT_REGEX_UNSET for a group that
 * did not participate: empty) and $$ with '$'.
 */
void dict_regex_expand(const char *result, const char *key, const size_t *ov, int nmatch, VSTR *out)
{
    const char *cp = result;

    vstr_reset(out);
    while (*cp) {
        int n = 0;
        int have = 0;

        if (*cp != '$') {
            vstr_addch(out, *cp++);
            continue;
        }
        if (cp[1] == '$') {
            vstr_addch(out, '$');
            cp += 2;
            continue;
        }
        if ((cp[1] == '{' || cp[1] == '(') && isdigit((unsigned char)cp[2])) {
            int close = (cp[1] == '{') ? '}' : ')';
            const char *p = cp + 2;

            while (isdigit((unsigned char)*p) && n < 1000)
                n = n * 10 + (*p++ - '0');
            if (*p == close) {
                have = 1;
                cp = p + 1;
            }
        } else if (isdigit((unsigned char)cp[1])) {
            const char *p = cp + 1;

            while (isdigit((unsigned char)*p) && n < 1000)
                n = n * 10 + (*p++ - '0');
            have = 1;
            cp = p;
        }
        if (!have) {
            vstr_addch(out, *cp++);
            continue;
        }
        if (n < nmatch && ov[2 * n] != DICT_REGEX_UNSET && ov[2 * n + 1] >= ov[2 * n])
            vstr_addmem(out, key + ov[2 * n], ov[2 * n + 1] - ov[2 * n]);
    }
}

/* regex_lookup - the rule walk described in the module comment. */
static const char *regex_lookup(DICT *d, const char *key)
{
    DICT_REGEX *dr = (DICT_REGEX *)d;
    size_t i = 0;
    int n;

    while (i < dr->count) {
        RULE *r = dr->rules + i;

        if (r->kind == RULE_ENDIF) {
            i++;
            continue;
        }
        n = dr->ops->match(r->re, key, dr->ov, DICT_REGEX_MAX_GROUPS);
        if (n < 0) {
            d->error = DICT_ERR_CONFIG;
            return 0;
        }
        if (r->kind == RULE_IF) {
            if ((n > 0) == !r->negate)
                i++;
            else
                i = r->skip + 1;
            continue;
        }
        if (r->negate) {
            if (n == 0) {
                dict_regex_expand(r->result, key, dr->ov, 0, dr->result);
                return dr->result->buf;
            }
        } else if (n > 0) {
            dict_regex_expand(r->result, key, dr->ov, n, dr->result);
            return dr->result->buf;
        }
        i++;
    }
    return 0;
}

static void regex_close(DICT *d)
{
    DICT_REGEX *dr = (DICT_REGEX *)d;
    size_t i;

    for (i = 0; i < dr->count; i++) {
        if (dr->rules[i].re)
            dr->ops->release(dr->rules[i].re);
        myfree(dr->rules[i].result);
    }
    myfree(dr->rules);
    myfree(dr->ov);
    vstr_free(dr->result);
}

/* add_rule - append a rule, growing the array. */
static RULE *add_rule(DICT_REGEX *dr, int kind, int lineno)
{
    RULE *r;

    if (dr->count == dr->cap) {
        dr->cap = dr->cap ? dr->cap * 2 : 16;
        dr->rules = myrealloc(dr->rules, dr->cap * sizeof(RULE));
    }
    r = dr->rules + dr->count++;
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->lineno = lineno;
    return r;
}

/*
 * parse_pattern - at *pp: [!] delim pattern delim flags. Compiles it and
 * advances *pp past the flags. Returns the handle, or NULL after a warning.
 */
static void *parse_pattern(DICT_REGEX *dr, char **pp, int lineno, int *negate)
{
    const char *type = dr->ops->type;
    const char *file = dr->dict.name;
    char *p = *pp;
    char *pat;
    int delim;
    int flags = dr->ops->default_flags;
    void *re;
    VSTR *err;

    *negate = 0;
    while (*p == '!') {
        *negate = !*negate;
        p++;
        while (isspace((unsigned char)*p))
            p++;
    }
    delim = (unsigned char)*p;
    if (delim == 0 || isalnum(delim) || isspace(delim)) {
        msg_warn("%s map %s, line %d: ignoring unrecognized request", type, file, lineno);
        return 0;
    }
    pat = ++p;
    while (*p && *p != delim) {
        if (*p == '\\' && p[1])
            p++;
        p++;
    }
    if (*p == 0) {
        /* Postfix's two drivers word this differently */
        msg_warn("%s map %s, line %d: no closing regexp delimiter \"%c\": %s this rule", type, file,
                 lineno, delim, strcmp(type, "pcre") == 0 ? "ignoring" : "skipping");
        return 0;
    }
    *p++ = 0;
    while (*p && !isspace((unsigned char)*p)) {
        int known = dr->ops->flag((unsigned char)*p, &flags);

        if (known == 0) {
            msg_warn("%s map %s, line %d: unknown regexp option \"%c\": skipping this rule", type,
                     file, lineno, *p);
            return 0;
        }
        if (known == 2)
            msg_warn("%s map %s, line %d: ignoring obsolete regexp option \"%c\"", type, file,
                     lineno, *p);
        p++;
    }
    err = vstr_alloc(100);
    re = dr->ops->compile(pat, flags, err);
    if (re == 0)
        msg_warn("%s map %s, line %d: %s", type, file, lineno, err->buf);
    vstr_free(err);
    *pp = p;
    return re;
}

/* parse_line - one logical line (modified in place). */
static void parse_line(DICT_REGEX *dr, char *line, int lineno, size_t **stack, size_t *depth,
                       size_t *stack_cap)
{
    const char *type = dr->ops->type;
    const char *file = dr->dict.name;
    char *p = line;
    RULE *r;
    void *re;
    int negate;
    int refs;
    int located = 0;
    VSTR *why;

    if (strncasecmp(p, "endif", 5) == 0 && !isalnum((unsigned char)p[5])) {
        p += 5;
        while (isspace((unsigned char)*p))
            p++;
        if (*p)
            msg_warn("%s map %s, line %d: ignoring extra text after ENDIF", type, file, lineno);
        if (*depth == 0) {
            msg_warn("%s map %s, line %d: ignoring ENDIF without matching IF", type, file, lineno);
            return;
        }
        r = add_rule(dr, RULE_ENDIF, lineno);
        dr->rules[(*stack)[--*depth]].skip = dr->count - 1;
        return;
    }
    if (strncasecmp(p, "if", 2) == 0 && !isalnum((unsigned char)p[2])) {
        p += 2;
        while (isspace((unsigned char)*p))
            p++;
        if ((re = parse_pattern(dr, &p, lineno, &negate)) == 0)
            return; /* Postfix too drops the IF; its ENDIF then warns */
        while (isspace((unsigned char)*p))
            p++;
        if (*p)
            msg_warn("%s map %s, line %d: ignoring extra text after IF", type, file, lineno);
        r = add_rule(dr, RULE_IF, lineno);
        r->re = re;
        r->negate = negate;
        if (*depth == *stack_cap) {
            *stack_cap = *stack_cap ? *stack_cap * 2 : 8;
            *stack = myrealloc(*stack, *stack_cap * sizeof(size_t));
        }
        (*stack)[(*depth)++] = dr->count - 1;
        return;
    }
    if ((re = parse_pattern(dr, &p, lineno, &negate)) == 0)
        return;
    while (isspace((unsigned char)*p))
        p++;
    if (*p == 0)
        msg_warn("%s map %s, line %d: no replacement text: using empty string", type, file, lineno);
    why = vstr_alloc(100);
    refs = dict_regex_max_ref(p, why, &located);
    if (refs < 0) {
        if (located)
            msg_warn("%s map %s, line %d: %s", type, file, lineno, why->buf);
        else
            msg_warn("%s", why->buf);
        msg_warn("%s map %s, line %d: bad replacement syntax: skipping this rule", type, file,
                 lineno);
        vstr_free(why);
        dr->ops->release(re);
        return;
    }
    vstr_free(why);
    if (negate && refs > 0) {
        msg_warn("%s map %s, line %d: $number found in negative match replacement text: "
                 "skipping this rule",
                 type, file, lineno);
        dr->ops->release(re);
        return;
    }
    if (refs > dr->ops->groups(re)) {
        msg_warn("%s map %s, line %d: out of range replacement index \"%d\": skipping this rule",
                 type, file, lineno, refs);
        dr->ops->release(re);
        return;
    }
    r = add_rule(dr, RULE_MATCH, lineno);
    r->re = re;
    r->negate = negate;
    r->result = mystrdup(p);
}

/* flush_line - parse the gathered logical line, if any, and empty it. */
static void flush_line(DICT_REGEX *dr, VSTR *line, int lineno, size_t **stack, size_t *depth,
                       size_t *stack_cap)
{
    while (line->len > 0 && isspace((unsigned char)line->buf[line->len - 1]))
        vstr_truncate(line, line->len - 1);
    if (line->len > 0)
        parse_line(dr, line->buf, lineno, stack, depth, stack_cap);
    vstr_reset(line);
}

/* read_file - the whole file into buf; 0 or -1 with errno. */
static int read_file(const char *path, VSTR *buf)
{
    char chunk[4096];
    ssize_t n;
    int fd;
    int saved;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        vstr_addmem(buf, chunk, (size_t)n);
    }
    close(fd);
    return 0;
}

/*
 * dict_regex_open - read the table file name (see the header) with the
 * engine ops. Never returns NULL.
 */
DICT *dict_regex_open(const char *name, int dict_flags, const DICT_REGEX_OPS *ops)
{
    DICT_REGEX *dr;
    VSTR *text = vstr_alloc(4096);
    VSTR *line = vstr_alloc(256);
    size_t *stack = 0;
    size_t depth = 0;
    size_t stack_cap = 0;
    size_t pos = 0;
    int lineno = 0;
    int first_lineno = 0;

    if (read_file(name, text) < 0) {
        vstr_free(text);
        vstr_free(line);
        if (dict_flags & DICT_FLAG_FATAL_OPEN)
            msg_fatal("open %s: %m", name);
        return dict_surrogate(ops->type, name, DICT_ERR_CONFIG, "open %s: %m", name);
    }
    dr = (DICT_REGEX *)dict_alloc(ops->type, name, sizeof(DICT_REGEX));
    dr->dict.flags = (dict_flags & ~DICT_FLAG_FIXED) | DICT_FLAG_PATTERN;
    dr->dict.lookup = regex_lookup;
    dr->dict.close = regex_close;
    dr->ops = ops;
    dr->result = vstr_alloc(100);
    dr->ov = mymalloc(2 * DICT_REGEX_MAX_GROUPS * sizeof(size_t));
    dict_watch_file(&dr->dict, name);

    /* Logical lines: a line starting with white space continues. */
    while (pos < text->len) {
        const char *start = text->buf + pos;
        const char *nl = memchr(start, '\n', text->len - pos);
        size_t len = nl ? (size_t)(nl - start) : text->len - pos;
        const char *cp;

        pos += len + (nl ? 1 : 0);
        lineno++;
        for (cp = start; cp < start + len && isspace((unsigned char)*cp); cp++)
            ;
        if (cp == start + len || *cp == '#')
            continue; /* blank or comment line */
        if (cp != start && line->len > 0) {
            vstr_addmem(line, start, len);
            continue;
        }
        flush_line(dr, line, first_lineno, &stack, &depth, &stack_cap);
        vstr_memcpy(line, cp, len - (size_t)(cp - start));
        first_lineno = lineno;
    }
    flush_line(dr, line, first_lineno, &stack, &depth, &stack_cap);
    if (depth > 0)
        msg_warn("%s map %s, line %d: IF has no matching ENDIF", ops->type, name,
                 dr->rules[stack[depth - 1]].lineno);
    /* an unterminated IF extends to the end of the table */
    while (depth > 0)
        dr->rules[stack[--depth]].skip = dr->count;
    myfree(stack);
    vstr_free(text);
    vstr_free(line);
    return &dr->dict;
}
