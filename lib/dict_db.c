/*
 * NAME
 *      dict_db - Berkeley DB hash: and btree: tables, as Postfix writes them
 * SYNOPSIS
 *      DICT *dict_db_hash_open(const char *name, int open_flags, int flags);
 *      DICT *dict_db_btree_open(const char *name, int open_flags, int flags);
 * DESCRIPTION
 *      The table "hash:/etc/postfix/virtual" is the Berkeley DB 5.3 file
 *      /etc/postfix/virtual.db (reference 7.4). Conventions, identical to
 *      Postfix util/dict_db.c so that files are interchangeable with
 *      /usr/sbin/postmap:
 *
 *      - Neither DICT_FLAG_TRY0NULL nor TRY1NULL given: both are set.
 *      - Lookups try key+NUL first (TRY1NULL); a hit clears TRY0NULL for
 *        the rest of the session; then key without NUL (TRY0NULL), a hit
 *        clears TRY1NULL. The value is copied and a trailing NUL dropped.
 *      - Updates store key and value with the NUL when TRY1NULL is set
 *        (Linux has no DB_NO_TRAILING_NULL), without it otherwise.
 *      - Hash tables are created with h_nelem 4096.
 *      - With DICT_FLAG_LOCK every lookup holds flock(LOCK_SH) and every
 *        update/delete flock(LOCK_EX), so a reader never sees a table that
 *        postmap is rewriting.
 *      - Opening with O_TRUNC (postmap rebuild) first opens NAME.db itself,
 *        takes an exclusive flock that is kept until close, removes a
 *        zero-length file (Berkeley DB >= 4.1 refuses to open it), and
 *        then opens the database with DB_TRUNCATE.
 *      - Duplicate keys on update: DICT_FLAG_DUP_IGNORE keeps the old value
 *        silently, DUP_WARN warns "NAME.db: duplicate entry: "key"" and
 *        keeps it, DUP_REPLACE overwrites, otherwise it is fatal.
 * DIAGNOSTICS
 *      "open database NAME.db: <errno text>" (a surrogate table is
 *      returned, or fatal with DICT_FLAG_FATAL_OPEN); lock and I/O errors
 *      are logged and the operation fails with DICT_ERR_RETRY.
 * SEE ALSO
 *      Postfix util/dict_db.c, global/mkmap_db.c; reference 7.4, trap 15.
 */
#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

#define DICT_DB_NELM 4096
#define DICT_DB_CACHE_SIZE (16 * 1024 * 1024)

typedef struct DICT_DB {
    DICT dict;
    DB *db;
    DBC *cursor;
    int lock_fd;   /* flock target */
    int keep_lock; /* exclusive lock held since open (rebuild) */
    char *db_path;
    VSTR *key_buf;
    VSTR *val_buf;
} DICT_DB;

static int dict_db_lock(DICT_DB *dd, int op)
{
    if ((dd->dict.flags & DICT_FLAG_LOCK) == 0 || dd->keep_lock || dd->lock_fd < 0)
        return 0;
    while (flock(dd->lock_fd, op) < 0) {
        if (errno != EINTR) {
            msg_warn("%s: flock: %m", dd->db_path);
            return -1;
        }
    }
    return 0;
}

static void dict_db_unlock(DICT_DB *dd)
{
    if ((dd->dict.flags & DICT_FLAG_LOCK) == 0 || dd->keep_lock || dd->lock_fd < 0)
        return;
    (void)flock(dd->lock_fd, LOCK_UN);
}

/* Copy a stored datum into buf, dropping one trailing NUL. */
static const char *dict_db_copy(VSTR *buf, const DBT *dbt)
{
    size_t len = dbt->size;

    if (len > 0 && ((const char *)dbt->data)[len - 1] == 0)
        len--;
    vstr_memcpy(buf, dbt->data, len);
    return VSTR_STR(buf);
}

