/*
 * NAME
 *      mail_queue - Postfix's queue directories, queue IDs and commit protocol
 *
 * SYNOPSIS
 *      #include "mail_queue.h"
 *
 * DESCRIPTION
 *      All paths are relative to queue_directory; mail_queue_chdir() goes
 *      there. This module follows Postfix global/mail_queue.c,
 *      global/mail_open_ok.c, global/file_id.c and util/dir_forest.c
 *      (reference sections 2.2-2.4, traps 4 and 7):
 *
 *      Hashing: a queue named in hash_queue_names (default "deferred,
 *      defer") gets hash_queue_depth one-character subdirectory levels,
 *      named after the first characters of the queue ID. A long queue ID's
 *      four base-52 microsecond characters (just before the 'z' inode
 *      separator) are decoded and re-encoded as "%05X", and that string is
 *      hashed instead, so both ID styles share the same directories.
 *
 *      Queue IDs: short form "%05X" microseconds followed by "%lX" inode
 *      number; long form (enable_long_queue_ids = yes) seconds in base 52
 *      padded to 6 digits, microseconds in base 52 padded to 4, 'z', inode in
 *      base 51, over the alphabet 0-9 plus consonants.
 *
 *      mail_queue_enter() creates "queue/usec.pid" with O_CREAT|O_EXCL,
 *      fstat()s it for the inode, calls gettimeofday() again, and renames
 *      the file to its ID, creating a missing hash subdirectory (0700) on
 *      ENOENT. mail_queue_commit() is the "complete" marker: fchmod(0700 |
 *      mode) then fsync(). Readers use mail_open_ok(): only a regular file
 *      with all of 0700 set is complete.
 *
 *      mail_queue_mkdirs() creates queue_directory (root 0755) and every
 *      queue directory with the owner and mode of Postfix's postfix-files:
 *      maildrop mail_owner:setgid_group 0730, public mail_owner:
 *      setgid_group 0710, pid root 0755, the others mail_owner 0700; and
 *      data_directory mail_owner 0700.
 *
 * DIAGNOSTICS
 *      mail_queue_chdir() is fatal when the directory cannot be entered.
 *      mail_queue_enter() warns about failed attempts and is fatal after
 *      1000. mail_queue_mkdirs() is fatal when a directory cannot be made or
 *      mail_owner/setgid_group do not exist. Other functions return -1 and
 *      leave errno set.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

#define MQID_LG_ALPHABET "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
#define MQID_LG_INUM_SEP 'z'
#define MQID_LG_SEC_PAD 6
#define MQID_LG_USEC_PAD 4
#define MQID_LG_TIME_PAD (MQID_LG_SEC_PAD + MQID_LG_USEC_PAD)
#define MQID_SH_USEC_PAD 5
#define MQ_MAX_TRIES 1000
#define MQ_MAX_HASH_DEPTH 16

/* mail_queue_chdir - enter queue_directory, or die */
void mail_queue_chdir(void)
{
    const char *dir = cfg_str("queue_directory");

    if (chdir(dir) < 0)
        msg_fatal("chdir(%s): %m", dir);
}

/* mq_hashed - the hash depth for a queue: 0 if the queue is not hashed */
static int mq_hashed(const char *queue)
{
    static char *saved_names;
    static ARGV *saved_list;
    const char *names = cfg_str("hash_queue_names");
    long depth;
    int i;

    if (saved_names == NULL || strcmp(saved_names, names) != 0) {
        myfree(saved_names);
        argv_free(saved_list);
        saved_names = mystrdup(names);
        saved_list = argv_split(names, CFG_LIST_DELIMS);
    }
    for (i = 0; i < saved_list->argc; i++) {
        if (strcasecmp(saved_list->argv[i], queue) == 0) {
            depth = cfg_long("hash_queue_depth");
            if (depth < 1)
                return 0;
            return depth > MQ_MAX_HASH_DEPTH ? MQ_MAX_HASH_DEPTH : (int)depth;
        }
    }
    return 0;
}

/* mq_lg_decode - decode n base-52 digits; -1 if one is not in the alphabet */
static long mq_lg_decode(const char *s, size_t n)
{
    long val = 0;
    const char *p;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == 0 || (p = strchr(MQID_LG_ALPHABET, s[i])) == NULL)
            return -1;
        val = val * 52 + (p - MQID_LG_ALPHABET);
    }
    return val;
}

/* mq_hash_source - the string whose characters name the hash levels */
static const char *mq_hash_source(VSTR *tmp, const char *qid)
{
    const char *sep = strrchr(qid, MQID_LG_INUM_SEP);
    long usec;

    if (sep != NULL && sep - qid >= MQID_LG_TIME_PAD &&
        (usec = mq_lg_decode(sep - MQID_LG_USEC_PAD, MQID_LG_USEC_PAD)) >= 0) {
        vstr_sprintf(tmp, "%0*lX", MQID_SH_USEC_PAD, usec);
        return VSTR_STR(tmp);
    }
    return qid;
}

