/*
 * dict - lookup tables behind one interface (Postfix's "type:name").
 *
 * dict_open(spec, open_flags, dict_flags) opens "type:name" (a bare name
 * means $default_database_type, "hash"). Built-in types: hash, btree
 * (Berkeley DB files name.db as Postfix's postmap writes them: keys and
 * values stored with a trailing NUL; readers try key+NUL first, then key
 * without; flock(LOCK_SH) around each access), static:value, inline:{ k=v,
 * k2=v2 }, texthash:file (the postmap source format read into memory),
 * fail:reason. More types register themselves with dict_register() (mysql,
 * pgsql, pcre, regexp, proxy come in the next issue). open_flags are open(2)
 * flags (O_RDONLY, or O_RDWR|O_CREAT|O_TRUNC for postmap). An unknown type,
 * or a table that cannot be opened, does not abort the caller: the result is
 * a table whose every lookup fails with DICT_ERR_CONFIG and a warning is
 * logged ("unsupported dictionary type", "open database X: ...") — the
 * caller then defers mail, never bounces it.
 *
 * dict_get(d, key): the value, or NULL. NULL with d->error == DICT_ERR_NONE
 * means "not found"; DICT_ERR_RETRY a temporary failure; DICT_ERR_CONFIG a
 * configuration error. With DICT_FLAG_FOLD_FIX (set by default for fixed-key
 * tables) the key is lower-cased first. The result is valid until the next
 * call on the same table.
 * dict_put(d, key, value) / dict_del(d, key): DICT_STAT_SUCCESS, _FAIL
 * (exists / not found), or _ERROR. dict_seq(d, DICT_SEQ_FIRST or _NEXT, &key,
 * &value): 0 for an entry, 1 at the end, -1 on error (postmap -s).
 * dict_close(d) releases it.
 * dict_changed_name(): the name of the first open file-based table whose
 * file changed since it was opened (fstat of a descriptor kept open on it,
 * as Postfix does, so it also works inside a chroot: a new mtime, or the
 * file unlinked or replaced), or NULL. Daemons call it
 * before accepting a client and exit so the master restarts them (reference
 * trap 24: postmap takes effect without a reload).
 */
#ifndef POSTERN_DICT_H
#define POSTERN_DICT_H
#include <time.h>
#include <sys/types.h>

#include "vstr.h"

#define DICT_ERR_NONE 0
#define DICT_ERR_RETRY (-1)
#define DICT_ERR_CONFIG (-2)

#define DICT_STAT_SUCCESS 0
#define DICT_STAT_FAIL 1
#define DICT_STAT_ERROR (-1)

#define DICT_SEQ_FIRST 0
#define DICT_SEQ_NEXT 1

#define DICT_FLAG_DUP_WARN (1 << 0)
#define DICT_FLAG_DUP_IGNORE (1 << 1)
#define DICT_FLAG_TRY0NULL (1 << 2)
#define DICT_FLAG_TRY1NULL (1 << 3)
#define DICT_FLAG_FIXED (1 << 4)
#define DICT_FLAG_PATTERN (1 << 5)
#define DICT_FLAG_LOCK (1 << 6)
#define DICT_FLAG_DUP_REPLACE (1 << 7)
#define DICT_FLAG_FOLD_FIX (1 << 14)
#define DICT_FLAG_FOLD_MUL (1 << 15)
#define DICT_FLAG_BULK_UPDATE (1 << 17)
/* Postern extension (postmap): a table that cannot be opened is fatal
 * ("open database X.db: ...") instead of becoming a surrogate. */
#define DICT_FLAG_FATAL_OPEN (1 << 24)

/* What daemons use for *_maps (Postfix's default for maps). */
#define DICT_FLAGS_DEFAULT (DICT_FLAG_LOCK | DICT_FLAG_FOLD_FIX)

typedef struct DICT DICT;
struct DICT {
    char *type; /* "hash" */
    char *name; /* "/etc/postfix/virtual" */
    int flags;  /* DICT_FLAG_* */
    int error;  /* DICT_ERR_* of the last operation */
    const char *(*lookup)(DICT *, const char *key);
    int (*update)(DICT *, const char *key, const char *value);
    int (*delete)(DICT *, const char *key);
    int (*sequence)(DICT *, int func, const char **key, const char **value);
    void (*close)(DICT *);
    char *file; /* file to watch for changes, or NULL */
    dev_t file_dev;
    ino_t file_ino;
    time_t file_mtime;
    long file_mtime_ns;
    int watch_fd;   /* open on file: fstat works after chroot; -1 if none */
    VSTR *fold_buf; /* lower-cased key */
};

typedef DICT *(*DICT_OPEN_FN)(const char *name, int open_flags, int dict_flags);

extern DICT *dict_open(const char *spec, int open_flags, int dict_flags);
extern void dict_register(const char *type, DICT_OPEN_FN fn);
extern const char *dict_get(DICT *d, const char *key);
extern int dict_put(DICT *d, const char *key, const char *value);
extern int dict_del(DICT *d, const char *key);
extern int dict_seq(DICT *d, int func, const char **key, const char **value);
extern void dict_close(DICT *d);
extern const char *dict_changed_name(void);
/* For drivers: allocate a DICT of size bytes with type/name set and the
 * other methods failing; and record the file to watch. */
extern DICT *dict_alloc(const char *type, const char *name, size_t size);
extern void dict_watch_file(DICT *d, const char *path);
extern DICT *dict_surrogate(const char *type, const char *name, int error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The postmap(1) source format, shared by postmap and texthash: read path
 * with the main.cf line rules (comments, continuation lines), split each
 * logical line into key and value at the first white space (a key may be
 * "quoted", keeping its quotes), trimming blanks, and call fn(key, value,
 * lineno, ctx) per entry; malformed lines get Postfix's warnings ("FILE, line
 * N: expected format: key whitespace value"). Returns 0, or -1 with errno
 * when the file cannot be opened. */
typedef void (*DICT_SOURCE_FN)(const char *key, const char *value, int lineno, void *ctx);
extern int dict_source_read(const char *path, DICT_SOURCE_FN fn, void *ctx);
extern void dict_source_parse(const char *label, int (*getline_fn)(VSTR *, void *), void *src,
                              DICT_SOURCE_FN fn, void *ctx);
/* The type names built in, space-separated, for postconf -m. */
extern const char *dict_type_names(void);

#endif