static const char *dict_db_lookup(DICT *d, const char *key)
{
    DICT_DB *dd = (DICT_DB *)d;
    DBT k, v;
    const char *result = NULL;
    int ret;

    if (dict_db_lock(dd, LOCK_SH) < 0) {
        d->error = DICT_ERR_RETRY;
        return NULL;
    }
    if (d->flags & DICT_FLAG_TRY1NULL) {
        memset(&k, 0, sizeof(k));
        memset(&v, 0, sizeof(v));
        k.data = (void *)key;
        k.size = (u_int32_t)strlen(key) + 1;
        ret = dd->db->get(dd->db, NULL, &k, &v, 0);
        if (ret == 0) {
            d->flags &= ~DICT_FLAG_TRY0NULL;
            result = dict_db_copy(dd->val_buf, &v);
        } else if (ret != DB_NOTFOUND) {
            msg_warn("error reading %s: %s", dd->db_path, db_strerror(ret));
            d->error = DICT_ERR_RETRY;
        }
    }
    if (result == NULL && d->error == DICT_ERR_NONE && (d->flags & DICT_FLAG_TRY0NULL)) {
        memset(&k, 0, sizeof(k));
        memset(&v, 0, sizeof(v));
        k.data = (void *)key;
        k.size = (u_int32_t)strlen(key);
        ret = dd->db->get(dd->db, NULL, &k, &v, 0);
        if (ret == 0) {
            d->flags &= ~DICT_FLAG_TRY1NULL;
            result = dict_db_copy(dd->val_buf, &v);
        } else if (ret != DB_NOTFOUND) {
            msg_warn("error reading %s: %s", dd->db_path, db_strerror(ret));
            d->error = DICT_ERR_RETRY;
        }
    }
    dict_db_unlock(dd);
    return result;
}

static int dict_db_update(DICT *d, const char *key, const char *value)
{
    DICT_DB *dd = (DICT_DB *)d;
    DBT k, v;
    int ret;
    int status;

    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    v.data = (void *)value;
    v.size = (u_int32_t)strlen(value);
    /* Linux has no DB_NO_TRAILING_NULL: with both TRY flags, store NULs. */
    if ((d->flags & DICT_FLAG_TRY1NULL) && (d->flags & DICT_FLAG_TRY0NULL))
        d->flags &= ~DICT_FLAG_TRY0NULL;
    if (d->flags & DICT_FLAG_TRY1NULL) {
        k.size++;
        v.size++;
    }
    if (dict_db_lock(dd, LOCK_EX) < 0) {
        d->error = DICT_ERR_RETRY;
        return DICT_STAT_ERROR;
    }
    ret =
        dd->db->put(dd->db, NULL, &k, &v, (d->flags & DICT_FLAG_DUP_REPLACE) ? 0 : DB_NOOVERWRITE);
    if (ret == 0) {
        status = DICT_STAT_SUCCESS;
    } else if (ret == DB_KEYEXIST) {
        if (d->flags & DICT_FLAG_DUP_IGNORE)
            /* void */;
        else if (d->flags & DICT_FLAG_DUP_WARN)
            msg_warn("%s: duplicate entry: \"%s\"", dd->db_path, key);
        else
            msg_fatal("%s: duplicate entry: \"%s\"", dd->db_path, key);
        status = DICT_STAT_FAIL;
    } else {
        msg_warn("error writing %s: %s", dd->db_path, db_strerror(ret));
        d->error = DICT_ERR_RETRY;
        status = DICT_STAT_ERROR;
    }
    dict_db_unlock(dd);
    return status;
}