/* mq_dir - store "queue/[h/...]" (with trailing slash) in buf */
static void mq_dir(VSTR *buf, const char *queue, const char *qid)
{
    int depth = mq_hashed(queue);
    VSTR *tmp;
    const char *src;
    int n;

    vstr_strcpy(buf, queue);
    vstr_addch(buf, '/');
    if (depth == 0)
        return;
    tmp = vstr_alloc(16);
    src = mq_hash_source(tmp, qid);
    for (n = 0; n < depth; n++) {
        vstr_addch(buf, *src ? *src++ : '_');
        vstr_addch(buf, '/');
    }
    vstr_free(tmp);
}

/*
 * mail_queue_path - store "queue/[hash/]qid" in buf (hash levels per
 * hash_queue_names and hash_queue_depth) and return buf->buf.
 */
const char *mail_queue_path(VSTR *buf, const char *queue, const char *qid)
{
    mq_dir(buf, queue, qid);
    vstr_addstr(buf, qid);
    return VSTR_STR(buf);
}

/*
 * mail_queue_id_ok - 1 if qid is non-empty, at most 255 bytes and only
 * [A-Za-z0-9_] (Postfix mail_queue_id_ok()), else 0.
 */
int mail_queue_id_ok(const char *qid)
{
    const char *cp;

    if (qid == NULL || *qid == 0 || strlen(qid) > 255)
        return 0;
    for (cp = qid; *cp; cp++) {
        if (!((*cp >= 'A' && *cp <= 'Z') || (*cp >= 'a' && *cp <= 'z') ||
              (*cp >= '0' && *cp <= '9') || *cp == '_'))
            return 0;
    }
    return 1;
}

/*
 * mq_mkparents - create the missing directories leading to path (0700).
 * Works for relative and absolute paths: an empty prefix (the root of an
 * absolute path, or a doubled slash) is skipped. 0, or -1 with errno.
 */
