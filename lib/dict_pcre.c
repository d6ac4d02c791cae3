/*
 * dict_pcre - the pcre: lookup table type. PLACEHOLDER while it is written:
 * every lookup is a configuration error (mail is deferred, never bounced).
 */
#include "dict.h"

DICT *dict_pcre_open(const char *name, int open_flags, int dict_flags)
{
    (void)open_flags;
    (void)dict_flags;
    return dict_surrogate("pcre", name, DICT_ERR_CONFIG, "pcre: table type not yet supported");
}
