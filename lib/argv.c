/*
 * NAME
 *      argv - growable NULL-terminated string arrays
 *
 * DESCRIPTION
 *      See argv.h. Every string is a private copy; argv->argv[argc] is
 *      always NULL so the array can be passed to execv(2). argv_split()
 *      splits at runs of delimiter characters and drops empty fields, as
 *      Postfix's mystrtok()-based list parsing does.
 *
 * DIAGNOSTICS
 *      Allocation failure is fatal (mymalloc).
 */
#include <stdarg.h>
#include <string.h>

#include "argv.h"
#include "msg.h"
#include "mymalloc.h"

/* argv_space - make room for one more element plus the NULL. */
static void argv_space(ARGV *a)
{
    if (a->argc + 1 >= a->cap) {
        if (a->cap > (1 << 28))
            msg_panic("argv_space: too many elements");
        a->cap *= 2;
        a->argv = myrealloc(a->argv, (size_t)a->cap * sizeof(char *));
    }
}

/*
 * argv_alloc - new empty list with room for hint strings.
 */
ARGV *argv_alloc(int hint)
{
    ARGV *a = mymalloc(sizeof(*a));

    a->cap = hint < 4 ? 4 : hint + 1;
    a->argc = 0;
    a->argv = mymalloc((size_t)a->cap * sizeof(char *));
    a->argv[0] = NULL;
    return a;
}

/*
 * argv_add - append copies of the string arguments up to a (char *) 0.
 */
void argv_add(ARGV *a, ...)
{
    va_list ap;
    const char *s;

    va_start(ap, a);
    while ((s = va_arg(ap, const char *)) != NULL) {
        argv_space(a);
        a->argv[a->argc++] = mystrdup(s);
    }
    va_end(ap);
    a->argv[a->argc] = NULL;
}

/*
 * argv_addn - append a copy of len bytes of str (stops at an embedded NUL).
 */
void argv_addn(ARGV *a, const char *str, size_t len)
{
    argv_space(a);
    a->argv[a->argc++] = mystrndup(str, len);
    a->argv[a->argc] = NULL;
}

/*
 * argv_split - split str at runs of characters in delims; empty fields
 * are dropped. Returns a new list (argv_free).
 */
ARGV *argv_split(const char *str, const char *delims)
{
    ARGV *a = argv_alloc(4);
    size_t n;

    if (str == NULL)
        return a;
    for (;;) {
        str += strspn(str, delims);
        if (*str == 0)
            break;
        n = strcspn(str, delims);
        argv_addn(a, str, n);
        str += n;
    }
    return a;
}

/*
 * argv_free - release the list and its strings (NULL allowed).
 */
void argv_free(ARGV *a)
{
    int i;

    if (a == NULL)
        return;
    for (i = 0; i < a->argc; i++)
        myfree(a->argv[i]);
    myfree(a->argv);
    myfree(a);
}