static int mq_mkparents(const char *path)
{
    char *copy = mystrdup(path);
    char *slash;
    int ret = 0;

    for (slash = strchr(copy, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        if (slash == copy || slash[-1] == '/')
            continue; /* "/" or "//": nothing to create */
        *slash = 0;
        if (mkdir(copy, 0700) < 0 && errno != EEXIST) {
            ret = -1;
            *slash = '/';
            break;
        }
        *slash = '/';
    }
    myfree(copy);
    return ret;
}

/* mq_ultostr - append val in the long-ID alphabet, base, padded to pad */
static void mq_ultostr(VSTR *out, unsigned long val, int base, int pad)
{
    char digits[72];
    int n = 0;

    do {
        digits[n++] = MQID_LG_ALPHABET[val % (unsigned long)base];
        val /= (unsigned long)base;
    } while (val > 0 && n < (int)sizeof(digits));
    while (n < pad && n < (int)sizeof(digits))
        digits[n++] = '0';
    while (n > 0)
        vstr_addch(out, digits[--n]);
}

/*
 * mail_queue_enter - create a queue file in queue: mode 0600|mode, opened
 * O_RDWR and close-on-exec; allocate its ID from a fresh timestamp and its
 * inode; rename it into place. Returns the fd, the ID in qid and the time in
 * tv (may be NULL). Fatal after 1000 failed attempts.
 */
int mail_queue_enter(const char *queue, int mode, VSTR *qid, struct timeval *tv)
{
    VSTR *temp = vstr_alloc(100);
    VSTR *path = vstr_alloc(100);
    struct timeval now;
    struct stat st;
    int fd = -1;
    int count;

    for (count = 0;; count++) {
        gettimeofday(&now, NULL);
        vstr_sprintf(temp, "%s/%ld.%ld", queue, (long)now.tv_usec, (long)getpid());
        fd = open(VSTR_STR(temp), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600 | mode);
        if (fd >= 0)
            break;
        if (errno != EEXIST && errno != EISDIR)
            msg_warn("mail_queue_enter: create file %s: %m", VSTR_STR(temp));
        if (count >= MQ_MAX_TRIES)
            msg_fatal("mail_queue_enter: cannot create a file in %s: giving up", queue);
    }
    if (fstat(fd, &st) < 0)
        msg_fatal("mail_queue_enter: fstat %s: %m", VSTR_STR(temp));
    for (count = 0;; count++) {
        gettimeofday(&now, NULL);
        vstr_reset(qid);
        if (cfg_bool("enable_long_queue_ids")) {
            mq_ultostr(qid, (unsigned long)now.tv_sec, 52, MQID_LG_SEC_PAD);
            mq_ultostr(qid, (unsigned long)now.tv_usec, 52, MQID_LG_USEC_PAD);
            vstr_addch(qid, MQID_LG_INUM_SEP);
            mq_ultostr(qid, (unsigned long)st.st_ino, 51, 0);
        } else {
            vstr_sprintf(qid, "%05lX%lX", (unsigned long)now.tv_usec, (unsigned long)st.st_ino);
        }
        mail_queue_path(path, queue, VSTR_STR(qid));
        if (rename(VSTR_STR(temp), VSTR_STR(path)) == 0)
            break;
        if (errno == ENOENT && mq_mkparents(VSTR_STR(path)) == 0)
            continue;
        if (errno != EPERM && errno != EISDIR)
            msg_warn("mail_queue_enter: rename %s to %s: %m", VSTR_STR(temp), VSTR_STR(path));
        if (count >= MQ_MAX_TRIES)
            msg_fatal("mail_queue_enter: rename %s to %s: giving up", VSTR_STR(temp),
                      VSTR_STR(path));
    }
    if (tv)
        *tv = now;
    vstr_free(temp);
    vstr_free(path);
    return fd;
}

/*
 * mail_queue_commit - mark a written queue file complete: fchmod(fd, 0700 |
 * mode), then fsync(fd) (reference 2.4). 0, or -1 with errno.
 */
int mail_queue_commit(int fd, int mode)
{
    if (fchmod(fd, MAIL_QUEUE_STAT_READY | mode) < 0)
        return -1;
    if (fsync(fd) < 0)
        return -1;
    return 0;
}

/*
 * mail_queue_rename - move qid from queue "from" to queue "to", creating
 * hash subdirectories as needed. 0, or -1 with errno (ENOENT: gone).
 */
int mail_queue_rename(const char *qid, const char *from, const char *to)
{
    VSTR *old_path = vstr_alloc(100);
    VSTR *new_path = vstr_alloc(100);
    int ret;
    int saved;

    mail_queue_path(old_path, from, qid);
    mail_queue_path(new_path, to, qid);
    ret = rename(VSTR_STR(old_path), VSTR_STR(new_path));
    /* ENOENT: the source is gone, or a hash subdirectory is missing. */
    if (ret < 0 && errno == ENOENT && mq_mkparents(VSTR_STR(new_path)) == 0)
        ret = rename(VSTR_STR(old_path), VSTR_STR(new_path));
    saved = errno;
    vstr_free(old_path);
    vstr_free(new_path);
    errno = saved;
    return ret;
}

/* mail_queue_remove - unlink queue/[hash/]qid: 0, or -1 with errno */
int mail_queue_remove(const char *queue, const char *qid)
{
    VSTR *path = vstr_alloc(100);
    int ret;
    int saved;

    ret = unlink(mail_queue_path(path, queue, qid));
    saved = errno;
    vstr_free(path);
    errno = saved;
    return ret;
}

/* mail_queue_open - open(2) queue/[hash/]qid with flags (close-on-exec) */
int mail_queue_open(const char *queue, const char *qid, int flags)
{
    VSTR *path = vstr_alloc(100);
    int fd;
    int saved;

    fd = open(mail_queue_path(path, queue, qid), flags | O_CLOEXEC, 0600);
    saved = errno;
    vstr_free(path);
    errno = saved;
    return fd;
}

/*
 * mail_open_ok - 1 if queue/qid is a regular file whose mode has all of
 * 0700 (committed) and a single link; 0 if not (yet) ready or gone. Stores
 * the lstat() result in st and the path in path (Postfix mail_open_ok()).
 */
int mail_open_ok(const char *queue, const char *qid, struct stat *st, VSTR *path)
{
    if (!mail_queue_id_ok(qid))
        return 0;
    mail_queue_path(path, queue, qid);
    if (lstat(VSTR_STR(path), st) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: %m", VSTR_STR(path));
        return 0;
    }
    if (!S_ISREG(st->st_mode)) {
        msg_warn("%s: uid %ld: not a regular file", VSTR_STR(path), (long)st->st_uid);
        return 0;
    }
    if ((st->st_mode & S_IRWXU) != MAIL_QUEUE_STAT_READY)
        return 0;
    if (st->st_nlink > 1) {
        if (time(NULL) > st->st_ctime + 60)
            msg_warn("%s: uid %ld: too many hard links", VSTR_STR(path), (long)st->st_uid);
        return 0;
    }
    return 1;
}

/* mq_mkdir - create dir if missing, then set owner and mode (as root) */
static void mq_mkdir(const char *dir, uid_t uid, gid_t gid, mode_t mode)
{
    if (mkdir(dir, mode) < 0 && errno != EEXIST)
        msg_fatal("mkdir %s: %m", dir);
    if (geteuid() == 0 && chown(dir, uid, gid) < 0)
        msg_fatal("chown %s: %m", dir);
    if (chmod(dir, mode) < 0)
        msg_fatal("chmod %s: %m", dir);
}

/*
 * mail_queue_mkdirs - create queue_directory, every queue directory and
 * data_directory with Postfix's owners and modes. Run as root (as another
 * user the ownership is left alone). Fatal on error.
 */
void mail_queue_mkdirs(void)
{
    static const char *owned[] = {"incoming", "active", "deferred", "hold",  "corrupt", "defer",
                                  "bounce",   "trace",  "flush",    "saved", "private", NULL};
    const char *owner = cfg_str("mail_owner");
    const char *group = cfg_str("setgid_group");
    const char *qdir = cfg_str("queue_directory");
    const char *ddir = cfg_str("data_directory");
    struct passwd *pw;
    struct group *gr;
    uid_t uid;
    gid_t gid, sgid;
    VSTR *path = vstr_alloc(100);
    int i;

    if ((pw = getpwnam(owner)) == NULL)
        msg_fatal("file %s/main.cf: parameter mail_owner: unknown user name value: %s",
                  cfg_str("config_directory"), owner);
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    if ((gr = getgrnam(group)) == NULL)
        msg_fatal("file %s/main.cf: parameter setgid_group: unknown group name: %s",
                  cfg_str("config_directory"), group);
    sgid = gr->gr_gid;

    if (*qdir == 0)
        msg_fatal("queue_directory is not set");
    if (mkdir(qdir, 0755) < 0 && errno != EEXIST)
        msg_fatal("mkdir %s: %m", qdir);
    for (i = 0; owned[i]; i++) {
        vstr_sprintf(path, "%s/%s", qdir, owned[i]);
        mq_mkdir(VSTR_STR(path), uid, gid, 0700);
    }
    vstr_sprintf(path, "%s/maildrop", qdir);
    mq_mkdir(VSTR_STR(path), uid, sgid, 0730);
    vstr_sprintf(path, "%s/public", qdir);
    mq_mkdir(VSTR_STR(path), uid, sgid, 0710);
    vstr_sprintf(path, "%s/pid", qdir);
    mq_mkdir(VSTR_STR(path), 0, 0, 0755);
    if (*ddir) {
        if (mq_mkparents(ddir) < 0 && errno != EEXIST)
            msg_fatal("mkdir %s: %m", ddir);
        mq_mkdir(ddir, uid, gid, 0700);
    }
    vstr_free(path);
}

/* mq_is_hash_dir - a one-character hex (or '_') name: a hash subdirectory */
static int mq_is_hash_dir(const char *name)
{
    return name[0] && name[1] == 0 &&
           ((name[0] >= '0' && name[0] <= '9') || (name[0] >= 'A' && name[0] <= 'F') ||
            name[0] == '_');
}

/* mq_scan_dir - visit the IDs in one directory, then its hash subdirs */
static void mq_scan_dir(const char *dir, int level, void (*fn)(const char *qid, void *ctx),
                        void *ctx)
{
    DIR *dp;
    struct dirent *de;
    struct stat st;
    ARGV *ids = argv_alloc(16);
    ARGV *subs = argv_alloc(4);
    VSTR *path = vstr_alloc(100);
    int i;

    if ((dp = opendir(dir)) == NULL) {
        if (errno != ENOENT)
            msg_warn("open directory %s: %m", dir);
        goto out;
    }
    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (mq_is_hash_dir(de->d_name) && level < MQ_MAX_HASH_DEPTH) {
            vstr_sprintf(path, "%s/%s", dir, de->d_name);
            if (stat(VSTR_STR(path), &st) == 0 && S_ISDIR(st.st_mode)) {
                argv_add(subs, VSTR_STR(path), (char *)0);
                continue;
            }
        }
        if (mail_queue_id_ok(de->d_name))
            argv_add(ids, de->d_name, (char *)0);
    }
    closedir(dp);
    /* Call back only after reading: fn may rename or remove files. */
    for (i = 0; i < ids->argc; i++)
        fn(ids->argv[i], ctx);
    for (i = 0; i < subs->argc; i++)
        mq_scan_dir(subs->argv[i], level + 1, fn, ctx);
out:
    argv_free(ids);
    argv_free(subs);
    vstr_free(path);
}

/*
 * mail_queue_scan - call fn(qid, ctx) for every file in queue whose name is
 * a valid queue ID, descending into one-character hash subdirectories.
 */
void mail_queue_scan(const char *queue, void (*fn)(const char *qid, void *ctx), void *ctx)
{
    mq_scan_dir(queue, 0, fn, ctx);
}
