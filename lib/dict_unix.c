/*
 * dict_unix - the unix: lookup table type. PLACEHOLDER while it is written:
 * every lookup is a configuration error (mail is deferred, never bounced).
 */
#include "dict.h"

DICT *dict_unix_open(const char *name, int open_flags, int dict_flags)
{
    (void)open_flags;
    (void)dict_flags;
    return dict_surrogate("unix", name, DICT_ERR_CONFIG, "unix: table type not yet supported");
}
