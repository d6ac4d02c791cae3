/*
 * NAME
 *      attr - Postfix "attr0" attribute-list codec
 *
 * DESCRIPTION
 *      See attr.h and reference section 4.2 (util/attr_print0.c,
 *      util/attr_scan0.c). A list is a sequence of "name NUL value NUL"
 *      pairs ended by a lone NUL. Numbers are decimal text, binary data is
 *      base64 (RFC 4648 alphabet with '=' padding, as Postfix's
 *      base64_code.c). The reader keeps every attribute in order; lookups
 *      return the first match, so unknown or extra attributes are
 *      effectively skipped (Postfix's non-strict mode). Nested "{" ... "}"
 *      groups are stored as ordinary attributes.
 *
 * DIAGNOSTICS
 *      attr_scan() returns -1 (and logs a warning naming the stream) for a
 *      truncated list, an I/O error or timeout, an over-long name or value,
 *      or too many attributes; the caller must drop the connection.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "msg.h"
#include "mymalloc.h"

#define ATTR_MAX_COUNT 1024

static const char attr_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* attr_list_alloc - new empty list. */
ATTR_LIST *attr_list_alloc(void)
{
    ATTR_LIST *list = mymalloc(sizeof(*list));

    list->count = 0;
    list->cap = 8;
    list->names = mymalloc(sizeof(char *) * (size_t)list->cap);
    list->values = mymalloc(sizeof(char *) * (size_t)list->cap);
    return list;
}

/* attr_list_reset - drop all attributes (keeps the list). */
void attr_list_reset(ATTR_LIST *list)
{
    int i;

    for (i = 0; i < list->count; i++) {
        myfree(list->names[i]);
        myfree(list->values[i]);
    }
    list->count = 0;
}

/* attr_list_free - release the list (NULL allowed). */
void attr_list_free(ATTR_LIST *list)
{
    if (list == NULL)
        return;
    attr_list_reset(list);
    myfree(list->names);
    myfree(list->values);
    myfree(list);
}

/* attr_list_append - take ownership of name and value. */
static void attr_list_append(ATTR_LIST *list, char *name, char *value)
{
    if (list->count >= list->cap) {
        list->cap *= 2;
        list->names = myrealloc(list->names, sizeof(char *) * (size_t)list->cap);
        list->values = myrealloc(list->values, sizeof(char *) * (size_t)list->cap);
    }
    list->names[list->count] = name;
    list->values[list->count] = value;
    list->count++;
}

/*
 * attr_print_str - append "name NUL value NUL". Returns 0 or -1 (stream
 * error).
 */
int attr_print_str(STREAM *st, const char *name, const char *value)
{
    if (stream_write(st, name, strlen(name) + 1) < 0)
        return -1;
    return stream_write(st, value, strlen(value) + 1);
}

/* attr_print_long - append a decimal number attribute: 0 or -1. */
int attr_print_long(STREAM *st, const char *name, long value)
{
    if (stream_write(st, name, strlen(name) + 1) < 0)
        return -1;
    if (stream_printf(st, "%ld", value) < 0)
        return -1;
    return stream_putc(st, 0);
}

/* attr_print_data - append len bytes of data as base64: 0 or -1. */
int attr_print_data(STREAM *st, const char *name, const void *data, size_t len)
{
    const unsigned char *cp = data;
    VSTR *v = vstr_alloc((len + 2) / 3 * 4 + 1);
    size_t i;
    unsigned long w;
    int ret;

    for (i = 0; i + 2 < len; i += 3) {
        w = ((unsigned long)cp[i] << 16) | ((unsigned long)cp[i + 1] << 8) | cp[i + 2];
        vstr_addch(v, attr_b64[(w >> 18) & 63]);
        vstr_addch(v, attr_b64[(w >> 12) & 63]);
        vstr_addch(v, attr_b64[(w >> 6) & 63]);
        vstr_addch(v, attr_b64[w & 63]);
    }
    if (len - i == 1) {
        w = (unsigned long)cp[i] << 16;
        vstr_addch(v, attr_b64[(w >> 18) & 63]);
        vstr_addch(v, attr_b64[(w >> 12) & 63]);
        vstr_addstr(v, "==");
    } else if (len - i == 2) {
        w = ((unsigned long)cp[i] << 16) | ((unsigned long)cp[i + 1] << 8);
        vstr_addch(v, attr_b64[(w >> 18) & 63]);
        vstr_addch(v, attr_b64[(w >> 12) & 63]);
        vstr_addch(v, attr_b64[(w >> 6) & 63]);
        vstr_addch(v, '=');
    }
    ret = attr_print_str(st, name, VSTR_STR(v));
    vstr_free(v);
    return ret;
}

/* attr_print_end - append the list terminator: 0 or -1. */
int attr_print_end(STREAM *st)
{
    return stream_putc(st, 0);
}

