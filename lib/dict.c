/*
 * NAME
 *      dict - the lookup table registry and generic table operations
 * SYNOPSIS
 *      #include "dict.h"
 * DESCRIPTION
 *      dict_open() parses a Postfix table specification "type:name" (the
 *      type ends at the first ':'; the rest, which may itself contain ':'
 *      as in "proxy:mysql:/x.cf" or braces as in "inline:{ a=b, { c = d }
 *      }", is the name handed to the driver). A name without a type uses
 *      $default_database_type (built-in default "hash"), as Postfix's
 *      dict_open does.
 *
 *      The registry is a small list of (type, open function) pairs.
 *      Built in: hash, btree (dict_db.c), static, inline, fail, texthash
 *      (dict_static.c, dict_inline.c, dict_fail.c, dict_texthash.c). A later
 *      driver (mysql, pgsql, pcre, regexp, proxy) adds itself with one
 *      dict_register() call; a type registered twice replaces the first.
 *
 *      dict_get/put/del fold the key to lower case first when the table has
 *      fixed keys and DICT_FLAG_FOLD_FIX is set (or pattern keys and
 *      DICT_FLAG_FOLD_MUL), as Postfix's dict drivers do (reference 7.1).
 *
 *      Errors never abort the caller: an unknown type or a table that cannot
 *      be opened becomes a "surrogate" table whose every operation fails
 *      with DICT_ERR_CONFIG (Postfix's dict_surrogate), so that mail is
 *      deferred rather than bounced (reference trap 13).
 *
 *      dict_changed_name() implements Postfix's dict_changed_name(): every
 *      file-backed table records the device, inode and mtime of its file at
 *      open time; the first table whose file now differs (or is gone) is
 *      named, so that daemons can restart themselves (trap 24).
 * DIAGNOSTICS
 *      "warning: unsupported dictionary type: TYPE", and the warning given
 *      to dict_surrogate(); both reported once at open time.
 * SEE ALSO
 *      Postfix util/dict_open.c, util/dict.c; reference sections 7.1, 15.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>

#include "config.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

/* Per-type open functions, defined in the other dict_*.c files. */
extern DICT *dict_db_hash_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_db_btree_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_static_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_inline_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_fail_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_texthash_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_pcre_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_regexp_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_proxy_open(const char *name, int open_flags, int dict_flags);
extern DICT *dict_unix_open(const char *name, int open_flags, int dict_flags);

typedef struct DICT_TYPE {
    char *type;
    DICT_OPEN_FN open;
} DICT_TYPE;

static DICT_TYPE *dict_types;
static int dict_ntypes;
static VSTR *dict_type_list;

/* Every table opened with a file to watch, for dict_changed_name(). */
static DICT **dict_open_list;
static int dict_open_count;
static VSTR *dict_changed_buf;

/*
 * Plugins. The database client libraries (MariaDB Connector/C; libpq with
 * its Kerberos, LDAP and GnuTLS dependencies) are loaded only by a process
 * that opens such a table, as Postfix's dynamicmaps.cf does: linked into
 * every daemon they cost each process megabytes of memory and their
 * constructors' CPU at every start. dict_TYPE.so lives in daemon_directory
 * (make install puts it there; in the build tree it sits next to the
 * daemons, and commands in build/bin find it in ../libexec). A plugin that
 * cannot be loaded makes the table a configuration error: mail is deferred.
 * Tables are opened before chroot (pre_init), so the path is reachable.
 */
