/*
 * attr - the attribute-list IPC codec between Postern daemons.
 *
 * The wire format is Postfix's "attr0" (reference section 4.2): a list is
 * name NUL value NUL pairs ended by an empty name (a lone NUL). Numbers are
 * decimal text, binary data is base64. Keeping Postfix's format lets a test
 * put a Postfix program on the other side of a socket.
 *
 * Writing: attr_print_str(st, name, value), attr_print_long(st, name, n),
 * attr_print_data(st, name, data, len) (base64) append one attribute;
 * attr_print_end(st) appends the terminator. The caller flushes the stream.
 * All return 0 or -1 (stream error).
 *
 * Reading: attr_scan(st, list, limit) clears list and reads one complete
 * list: 0 on success, -1 on EOF, I/O error, timeout, a name or value longer
 * than limit bytes, or more than 1024 attributes. A caller that gets -1 must
 * drop the connection: a list is parsed completely or not at all.
 * attr_get(list, name) returns the value of the first attribute with that
 * name, or NULL. attr_get_long(list, name, &n) returns 0 and stores the
 * number, or -1 when absent or not a decimal number.
 * attr_get_data(list, name, out) decodes a base64 value into out (0 / -1).
 * attr_expect(list, name, value): 0 if name is present with exactly that
 * value (Postfix's STREQ, used for greetings), else -1.
 */
#ifndef POSTERN_ATTR_H
#define POSTERN_ATTR_H
#include <stddef.h>

#include "stream.h"
#include "vstr.h"

#define ATTR_LIMIT_DEFAULT (4 * 2048 * 8) /* bytes per name or value */

typedef struct ATTR_LIST {
    int count;
    int cap;
    char **names;
    char **values;
} ATTR_LIST;

extern ATTR_LIST *attr_list_alloc(void);
extern void attr_list_free(ATTR_LIST *list);
extern void attr_list_reset(ATTR_LIST *list);
extern int attr_print_str(STREAM *st, const char *name, const char *value);
extern int attr_print_long(STREAM *st, const char *name, long value);
extern int attr_print_data(STREAM *st, const char *name, const void *data, size_t len);
extern int attr_print_end(STREAM *st);
extern int attr_scan(STREAM *st, ATTR_LIST *list, size_t limit);
extern const char *attr_get(const ATTR_LIST *list, const char *name);
extern int attr_get_long(const ATTR_LIST *list, const char *name, long *value);
extern int attr_get_data(const ATTR_LIST *list, const char *name, VSTR *out);
extern int attr_expect(const ATTR_LIST *list, const char *name, const char *value);

#endif