/*
 * attr_scan_string - read one NUL-terminated string of at most limit
 * bytes into v. Returns 0, or -1 on EOF/error/over-long (reason in *why).
 */
static int attr_scan_string(STREAM *st, VSTR *v, size_t limit, const char **why)
{
    int ch;

    vstr_reset(v);
    for (;;) {
        if ((ch = stream_getc(st)) == STREAM_EOF) {
            *why = stream_timedout(st) ? "timeout"
                   : stream_error(st)  ? "read error"
                                       : "premature end-of-input";
            return -1;
        }
        if (ch == 0)
            return 0;
        if (VSTR_LEN(v) >= limit) {
            *why = "string length exceeds limit";
            return -1;
        }
        vstr_addch(v, ch);
    }
}

/*
 * attr_scan - clear list and read one complete list from st. Returns 0, or
 * -1 on EOF, I/O error, timeout, a name or value longer than limit bytes,
 * or more than 1024 attributes.
 */
int attr_scan(STREAM *st, ATTR_LIST *list, size_t limit)
{
    VSTR *name = vstr_alloc(32);
    VSTR *value = vstr_alloc(64);
    const char *why = NULL;
    int ret = 0;

    attr_list_reset(list);
    for (;;) {
        if (attr_scan_string(st, name, limit, &why) < 0) {
            ret = -1;
            break;
        }
        if (VSTR_LEN(name) == 0)
            break;
        if (list->count >= ATTR_MAX_COUNT) {
            why = "too many attributes";
            ret = -1;
            break;
        }
        if (attr_scan_string(st, value, limit, &why) < 0) {
            ret = -1;
            break;
        }
        attr_list_append(list, mystrndup(VSTR_STR(name), VSTR_LEN(name)),
                         mymemdup(VSTR_STR(value), VSTR_LEN(value) + 1));
    }
    if (ret < 0) {
        /* An empty stream at a list boundary is a normal disconnect. */
        if (!(list->count == 0 && VSTR_LEN(name) == 0 && stream_eof(st) && !stream_error(st)))
            msg_warn("%s: attribute list error: %s", stream_path(st), why);
        attr_list_reset(list);
    }
    vstr_free(name);
    vstr_free(value);
    return ret;
}

/* attr_get - value of the first attribute called name, or NULL. */
const char *attr_get(const ATTR_LIST *list, const char *name)
{
    int i;

    for (i = 0; i < list->count; i++)
        if (strcmp(list->names[i], name) == 0)
            return list->values[i];
    return NULL;
}

/*
 * attr_get_long - parse the decimal value of name into *value: 0, or -1
 * when absent, empty, not decimal, or out of range.
 */
int attr_get_long(const ATTR_LIST *list, const char *name, long *value)
{
    const char *str = attr_get(list, name);
    const char *cp;
    char *end;
    long n;

    if (str == NULL || *str == 0)
        return -1;
    cp = (*str == '-') ? str + 1 : str;
    if (*cp < '0' || *cp > '9')
        return -1;
    errno = 0;
    n = strtol(str, &end, 10);
    if (*end != 0 || errno == ERANGE)
        return -1;
    *value = n;
    return 0;
}

/* attr_b64_val - value of a base64 digit, or -1. */
static int attr_b64_val(int ch)
{
    const char *p;

    if (ch == 0 || (p = strchr(attr_b64, ch)) == NULL)
        return -1;
    return (int)(p - attr_b64);
}

/*
 * attr_get_data - decode the base64 value of name into out: 0, or -1 when
 * absent or malformed (length not a multiple of 4, bad digit, bad padding).
 */
int attr_get_data(const ATTR_LIST *list, const char *name, VSTR *out)
{
    const char *str = attr_get(list, name);
    size_t len;
    size_t i;
    int d[4];
    int k;
    int pad;

    vstr_reset(out);
    if (str == NULL)
        return -1;
    len = strlen(str);
    if (len % 4 != 0)
        return -1;
    for (i = 0; i < len; i += 4) {
        pad = 0;
        for (k = 0; k < 4; k++) {
            if (str[i + k] == '=' && i + 4 == len && k >= 2) {
                d[k] = 0;
                pad++;
            } else if (pad || (d[k] = attr_b64_val((unsigned char)str[i + k])) < 0) {
                vstr_reset(out);
                return -1;
            }
        }
        vstr_addch(out, (d[0] << 2) | (d[1] >> 4));
        if (pad < 2)
            vstr_addch(out, ((d[1] & 15) << 4) | (d[2] >> 2));
        if (pad < 1)
            vstr_addch(out, ((d[2] & 3) << 6) | d[3]);
    }
    return 0;
}

/*
 * attr_expect - 0 if name is present with exactly value (Postfix STREQ,
 * used to check greetings), else -1.
 */
int attr_expect(const ATTR_LIST *list, const char *name, const char *value)
{
    const char *got = attr_get(list, name);

    return (got != NULL && strcmp(got, value) == 0) ? 0 : -1;
}
