/*
 * NAME
 *      mymalloc - memory allocation wrappers that never return NULL
 *
 * DESCRIPTION
 *      mymalloc(), myrealloc(), mystrdup(), mystrndup(), mymemdup() and
 *      myfree() wrap the C library allocator. A zero-length request returns
 *      a valid, unique pointer (one byte is allocated), so callers need not
 *      special-case empty data. This follows Postfix's mymalloc(3).
 *
 * DIAGNOSTICS
 *      Running out of memory is fatal: "fatal: mymalloc: insufficient
 *      memory for N bytes: Cannot allocate memory" (msg_fatal, exit 1).
 */
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"

/*
 * mymalloc - allocate len bytes (0 allowed); never returns NULL.
 */
void *mymalloc(size_t len)
{
    void *ptr = malloc(len ? len : 1);

    if (ptr == NULL)
        msg_fatal("mymalloc: insufficient memory for %zu bytes: %m", len);
    return ptr;
}

/*
 * myrealloc - resize ptr (NULL allowed: acts as mymalloc) to len bytes.
 */
void *myrealloc(void *ptr, size_t len)
{
    void *res = realloc(ptr, len ? len : 1);

    if (res == NULL)
        msg_fatal("myrealloc: insufficient memory for %zu bytes: %m", len);
    return res;
}

/*
 * mystrdup - copy a NUL-terminated string.
 */
char *mystrdup(const char *str)
{
    if (str == NULL)
        msg_panic("mystrdup: null pointer argument");
    return mymemdup(str, strlen(str) + 1);
}

/*
 * mystrndup - copy at most len bytes of str; the result is always
 * NUL-terminated.
 */
char *mystrndup(const char *str, size_t len)
{
    const char *end;
    char *res;

    if (str == NULL)
        msg_panic("mystrndup: null pointer argument");
    if ((end = memchr(str, 0, len)) != NULL)
        len = (size_t)(end - str);
    res = mymalloc(len + 1);
    memcpy(res, str, len);
    res[len] = 0;
    return res;
}

/*
 * mymemdup - copy len bytes of arbitrary data.
 */
void *mymemdup(const void *ptr, size_t len)
{
    void *res = mymalloc(len);

    if (len)
        memcpy(res, ptr, len);
    return res;
}

/*
 * myfree - release memory from the functions above (NULL allowed).
 */
void myfree(void *ptr)
{
    free(ptr);
}