static DICT *dict_plugin_open(const char *type, const char *name, int open_flags, int dict_flags)
{
    static struct {
        char *type;
        DICT_OPEN_FN fn;
    } loaded[4];
    static int nloaded;
    VSTR *path = vstr_alloc(256);
    VSTR *why = vstr_alloc(100);
    VSTR *sym = vstr_alloc(32);
    const char *dirs[3];
    char exe[4096];
    ssize_t n;
    DICT_OPEN_FN fn = NULL;
    DICT *d;
    int i;

    for (i = 0; i < nloaded; i++)
        if (strcmp(loaded[i].type, type) == 0)
            return loaded[i].fn(name, open_flags, dict_flags);
    dirs[0] = cfg_str("daemon_directory");
    dirs[1] = dirs[2] = NULL;
    if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
        char *slash;

        exe[n] = 0;
        if ((slash = strrchr(exe, '/')) != NULL) {
            *slash = 0;
            dirs[1] = exe;
        }
    }
    vstr_sprintf(sym, "dict_%s_open", type);
    for (i = 0; i < 3 && fn == NULL; i++) {
        void *handle;

        if (i == 2) { /* commands in bin/ next to the build tree's libexec/ */
            if (dirs[1] == NULL)
                break;
            vstr_sprintf(path, "%s/../libexec/dict_%s.so", dirs[1], type);
        } else if (dirs[i] == NULL || *dirs[i] == 0) {
            continue;
        } else {
            vstr_sprintf(path, "%s/dict_%s.so", dirs[i], type);
        }
        if (access(path->buf, R_OK) < 0)
            continue;
        if ((handle = dlopen(path->buf, RTLD_NOW | RTLD_GLOBAL)) == NULL) {
            vstr_strcpy(why, dlerror());
            continue;
        }
        if ((fn = (DICT_OPEN_FN)dlsym(handle, sym->buf)) == NULL)
            vstr_sprintf(why, "%s: no symbol %s", path->buf, sym->buf);
    }
    if (fn != NULL && nloaded < (int)(sizeof(loaded) / sizeof(loaded[0]))) {
        loaded[nloaded].type = mystrdup(type);
        loaded[nloaded].fn = fn;
        nloaded++;
    }
    if (fn != NULL)
        d = fn(name, open_flags, dict_flags);
    else
        d = dict_surrogate(type, name, DICT_ERR_CONFIG,
                           "unsupported dictionary type: %s (cannot load dict_%s.so%s%s)", type,
                           type, why->len ? ": " : "", why->buf);
    vstr_free(path);
    vstr_free(why);
    vstr_free(sym);
    return d;
}

static DICT *dict_mysql_load(const char *name, int open_flags, int dict_flags)
{
    return dict_plugin_open("mysql", name, open_flags, dict_flags);
}

static DICT *dict_pgsql_load(const char *name, int open_flags, int dict_flags)
{
    return dict_plugin_open("pgsql", name, open_flags, dict_flags);
}

static void dict_register_builtins(void)
{
    static int done;

    if (done)
        return;
    done = 1;
    dict_register("btree", dict_db_btree_open);
    dict_register("fail", dict_fail_open);
    dict_register("hash", dict_db_hash_open);
    dict_register("inline", dict_inline_open);
    dict_register("static", dict_static_open);
    dict_register("texthash", dict_texthash_open);
    dict_register("mysql", dict_mysql_load);   /* lib/dict_mysql.c, as a plugin */
    dict_register("pgsql", dict_pgsql_load);   /* lib/dict_pgsql.c, as a plugin */
    dict_register("pcre", dict_pcre_open);     /* lib/dict_pcre.c */
    dict_register("regexp", dict_regexp_open); /* lib/dict_regexp.c */
    dict_register("proxy", dict_proxy_open);   /* lib/dict_proxy.c */
    dict_register("unix", dict_unix_open);     /* lib/dict_unix.c */
}

/*
 * dict_register - add a table type. type is copied; fn opens a table given
 * the part of the specification after "type:". Registering an existing
 * type replaces its open function.
 */
void dict_register(const char *type, DICT_OPEN_FN fn)
{
    int i;

    if (type == NULL || *type == 0 || fn == NULL)
        msg_panic("dict_register: bad arguments");
    for (i = 0; i < dict_ntypes; i++) {
        if (strcmp(dict_types[i].type, type) == 0) {
            dict_types[i].open = fn;
            return;
        }
    }
    dict_types = myrealloc(dict_types, sizeof(*dict_types) * (size_t)(dict_ntypes + 1));
    dict_types[dict_ntypes].type = mystrdup(type);
    dict_types[dict_ntypes].open = fn;
    dict_ntypes++;
}

static int dict_type_cmp(const void *a, const void *b)
{
    return strcmp(((const DICT_TYPE *)a)->type, ((const DICT_TYPE *)b)->type);
}

/*
 * dict_type_names - the registered type names, sorted and separated by
 * one space (postconf -m prints them one per line).
 */
const char *dict_type_names(void)
{
    int i;

    dict_register_builtins();
    qsort(dict_types, (size_t)dict_ntypes, sizeof(*dict_types), dict_type_cmp);
    if (dict_type_list == NULL)
        dict_type_list = vstr_alloc(64);
    vstr_reset(dict_type_list);
    for (i = 0; i < dict_ntypes; i++) {
        if (i > 0)
            vstr_addch(dict_type_list, ' ');
        vstr_addstr(dict_type_list, dict_types[i].type);
    }
    return VSTR_STR(dict_type_list);
}

/* Default methods of a freshly allocated table: every operation fails. */

static const char *dict_default_lookup(DICT *d, const char *key)
{
    d->error = DICT_ERR_CONFIG;
    msg_warn("%s:%s: lookup is not supported", d->type, d->name);
    return NULL;
}

