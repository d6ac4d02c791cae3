/*
 * NAME
 *     dict_pcre - the pcre: lookup table type (PCRE2)
 * SYNOPSIS
 *     pcre:/etc/postfix/file
 * DESCRIPTION
 *     A Postfix pcre_table(5): "/pattern/flags result", "!/pattern/flags
 *     result", nested "if /pattern/flags" .. "endif", $n substitution; the
 *     file format and lookup walk are in dict_regex_common.c. Patterns are
 *     compiled with PCRE2; flags toggle, from Postfix's defaults
 *     (case-insensitive and DOTALL on): i PCRE2_CASELESS, m PCRE2_MULTILINE,
 *     s PCRE2_DOTALL, x PCRE2_EXTENDED, A PCRE2_ANCHORED, E
 *     PCRE2_DOLLAR_ENDONLY, U PCRE2_UNGREEDY; X (PCRE's EXTRA) is accepted
 *     with a warning and has no effect, as with Postfix built on PCRE2.
 * DIAGNOSTICS
 *     "pcre map FILE, line N: error in regex at offset O: TEXT" for a
 *     pattern PCRE2 rejects (the rule is skipped, as Postfix does). A match
 *     error other than "no match" (e.g. the match limit) is logged as
 *     "pcre map FILE: matching error N: TEXT" and the lookup fails with
 *     DICT_ERR_CONFIG.
 * SEE ALSO
 *     Postfix pcre_table(5), dict_pcre.c; pcre2api(3).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dict.h"
#include "dict_regex_common.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct PCRE_RE {
    pcre2_code *code;
    pcre2_match_data *md;
} PCRE_RE;

/* pcre_flag - toggle the option for flag character c. */
static int pcre_flag(int c, int *flags)
{
    unsigned bit;

    switch (c) {
    case 'i':
        bit = PCRE2_CASELESS;
        break;
    case 'm':
        bit = PCRE2_MULTILINE;
        break;
    case 's':
        bit = PCRE2_DOTALL;
        break;
    case 'x':
        bit = PCRE2_EXTENDED;
        break;
    case 'A':
        bit = PCRE2_ANCHORED;
        break;
    case 'E':
        bit = PCRE2_DOLLAR_ENDONLY;
        break;
    case 'U':
        bit = PCRE2_UNGREEDY;
        break;
    case 'X':
        return 2; /* PCRE's EXTRA: "ignoring obsolete regexp option" */
    default:
        return 0;
    }
    *flags = (int)((unsigned)*flags ^ bit);
    return 1;
}

static void *pcre_compile_re(const char *pattern, int flags, VSTR *err)
{
    PCRE_RE *re;
    pcre2_code *code;
    int errcode;
    PCRE2_SIZE erroff;
    PCRE2_UCHAR text[256];

    code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, (uint32_t)flags, &errcode,
                         &erroff, 0);
    if (code == 0) {
        if (pcre2_get_error_message(errcode, text, sizeof(text)) < 0)
            text[0] = 0;
        vstr_sprintf(err, "error in regex at offset %zu: %s", (size_t)erroff, (char *)text);
        return 0;
    }
    re = mymalloc(sizeof(*re));
    re->code = code;
    re->md = pcre2_match_data_create_from_pattern(code, 0);
    if (re->md == 0)
        msg_fatal("pcre2_match_data_create_from_pattern: out of memory");
    return re;
}

static int pcre_groups(void *handle)
{
    PCRE_RE *re = handle;
    uint32_t n = 0;

    (void)pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &n);
    return (int)n;
}

static int pcre_match_re(void *handle, const char *key, size_t *ov, int max_pairs)
{
    PCRE_RE *re = handle;
    PCRE2_SIZE *vec;
    uint32_t pairs;
    uint32_t i;
    int rc;

    rc = pcre2_match(re->code, (PCRE2_SPTR)key, PCRE2_ZERO_TERMINATED, 0, 0, re->md, 0);
    if (rc == PCRE2_ERROR_NOMATCH)
        return 0;
    if (rc < 0) {
        PCRE2_UCHAR text[256];

        if (pcre2_get_error_message(rc, text, sizeof(text)) < 0)
            text[0] = 0;
        msg_warn("pcre map: matching error %d: %s", rc, (char *)text);
        return -1;
    }
    pairs = pcre2_get_ovector_count(re->md);
    vec = pcre2_get_ovector_pointer(re->md);
    if (pairs > (uint32_t)max_pairs)
        pairs = (uint32_t)max_pairs;
    for (i = 0; i < pairs; i++) {
        ov[2 * i] = vec[2 * i] == PCRE2_UNSET ? DICT_REGEX_UNSET : (size_t)vec[2 * i];
        ov[2 * i + 1] = vec[2 * i + 1] == PCRE2_UNSET ? DICT_REGEX_UNSET : (size_t)vec[2 * i + 1];
    }
    return (int)pairs;
}

static void pcre_release(void *handle)
{
    PCRE_RE *re = handle;

    pcre2_match_data_free(re->md);
    pcre2_code_free(re->code);
    myfree(re);
}

static const DICT_REGEX_OPS pcre_ops = {
    .type = "pcre",
    .default_flags = (int)(PCRE2_CASELESS | PCRE2_DOTALL),
    .flag = pcre_flag,
    .compile = pcre_compile_re,
    .groups = pcre_groups,
    .match = pcre_match_re,
    .release = pcre_release,
};

/*
 * dict_pcre_open - open the pcre: table file name (open_flags are ignored:
 * the table is read-only). Never returns NULL; a file that cannot be read
 * gives a surrogate (DICT_ERR_CONFIG).
 */
DICT *dict_pcre_open(const char *name, int open_flags, int dict_flags)
{
    (void)open_flags;
    return dict_regex_open(name, dict_flags, &pcre_ops);
}