static int dict_db_delete(DICT *d, const char *key)
{
    DICT_DB *dd = (DICT_DB *)d;
    DBT k;
    int ret = DB_NOTFOUND;

    if (dict_db_lock(dd, LOCK_EX) < 0) {
        d->error = DICT_ERR_RETRY;
        return DICT_STAT_ERROR;
    }
    if (d->flags & DICT_FLAG_TRY1NULL) {
        memset(&k, 0, sizeof(k));
        k.data = (void *)key;
        k.size = (u_int32_t)strlen(key) + 1;
        ret = dd->db->del(dd->db, NULL, &k, 0);
        if (ret == 0)
            d->flags &= ~DICT_FLAG_TRY0NULL;
    }
    if (ret == DB_NOTFOUND && (d->flags & DICT_FLAG_TRY0NULL)) {
        memset(&k, 0, sizeof(k));
        k.data = (void *)key;
        k.size = (u_int32_t)strlen(key);
        ret = dd->db->del(dd->db, NULL, &k, 0);
        if (ret == 0)
            d->flags &= ~DICT_FLAG_TRY1NULL;
    }
    dict_db_unlock(dd);
    if (ret == 0)
        return DICT_STAT_SUCCESS;
    if (ret == DB_NOTFOUND)
        return DICT_STAT_FAIL;
    msg_warn("error deleting from %s: %s", dd->db_path, db_strerror(ret));
    d->error = DICT_ERR_RETRY;
    return DICT_STAT_ERROR;
}

static int dict_db_sequence(DICT *d, int func, const char **key, const char **value)
{
    DICT_DB *dd = (DICT_DB *)d;
    DBT k, v;
    int ret;

    if (func == DICT_SEQ_FIRST && dd->cursor != NULL) {
        dd->cursor->close(dd->cursor);
        dd->cursor = NULL;
    }
    if (dd->cursor == NULL) {
        if (func != DICT_SEQ_FIRST)
            return 1;
        if ((ret = dd->db->cursor(dd->db, NULL, &dd->cursor, 0)) != 0) {
            msg_warn("%s: cursor: %s", dd->db_path, db_strerror(ret));
            d->error = DICT_ERR_RETRY;
            return -1;
        }
    }
    if (dict_db_lock(dd, LOCK_SH) < 0) {
        d->error = DICT_ERR_RETRY;
        return -1;
    }
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    ret = dd->cursor->get(dd->cursor, &k, &v, func == DICT_SEQ_FIRST ? DB_FIRST : DB_NEXT);
    dict_db_unlock(dd);
    if (ret == DB_NOTFOUND) {
        dd->cursor->close(dd->cursor);
        dd->cursor = NULL;
        return 1;
    }
    if (ret != 0) {
        msg_warn("error reading %s: %s", dd->db_path, db_strerror(ret));
        d->error = DICT_ERR_RETRY;
        return -1;
    }
    *key = dict_db_copy(dd->key_buf, &k);
    *value = dict_db_copy(dd->val_buf, &v);
    return 0;
}

static void dict_db_close(DICT *d)
{
    DICT_DB *dd = (DICT_DB *)d;
    int ret;

    if (dd->cursor)
        dd->cursor->close(dd->cursor);
    if ((ret = dd->db->sync(dd->db, 0)) != 0)
        msg_warn("sync %s: %s", dd->db_path, db_strerror(ret));
    if ((ret = dd->db->close(dd->db, 0)) != 0)
        msg_warn("close database %s: %s", dd->db_path, db_strerror(ret));
    if (dd->lock_fd >= 0) {
        if (dd->keep_lock)
            (void)flock(dd->lock_fd, LOCK_UN);
        (void)close(dd->lock_fd);
    }
    myfree(dd->db_path);
    vstr_free(dd->key_buf);
    vstr_free(dd->val_buf);
}

/* Report an open failure: surrogate, or fatal for postmap. */
static DICT *dict_db_fail(const char *type, const char *name, int dict_flags, const char *path,
                          const char *why)
{
    if (dict_flags & DICT_FLAG_FATAL_OPEN)
        msg_fatal("open database %s: %s", path, why);
    return dict_surrogate(type, name, DICT_ERR_CONFIG, "open database %s: %s", path, why);
}

