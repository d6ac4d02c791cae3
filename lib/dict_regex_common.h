/*
 * dict_regex_common - the table format shared by the pcre: and regexp:
 * lookup tables (Postfix pcre_table(5), regexp_table(5)).
 *
 * dict_regex_open(name, dict_flags, ops) reads the file name: logical lines
 * (a line starting with white space continues the previous one; blank lines
 * and lines whose first non-blank is '#' are skipped), each one of
 * "/pattern/flags result", "!/pattern/flags result", "if /pattern/flags",
 * "if !/pattern/flags" or "endif" (if..endif nest). The delimiter is any
 * non-alphanumeric, non-blank character. ops supplies the regular expression
 * engine. A rule that cannot be parsed or compiled is skipped with
 * Postfix's warning "TYPE map FILE, line N: ..."; a file that cannot be read
 * gives a surrogate table (DICT_ERR_CONFIG, or fatal with
 * DICT_FLAG_FATAL_OPEN). The table has DICT_FLAG_PATTERN: it sees the whole
 * key once. Results substitute $1..$9 / ${n} / $(n) with the matched
 * subexpressions (empty when one did not participate) and $$ with '$'.
 *
 * dict_regex_expand(result, key, ov, nmatch, out) is the substitution alone
 * (exported for the unit test): ov holds nmatch start/end offset pairs into
 * key, (size_t)-1 for an unset group.
 */
#ifndef POSTERN_DICT_REGEX_COMMON_H
#define POSTERN_DICT_REGEX_COMMON_H
#include <stddef.h>

#include "dict.h"
#include "vstr.h"

#define DICT_REGEX_MAX_GROUPS 100 /* subexpressions captured per match */
#define DICT_REGEX_UNSET ((size_t)-1)

typedef struct DICT_REGEX_OPS {
    const char *type;  /* "pcre" or "regexp" */
    int default_flags; /* engine option bits before the flags toggle them */
    /* Toggle the bit for flag character c in *flags: 1; 0 if c is unknown;
     * 2 for an obsolete flag that is accepted and ignored (warned about). */
    int (*flag)(int c, int *flags);
    /* Compile pattern with flags: the handle, or NULL with err set. */
    void *(*compile)(const char *pattern, int flags, VSTR *err);
    /* Number of capturing subexpressions of a compiled pattern. */
    int (*groups)(void *re);
    /* Match key: number of ov pairs filled (>= 1), 0 for no match, -1 on
     * an engine error (logged by the engine). */
    int (*match)(void *re, const char *key, size_t *ov, int max_pairs);
    void (*release)(void *re);
} DICT_REGEX_OPS;

extern DICT *dict_regex_open(const char *name, int dict_flags, const DICT_REGEX_OPS *ops);
extern void dict_regex_expand(const char *result, const char *key, const size_t *ov, int nmatch,
                              VSTR *out);
/* Largest $n used by result, or -1 when result has a malformed $ macro
 * (why: the diagnostic; *located: it needs the "TYPE map FILE, line N: "
 * prefix). */
extern int dict_regex_max_ref(const char *result, VSTR *why, int *located);

#endif