static int dict_default_update(DICT *d, const char *key, const char *value)
{
    d->error = DICT_ERR_CONFIG;
    msg_warn("%s:%s: update is not supported", d->type, d->name);
    return DICT_STAT_ERROR;
}

static int dict_default_delete(DICT *d, const char *key)
{
    d->error = DICT_ERR_CONFIG;
    msg_warn("%s:%s: delete is not supported", d->type, d->name);
    return DICT_STAT_ERROR;
}

static int dict_default_sequence(DICT *d, int func, const char **key, const char **value)
{
    d->error = DICT_ERR_CONFIG;
    msg_warn("%s:%s: sequence is not supported", d->type, d->name);
    return -1;
}

static void dict_default_close(DICT *d)
{
    /* The generic part is released by dict_close(). */
}

/*
 * dict_alloc - allocate size bytes (at least sizeof(DICT)) for a driver's
 * table structure, zero it, copy type and name, and install methods that
 * fail with DICT_ERR_CONFIG. The driver then overrides what it supports.
 */
DICT *dict_alloc(const char *type, const char *name, size_t size)
{
    DICT *d;

    if (size < sizeof(DICT))
        msg_panic("dict_alloc: size %zu too small", size);
    d = mymalloc(size);
    memset(d, 0, size);
    d->watch_fd = -1;
    d->type = mystrdup(type);
    d->name = mystrdup(name);
    d->lookup = dict_default_lookup;
    d->update = dict_default_update;
    d->delete = dict_default_delete;
    d->sequence = dict_default_sequence;
    d->close = dict_default_close;
    d->fold_buf = vstr_alloc(64);
    return d;
}

/*
 * dict_watch_file - record path (copied) and its current device, inode and
 * mtime; dict_changed_name() later compares. A file that cannot be stat'ed
 * now is not watched.
 */
void dict_watch_file(DICT *d, const char *path)
{
    struct stat st;
    int fd;

    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return;
    }
    myfree(d->file);
    d->file = mystrdup(path);
    d->file_dev = st.st_dev;
    d->file_ino = st.st_ino;
    d->file_mtime = st.st_mtime;
    d->file_mtime_ns = st.st_mtim.tv_nsec;
    if (d->watch_fd >= 0)
        close(d->watch_fd);
    d->watch_fd = fd;
    dict_open_list = myrealloc(dict_open_list, sizeof(DICT *) * (size_t)(dict_open_count + 1));
    dict_open_list[dict_open_count++] = d;
}

static void dict_unwatch(DICT *d)
{
    int i;

    if (d->watch_fd >= 0) {
        close(d->watch_fd);
        d->watch_fd = -1;
    }
    for (i = 0; i < dict_open_count; i++) {
        if (dict_open_list[i] == d) {
            memmove(dict_open_list + i, dict_open_list + i + 1,
                    sizeof(DICT *) * (size_t)(dict_open_count - i - 1));
            dict_open_count--;
            return;
        }
    }
}

/*
 * dict_changed_name - "type:name" of the first watched table whose file was replaced,
 * removed or modified since it was opened; NULL when none changed.
 */
const char *dict_changed_name(void)
{
    struct stat st;
    int i;

    for (i = 0; i < dict_open_count; i++) {
        DICT *d = dict_open_list[i];

        /*
         * postmap rewrites a table in place (same inode, new mtime); an
         * editor or mv replaces it (the open file's link count drops to 0).
         */
        if (fstat(d->watch_fd, &st) < 0 || st.st_nlink == 0 || st.st_mtime != d->file_mtime ||
            st.st_mtim.tv_nsec != d->file_mtime_ns) {
            if (dict_changed_buf == NULL)
                dict_changed_buf = vstr_alloc(100);
            vstr_sprintf(dict_changed_buf, "%s:%s", d->type, d->name);
            return VSTR_STR(dict_changed_buf);
        }
    }
    return NULL;
}

/* Surrogate table: every operation reports the stored error. */

static const char *dict_surrogate_lookup(DICT *d, const char *key)
{
    d->error = DICT_ERR_CONFIG;
    return NULL;
}

static int dict_surrogate_update(DICT *d, const char *key, const char *value)
{
    d->error = DICT_ERR_CONFIG;
    return DICT_STAT_ERROR;
}

static int dict_surrogate_delete(DICT *d, const char *key)
{
    d->error = DICT_ERR_CONFIG;
    return DICT_STAT_ERROR;
}

static int dict_surrogate_sequence(DICT *d, int func, const char **key, const char **value)
{
    d->error = DICT_ERR_CONFIG;
    return -1;
}

