/*
 * NAME
 *     dict_regexp - the regexp: lookup table type (POSIX regcomp)
 * SYNOPSIS
 *     regexp:/etc/postfix/file
 * DESCRIPTION
 *     A Postfix regexp_table(5): "/pattern/flags result", "!/pattern/flags
 *     result", nested "if /pattern/flags" .. "endif", $n substitution; the
 *     file format and lookup walk are in dict_regex_common.c. Patterns are
 *     POSIX regular expressions (regcomp(3)); flags toggle, from Postfix's
 *     defaults (REG_ICASE and REG_EXTENDED on): i REG_ICASE, x REG_EXTENDED,
 *     m REG_NEWLINE.
 * DIAGNOSTICS
 *     "regexp map FILE, line N: TEXT" with regerror(3)'s text for a pattern
 *     regcomp rejects (the rule is skipped, as Postfix does). A regexec
 *     error other than REG_NOMATCH makes the lookup fail with
 *     DICT_ERR_CONFIG.
 * SEE ALSO
 *     Postfix regexp_table(5), dict_regexp.c; regex(3).
 */
#include <regex.h>

#include "dict.h"
#include "dict_regex_common.h"
#include "msg.h"
#include "mymalloc.h"

/* regexp_flag - toggle the regcomp flag for flag character c. */
static int regexp_flag(int c, int *flags)
{
    switch (c) {
    case 'i':
        *flags ^= REG_ICASE;
        return 1;
    case 'x':
        *flags ^= REG_EXTENDED;
        return 1;
    case 'm':
        *flags ^= REG_NEWLINE;
        return 1;
    default:
        return 0;
    }
}

static void *regexp_compile_re(const char *pattern, int flags, VSTR *err)
{
    regex_t *re = mymalloc(sizeof(*re));
    int rc;

    if ((rc = regcomp(re, pattern, flags)) != 0) {
        size_t need = regerror(rc, re, 0, 0);
        char *text = mymalloc(need + 1);

        (void)regerror(rc, re, text, need + 1);
        vstr_strcpy(err, text);
        myfree(text);
        myfree(re);
        return 0;
    }
    return re;
}

static int regexp_groups(void *handle)
{
    return (int)((regex_t *)handle)->re_nsub;
}

static int regexp_match_re(void *handle, const char *key, size_t *ov, int max_pairs)
{
    regex_t *re = handle;
    size_t pairs = re->re_nsub + 1;
    regmatch_t *pm;
    size_t i;
    int rc;

    if (pairs > (size_t)max_pairs)
        pairs = (size_t)max_pairs;
    pm = mymalloc(pairs * sizeof(regmatch_t));
    rc = regexec(re, key, pairs, pm, 0);
    if (rc == REG_NOMATCH) {
        myfree(pm);
        return 0;
    }
    if (rc != 0) {
        char text[256];

        (void)regerror(rc, re, text, sizeof(text));
        msg_warn("regexp map: regexec: %s", text);
        myfree(pm);
        return -1;
    }
    for (i = 0; i < pairs; i++) {
        ov[2 * i] = pm[i].rm_so < 0 ? DICT_REGEX_UNSET : (size_t)pm[i].rm_so;
        ov[2 * i + 1] = pm[i].rm_eo < 0 ? DICT_REGEX_UNSET : (size_t)pm[i].rm_eo;
    }
    myfree(pm);
    return (int)pairs;
}

static void regexp_release(void *handle)
{
    regfree(handle);
    myfree(handle);
}

static const DICT_REGEX_OPS regexp_ops = {
    .type = "regexp",
    .default_flags = REG_ICASE | REG_EXTENDED,
    .flag = regexp_flag,
    .compile = regexp_compile_re,
    .groups = regexp_groups,
    .match = regexp_match_re,
    .release = regexp_release,
};

/*
 * dict_regexp_open - open the regexp: table file name (open_flags are
 * ignored: the table is read-only). Never returns NULL; a file that cannot
 * be read gives a surrogate (DICT_ERR_CONFIG).
 */
DICT *dict_regexp_open(const char *name, int open_flags, int dict_flags)
{
    (void)open_flags;
    return dict_regex_open(name, dict_flags, &regexp_ops);
}
