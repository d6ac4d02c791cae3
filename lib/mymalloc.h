/*
 * mymalloc - memory allocation that never returns NULL.
 *
 * mymalloc(len) returns len bytes (len may be 0), myrealloc() resizes,
 * mystrdup()/mystrndup() copy a string (mystrndup copies at most len bytes
 * and always NUL-terminates), myfree() releases (NULL is allowed).
 * Running out of memory is fatal (msg_fatal, exit 1): a daemon that cannot
 * allocate cannot do useful work, and the queue protocol loses nothing.
 */
#ifndef POSTERN_MYMALLOC_H
#define POSTERN_MYMALLOC_H
#include <stddef.h>

extern void *mymalloc(size_t len);
extern void *myrealloc(void *ptr, size_t len);
extern char *mystrdup(const char *str);
extern char *mystrndup(const char *str, size_t len);
extern void *mymemdup(const void *ptr, size_t len);
extern void myfree(void *ptr);

#endif