/*
 * dict_surrogate - log the formatted warning once and return a table of
 * type:name whose lookups, updates, deletes and sequences all fail with
 * DICT_ERR_CONFIG (error is currently always treated as CONFIG, as in
 * Postfix's dict_surrogate).
 */
DICT *dict_surrogate(const char *type, const char *name, int error, const char *fmt, ...)
{
    DICT *d;
    VSTR *why = vstr_alloc(100);
    va_list ap;
    int saved_errno = errno;

    va_start(ap, fmt);
    errno = saved_errno;
    vstr_vsprintf_append(why, fmt, ap);
    va_end(ap);
    msg_warn("%s", VSTR_STR(why));
    vstr_free(why);
    d = dict_alloc(type, name, sizeof(DICT));
    d->lookup = dict_surrogate_lookup;
    d->update = dict_surrogate_update;
    d->delete = dict_surrogate_delete;
    d->sequence = dict_surrogate_sequence;
    d->error = DICT_ERR_CONFIG;
    return d;
}

/*
 * dict_open - open "type:name" (see the module comment) with open(2)
 * open_flags and DICT_FLAG_* dict_flags. Never returns NULL: on failure a
 * surrogate table is returned.
 */
DICT *dict_open(const char *spec, int open_flags, int dict_flags)
{
    const char *colon;
    char *type;
    const char *name;
    DICT *d;
    int i;

    dict_register_builtins();
    if (spec == NULL || *spec == 0)
        return dict_surrogate("fail", "", DICT_ERR_CONFIG, "empty table specification");
    colon = strchr(spec, ':');
    if (colon == NULL) {
        const char *def = cfg_str("default_database_type");

        type = mystrdup(def && *def ? def : "hash");
        name = spec;
    } else {
        type = mystrndup(spec, (size_t)(colon - spec));
        name = colon + 1;
    }
    for (i = 0; i < dict_ntypes; i++)
        if (strcmp(dict_types[i].type, type) == 0)
            break;
    if (i >= dict_ntypes) {
        d = dict_surrogate(type, name, DICT_ERR_CONFIG, "unsupported dictionary type: %s", type);
    } else {
        d = dict_types[i].open(name, open_flags, dict_flags);
        if (d == NULL)
            d = dict_surrogate(type, name, DICT_ERR_CONFIG, "open %s:%s failed", type, name);
    }
    myfree(type);
    return d;
}

/* Lower-case key into the table's fold buffer when the flags ask for it. */
static const char *dict_fold(DICT *d, const char *key)
{
    const char *cp;
    int fold;

    if (d->flags & DICT_FLAG_PATTERN)
        fold = (d->flags & DICT_FLAG_FOLD_MUL) != 0;
    else
        fold = (d->flags & DICT_FLAG_FOLD_FIX) != 0;
    if (!fold)
        return key;
    vstr_reset(d->fold_buf);
    for (cp = key; *cp; cp++)
        vstr_addch(d->fold_buf, tolower((unsigned char)*cp));
    return VSTR_STR(d->fold_buf);
}

/*
 * dict_get - look key up. Returns the value (valid until the next call on
 * d) or NULL; then d->error tells "not found" (DICT_ERR_NONE) from a
 * temporary (RETRY) or configuration (CONFIG) error.
 */
const char *dict_get(DICT *d, const char *key)
{
    d->error = DICT_ERR_NONE;
    return d->lookup(d, dict_fold(d, key));
}

/* dict_put - store key/value: DICT_STAT_SUCCESS, _FAIL (duplicate not
 * replaced) or _ERROR. */
int dict_put(DICT *d, const char *key, const char *value)
{
    d->error = DICT_ERR_NONE;
    return d->update(d, dict_fold(d, key), value);
}

/* dict_del - remove key: DICT_STAT_SUCCESS, _FAIL (not found), _ERROR. */
int dict_del(DICT *d, const char *key)
{
    d->error = DICT_ERR_NONE;
    return d->delete (d, dict_fold(d, key));
}

/* dict_seq - iterate: 0 with key and value set, 1 at the end, -1 on error. */
int dict_seq(DICT *d, int func, const char **key, const char **value)
{
    d->error = DICT_ERR_NONE;
    return d->sequence(d, func, key, value);
}

/* dict_close - close the table (driver method) and release it. */
void dict_close(DICT *d)
{
    if (d == NULL)
        return;
    dict_unwatch(d);
    d->close(d);
    myfree(d->type);
    myfree(d->name);
    myfree(d->file);
    vstr_free(d->fold_buf);
    myfree(d);
}
