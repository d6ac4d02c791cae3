/*
 * argv - growable NULL-terminated string arrays.
 *
 * argv_alloc(hint) makes an empty list; argv_add() appends a copy of each
 * string argument up to a NULL terminator; argv_addn() appends one string of
 * explicit length. argv_split(str, delims) splits str at any run of the
 * delimiter characters, dropping empty fields (Postfix list syntax uses
 * delims ", \t\r\n"). argv_free() releases the array and its strings.
 * argv->argv[argv->argc] is always NULL.
 */
#ifndef POSTERN_ARGV_H
#define POSTERN_ARGV_H
#include <stddef.h>

typedef struct ARGV {
    int argc;    /* number of strings */
    int cap;     /* allocated slots */
    char **argv; /* NULL-terminated */
} ARGV;

#define CFG_LIST_DELIMS ", \t\r\n"

extern ARGV *argv_alloc(int hint);
extern void argv_add(ARGV *a, ...); /* const char *..., (char *) 0 */
extern void argv_addn(ARGV *a, const char *str, size_t len);
extern ARGV *argv_split(const char *str, const char *delims);
extern void argv_free(ARGV *a);

#endif
