/*
 * vstr - growable byte strings with an explicit length.
 *
 * A VSTR holds len bytes at buf, followed by a NUL that is not counted, so
 * buf is always a valid C string as well as a byte buffer that may contain
 * NULs. Every writer grows the buffer as needed (doubling); growth failure
 * is fatal (mymalloc). No function here ever truncates silently.
 *
 * vstr_alloc(hint) makes an empty string with room for hint bytes.
 * vstr_free() releases it (NULL allowed).
 * vstr_reset() sets len to 0. vstr_truncate(v, n) shortens to n bytes (no-op
 * if n >= len).
 * vstr_addch/addmem/addstr append; vstr_strcpy/memcpy replace.
 * vstr_sprintf() replaces the contents with printf-style output (glibc
 * formats, %m included); vstr_sprintf_append() appends.
 * vstr_export() hands the buffer to the caller (to be released with myfree)
 * and frees the VSTR.
 */
#ifndef POSTERN_VSTR_H
#define POSTERN_VSTR_H
#include <stdarg.h>
#include <stddef.h>

typedef struct VSTR {
    char *buf;  /* always NUL-terminated */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap; /* bytes allocated, including room for the NUL */
} VSTR;

#define VSTR_STR(v) ((v)->buf)
#define VSTR_LEN(v) ((v)->len)

extern VSTR *vstr_alloc(size_t hint);
extern void vstr_free(VSTR *v);
extern void vstr_reset(VSTR *v);
extern void vstr_truncate(VSTR *v, size_t len);
extern void vstr_addch(VSTR *v, int ch);
extern void vstr_addmem(VSTR *v, const void *data, size_t len);
extern void vstr_addstr(VSTR *v, const char *str);
extern void vstr_strcpy(VSTR *v, const char *str);
extern void vstr_memcpy(VSTR *v, const void *data, size_t len);
extern void vstr_sprintf(VSTR *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern void vstr_sprintf_append(VSTR *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
extern void vstr_vsprintf_append(VSTR *v, const char *fmt, va_list ap);
extern char *vstr_export(VSTR *v);

#endif