static DICT *dict_db_open(const char *type, DBTYPE dbtype, const char *name, int open_flags,
                          int dict_flags)
{
    DICT_DB *dd;
    DB *db;
    VSTR *path = vstr_alloc(100);
    int db_flags = 0;
    int lock_fd = -1;
    int keep_lock = 0;
    int ret;
    struct stat st;
    DICT *result;

    vstr_sprintf(path, "%s.db", name);
    if ((dict_flags & (DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL)) == 0)
        dict_flags |= DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL;

    /* Rebuild: lock the old file exclusively before truncating it. */
    if (open_flags & O_TRUNC) {
        if ((lock_fd = open(VSTR_STR(path), O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
            result = dict_db_fail(type, name, dict_flags, VSTR_STR(path), strerror(errno));
            vstr_free(path);
            return result;
        }
        while (flock(lock_fd, LOCK_EX) < 0)
            if (errno != EINTR)
                msg_fatal("lock %s: %m", VSTR_STR(path));
        if (fstat(lock_fd, &st) == 0 && st.st_size == 0 && st.st_nlink > 0 &&
            unlink(VSTR_STR(path)) < 0)
            msg_fatal("cannot remove zero-length database file %s: %m", VSTR_STR(path));
        keep_lock = 1;
    } else if ((open_flags & O_CREAT) && stat(VSTR_STR(path), &st) == 0 && st.st_size == 0) {
        (void)unlink(VSTR_STR(path));
    }

    if ((ret = db_create(&db, NULL, 0)) != 0)
        msg_fatal("create DB database handle: %s", db_strerror(ret));
    (void)db->set_cachesize(db, 0, DICT_DB_CACHE_SIZE, 0);
    if (dbtype == DB_HASH && (ret = db->set_h_nelem(db, DICT_DB_NELM)) != 0)
        msg_fatal("set DB hash element count %d: %s", DICT_DB_NELM, db_strerror(ret));
    if ((open_flags & O_ACCMODE) == O_RDONLY)
        db_flags |= DB_RDONLY;
    if (open_flags & O_CREAT)
        db_flags |= DB_CREATE;
    if (open_flags & O_TRUNC)
        db_flags |= DB_TRUNCATE;
    if ((ret = db->open(db, NULL, VSTR_STR(path), NULL, dbtype, (u_int32_t)db_flags, 0644)) != 0) {
        const char *why = ret > 0 ? strerror(ret) : db_strerror(ret);

        (void)db->close(db, 0);
        if (lock_fd >= 0)
            (void)close(lock_fd);
        result = dict_db_fail(type, name, dict_flags, VSTR_STR(path), why);
        vstr_free(path);
        return result;
    }
    if (lock_fd < 0) {
        int fd;

        if ((ret = db->fd(db, &fd)) != 0)
            msg_fatal("get database file descriptor: %s", db_strerror(ret));
        lock_fd = dup(fd);
        if (lock_fd < 0)
            msg_fatal("dup: %m");
        (void)fcntl(lock_fd, F_SETFD, FD_CLOEXEC);
    }
    dd = (DICT_DB *)dict_alloc(type, name, sizeof(*dd));
    dd->dict.flags = dict_flags | DICT_FLAG_FIXED;
    dd->dict.lookup = dict_db_lookup;
    dd->dict.update = dict_db_update;
    dd->dict.delete = dict_db_delete;
    dd->dict.sequence = dict_db_sequence;
    dd->dict.close = dict_db_close;
    dd->db = db;
    dd->lock_fd = lock_fd;
    dd->keep_lock = keep_lock;
    dd->db_path = vstr_export(path);
    dd->key_buf = vstr_alloc(100);
    dd->val_buf = vstr_alloc(100);
    if ((open_flags & O_ACCMODE) == O_RDONLY)
        dict_watch_file(&dd->dict, dd->db_path);
    return &dd->dict;
}

/* dict_db_hash_open - open hash:name (the file name.db). */
DICT *dict_db_hash_open(const char *name, int open_flags, int dict_flags)
{
    return dict_db_open("hash", DB_HASH, name, open_flags, dict_flags);
}

/* dict_db_btree_open - open btree:name (the file name.db). */
DICT *dict_db_btree_open(const char *name, int open_flags, int dict_flags)
{
    return dict_db_open("btree", DB_BTREE, name, open_flags, dict_flags);
}
