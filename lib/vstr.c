/*
 * NAME
 *      vstr - growable byte strings with an explicit length
 *
 * DESCRIPTION
 *      See vstr.h. The buffer always has room for a terminating NUL which
 *      is maintained after every operation, so VSTR_STR() is a valid C
 *      string (possibly with embedded NULs, covered by VSTR_LEN()). Growth
 *      doubles the capacity; nothing is ever truncated silently. This is
 *      the role of Postfix's VSTRING(3).
 *
 * DIAGNOSTICS
 *      Allocation failure is fatal (mymalloc). A size overflow is a panic.
 *      vstr_sprintf() preserves errno so that "%m" refers to the caller's
 *      errno.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

/* vstr_space - make room for at least extra more bytes plus the NUL. */
static void vstr_space(VSTR *v, size_t extra)
{
    size_t need;
    size_t ncap;

    if (extra > SIZE_MAX / 2 - v->len - 1)
        msg_panic("vstr_space: size overflow");
    need = v->len + extra + 1;
    if (need <= v->cap)
        return;
    ncap = v->cap ? v->cap : 16;
    while (ncap < need)
        ncap *= 2;
    v->buf = myrealloc(v->buf, ncap);
    v->cap = ncap;
}

/*
 * vstr_alloc - new empty string with room for hint bytes (0 allowed).
 */
VSTR *vstr_alloc(size_t hint)
{
    VSTR *v = mymalloc(sizeof(*v));

    if (hint < 15)
        hint = 15;
    v->cap = hint + 1;
    v->buf = mymalloc(v->cap);
    v->buf[0] = 0;
    v->len = 0;
    return v;
}

/*
 * vstr_free - release a string (NULL allowed).
 */
void vstr_free(VSTR *v)
{
    if (v == NULL)
        return;
    myfree(v->buf);
    myfree(v);
}

/*
 * vstr_reset - make the string empty (keeps the buffer).
 */
void vstr_reset(VSTR *v)
{
    v->len = 0;
    v->buf[0] = 0;
}

/*
 * vstr_truncate - shorten to len bytes; no-op if len >= current length.
 */
void vstr_truncate(VSTR *v, size_t len)
{
    if (len < v->len) {
        v->len = len;
        v->buf[len] = 0;
    }
}

/*
 * vstr_addch - append one byte (any value, NUL included).
 */
void vstr_addch(VSTR *v, int ch)
{
    vstr_space(v, 1);
    v->buf[v->len++] = (char)ch;
    v->buf[v->len] = 0;
}

/*
 * vstr_addmem - append len bytes of arbitrary data.
 */
void vstr_addmem(VSTR *v, const void *data, size_t len)
{
    if (len == 0)
        return;
    vstr_space(v, len);
    memmove(v->buf + v->len, data, len);
    v->len += len;
    v->buf[v->len] = 0;
}

/*
 * vstr_addstr - append a C string.
 */
void vstr_addstr(VSTR *v, const char *str)
{
    vstr_addmem(v, str, strlen(str));
}

/*
 * vstr_strcpy - replace the contents with a C string.
 */
void vstr_strcpy(VSTR *v, const char *str)
{
    vstr_memcpy(v, str, strlen(str));
}

/*
 * vstr_memcpy - replace the contents with len bytes of data. The source may
 * overlap the string's own buffer.
 */
void vstr_memcpy(VSTR *v, const void *data, size_t len)
{
    if (data >= (const void *)v->buf && data <= (const void *)(v->buf + v->len)) {
        memmove(v->buf, data, len);
        v->len = len;
        v->buf[len] = 0;
        return;
    }
    v->len = 0;
    vstr_addmem(v, data, len);
    v->buf[v->len] = 0;
}

/*
 * vstr_vsprintf_append - append printf-style output (glibc formats,
 * including %m which uses errno as it was on entry).
 */
void vstr_vsprintf_append(VSTR *v, const char *fmt, va_list ap)
{
    int saved_errno = errno;
    va_list ap2;
    int n;
    size_t room;

    for (;;) {
        room = v->cap - v->len;
        va_copy(ap2, ap);
        errno = saved_errno;
        n = vsnprintf(v->buf + v->len, room, fmt, ap2);
        va_end(ap2);
        if (n < 0)
            msg_panic("vstr_vsprintf_append: output error for format \"%s\"", fmt);
        if ((size_t)n < room) {
            v->len += (size_t)n;
            break;
        }
        vstr_space(v, (size_t)n);
    }
    errno = saved_errno;
}

/*
 * vstr_sprintf - replace the contents with printf-style output.
 */
void vstr_sprintf(VSTR *v, const char *fmt, ...)
{
    va_list ap;

    vstr_reset(v);
    va_start(ap, fmt);
    vstr_vsprintf_append(v, fmt, ap);
    va_end(ap);
}

/*
 * vstr_sprintf_append - append printf-style output.
 */
void vstr_sprintf_append(VSTR *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vstr_vsprintf_append(v, fmt, ap);
    va_end(ap);
}

/*
 * vstr_export - return the buffer (release with myfree) and free the VSTR.
 */
char *vstr_export(VSTR *v)
{
    char *buf = v->buf;

    myfree(v);
    return buf;
}
