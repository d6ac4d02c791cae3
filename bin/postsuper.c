/*
 * NAME
 *      postsuper - Postern superintendent: queue maintenance
 *
 * SYNOPSIS
 *      postsuper [-psSv] [-c config_dir] [-d queue_id] [-e queue_id]
 *          [-f queue_id] [-h queue_id] [-H queue_id] [-r queue_id]
 *          [queue...]
 *
 * DESCRIPTION
 *      Root only (Postfix postsuper/postsuper.c, reference 11). Each
 *      queue_id argument may be ALL, or "-" to read IDs from standard input.
 *      The optional trailing queue names limit the queues searched.
 *
 *      -d  delete the message and its defer/, bounce/ and trace/ logs
 *          (default queues: hold incoming active deferred; ALL also clears
 *          maildrop). "QID: removed", "Deleted: N message(s)".
 *      -h  put on hold (from incoming active deferred): "QID: placed on
 *          hold", "Placed on hold: N message(s)".
 *      -H  release from hold into deferred, timestamps kept: "QID:
 *          released from hold", "Released from hold: N message(s)".
 *      -r  requeue (from hold incoming active deferred): move to maildrop
 *          with fresh timestamps and remove the logs, so that pickup and
 *          cleanup process the message again: "QID: requeued", "Requeued:
 *          N message(s)".
 *      -e  force-expire (set the g+x mode bit); -f also releases from hold:
 *          "QID: expired", "Force-expired: N message(s)".
 *      -s  structure check: rename short-ID files whose inode part does not
 *          match the file's inode ("QID: renamed to match inode number"),
 *          and move files and logs into the hash subdirectory that
 *          hash_queue_names/hash_queue_depth require. -S is accepted as -s.
 *      -p  purge temporary files ("queue/usec.pid" names, or files that
 *          never got the complete mode) older than 7 days.
 *      Without options: -s -p.
 *
 * DIAGNOSTICS
 *      Informational lines go to stderr as "postsuper: text" and to the
 *      mail log. "fatal: use of this command is reserved for the superuser"
 *      for non-root callers.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "argv.h"
#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "stream.h"
#include "vstr.h"

#define MAX_TEMP_AGE (7 * 86400)

typedef struct OP {
    int action; /* 'd', 'h', 'H', 'r', 'e', 'f' */
    const char *id;
} OP;

static const char *message_queues[] = {MAIL_QUEUE_MAILDROP, MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE,
                                       MAIL_QUEUE_DEFERRED, MAIL_QUEUE_HOLD,     NULL};
static const char *log_queues[] = {MAIL_QUEUE_DEFER, MAIL_QUEUE_BOUNCE, MAIL_QUEUE_TRACE, NULL};

/* remove_logs - delete the defer, bounce and trace logs of a message */
static void remove_logs(const char *qid)
{
    int i;

    for (i = 0; log_queues[i]; i++)
        if (mail_queue_remove(log_queues[i], qid) < 0 && errno != ENOENT)
            msg_warn("remove %s/%s: %m", log_queues[i], qid);
}

/* in_list - is queue in the (possibly user-restricted) list */
static int in_list(const ARGV *limit, const char *queue)
{
    int i;

    if (limit == NULL || limit->argc == 0)
        return 1;
    for (i = 0; i < limit->argc; i++)
        if (strcmp(limit->argv[i], queue) == 0)
            return 1;
    return 0;
}

/* do_one - apply one action to qid, searching the default queues */
static int do_one(int action, const char *qid, const ARGV *limit)
{
    static const char *del_q[] = {"hold", "incoming", "active", "deferred", "maildrop", NULL};
    static const char *hold_q[] = {"incoming", "active", "deferred", NULL};
    static const char *rel_q[] = {"hold", NULL};
    static const char *req_q[] = {"hold", "incoming", "active", "deferred", NULL};
    const char **queues;
    VSTR *path = vstr_alloc(100);
    struct stat st;
    int done = 0;
    int i;

    if (!mail_queue_id_ok(qid)) {
        msg_warn("invalid mail queue id: %s", qid);
        vstr_free(path);
        return 0;
    }
    switch (action) {
    case 'd':
        queues = del_q;
        break;
    case 'h':
        queues = hold_q;
        break;
    case 'H':
        queues = rel_q;
        break;
    default:
        queues = req_q;
        break;
    }
    for (i = 0; queues[i] && !done; i++) {
        const char *q = queues[i];

        if (!in_list(limit, q))
            continue;
        mail_queue_path(path, q, qid);
        if (lstat(VSTR_STR(path), &st) < 0)
            continue;
        switch (action) {
        case 'd':
            if (mail_queue_remove(q, qid) == 0) {
                remove_logs(qid);
                msg_info("%s: removed", qid);
                done = 1;
            }
            break;
        case 'h':
            if (mail_queue_rename(qid, q, MAIL_QUEUE_HOLD) == 0) {
                msg_info("%s: placed on hold", qid);
                done = 1;
            }
            break;
        case 'H':
            if (mail_queue_rename(qid, q, MAIL_QUEUE_DEFERRED) == 0) {
                msg_info("%s: released from hold", qid);
                done = 1;
            }
            break;
        case 'r':
            if (mail_queue_rename(qid, q, MAIL_QUEUE_MAILDROP) == 0) {
                mail_queue_path(path, MAIL_QUEUE_MAILDROP, qid);
                if (utime(VSTR_STR(path), NULL) < 0)
                    msg_warn("utime %s: %m", VSTR_STR(path));
                remove_logs(qid);
                msg_info("%s: requeued", qid);
                done = 1;
            }
            break;
        case 'e':
        case 'f':
            if (chmod(VSTR_STR(path), (st.st_mode & 07777) | MAIL_QUEUE_STAT_EXPIRE) < 0) {
                msg_warn("chmod %s: %m", VSTR_STR(path));
                break;
            }
            if (action == 'f' && strcmp(q, MAIL_QUEUE_HOLD) == 0 &&
                mail_queue_rename(qid, q, MAIL_QUEUE_DEFERRED) == 0)
                msg_info("%s: released from hold", qid);
            msg_info("%s: expired", qid);
            done = 1;
            break;
        }
    }
    vstr_free(path);
    return done;
}

/* collect - mail_queue_scan callback: remember IDs */
static void collect(const char *qid, void *ctx)
{
    argv_add((ARGV *)ctx, qid, (char *)0);
}

/* do_all - apply an action to every message in the relevant queues */
static int do_all(int action, const ARGV *limit)
{
    static const char *queues[] = {"maildrop", "hold", "incoming", "active", "deferred", NULL};
    ARGV *ids = argv_alloc(16);
    int count = 0;
    int i;

    for (i = 0; queues[i]; i++) {
        if (!in_list(limit, queues[i]))
            continue;
        if (strcmp(queues[i], "maildrop") == 0 && action != 'd')
            continue;
        mail_queue_scan(queues[i], collect, ids);
    }
    for (i = 0; i < ids->argc; i++)
        count += do_one(action, ids->argv[i], limit);
    argv_free(ids);
    return count;
}

/* do_stdin - apply an action to the IDs on standard input */
static int do_stdin(int action, const ARGV *limit)
{
    STREAM *in = stream_fdopen(0, "stdin");
    VSTR *line = vstr_alloc(100);
    ARGV *words;
    int count = 0;
    int i;

    while (stream_get_line(in, line, 10000) != STREAM_EOF) {
        words = argv_split(VSTR_STR(line), " \t\r\n");
        for (i = 0; i < words->argc; i++)
            count += do_one(action, words->argv[i], limit);
        argv_free(words);
    }
    stream_free(in);
    vstr_free(line);
    return count;
}

/* walk - every regular file below dir: fn(dir-relative path, name) */
static void walk(const char *queue, const char *dir, int level,
                 int (*fn)(const char *queue, const char *path, const char *name,
                           const struct stat *st))
{
    DIR *dp;
    struct dirent *de;
    struct stat st;
    ARGV *files = argv_alloc(16);
    ARGV *subs = argv_alloc(4);
    VSTR *path = vstr_alloc(100);
    int i;

    if ((dp = opendir(dir)) == NULL)
        goto out;
    while ((de = readdir(dp)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        vstr_sprintf(path, "%s/%s", dir, de->d_name);
        if (lstat(VSTR_STR(path), &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && strlen(de->d_name) == 1 && level < 16)
            argv_add(subs, VSTR_STR(path), (char *)0);
        else if (S_ISREG(st.st_mode))
            argv_add(files, de->d_name, (char *)0);
    }
    closedir(dp);
    for (i = 0; i < files->argc; i++) {
        vstr_sprintf(path, "%s/%s", dir, files->argv[i]);
        if (lstat(VSTR_STR(path), &st) == 0)
            fn(queue, VSTR_STR(path), files->argv[i], &st);
    }
    for (i = 0; i < subs->argc; i++)
        walk(queue, subs->argv[i], level + 1, fn);
out:
    argv_free(files);
    argv_free(subs);
    vstr_free(path);
}

static int purge_count;

/* purge_one - remove an old temporary or never-completed file */
static int purge_one(const char *queue, const char *path, const char *name, const struct stat *st)
{
    int is_msg_queue = 0;
    int i;

    for (i = 0; message_queues[i]; i++)
        if (strcmp(queue, message_queues[i]) == 0)
            is_msg_queue = 1;
    if (!is_msg_queue || st->st_mtime >= time(NULL) - MAX_TEMP_AGE)
        return 0;
    if (mail_queue_id_ok(name) && (st->st_mode & S_IRWXU) == MAIL_QUEUE_STAT_READY)
        return 0;
    if (strcmp(queue, MAIL_QUEUE_MAILDROP) == 0 && mail_queue_id_ok(name))
        return 0; /* maildrop files belong to users; their mode differs */
    if (unlink(path) == 0) {
        msg_info("%s: removed old temporary file", path);
        purge_count++;
    } else {
        msg_warn("remove %s: %m", path);
    }
    return 0;
}

/* structure_one - -s: fix inode-mismatched names and hash placement */
static int structure_one(const char *queue, const char *path, const char *name,
                         const struct stat *st)
{
    VSTR *want = vstr_alloc(100);
    VSTR *new_id = vstr_alloc(40);
    char ino[32];
    int is_log = 0;
    int i;

    if (!mail_queue_id_ok(name))
        goto out;
    vstr_strcpy(new_id, name);
    /* A short ID: 5 hex usec digits + hex inode, all upper-case hex.
     * Logs are only moved into place: their inode is not the message's. */
    for (i = 0; log_queues[i]; i++)
        if (strcmp(queue, log_queues[i]) == 0)
            is_log = 1;
    if (!is_log && strchr(name, 'z') == NULL && strlen(name) > 5 &&
        strspn(name, "0123456789ABCDEF") == strlen(name)) {
        snprintf(ino, sizeof(ino), "%lX", (unsigned long)st->st_ino);
        if (strcmp(name + 5, ino) != 0) {
            vstr_memcpy(new_id, name, 5);
            vstr_addstr(new_id, ino);
        }
    }
    mail_queue_path(want, queue, VSTR_STR(new_id));
    if (strcmp(want->buf, path) == 0)
        goto out;
    if (access(VSTR_STR(want), F_OK) == 0) {
        msg_warn("%s: cannot rename to %s: file exists", path, VSTR_STR(want));
        goto out;
    }
    /* Create the hash directory through the rename helper's rules. */
    {
        char *copy = mystrdup(VSTR_STR(want));
        char *slash;

        for (slash = strchr(copy, '/'); slash; slash = strchr(slash + 1, '/')) {
            *slash = 0;
            (void)mkdir(copy, 0700);
            *slash = '/';
        }
        myfree(copy);
    }
    if (rename(path, VSTR_STR(want)) < 0) {
        msg_warn("rename %s to %s: %m", path, VSTR_STR(want));
        goto out;
    }
    if (strcmp(name, VSTR_STR(new_id)) != 0) {
        msg_info("%s: renamed to match inode number", name);
        /* The logs follow their message. */
        for (i = 0; log_queues[i]; i++) {
            VSTR *from = vstr_alloc(100);
            VSTR *to = vstr_alloc(100);

            mail_queue_path(from, log_queues[i], name);
            mail_queue_path(to, log_queues[i], VSTR_STR(new_id));
            if (rename(VSTR_STR(from), VSTR_STR(to)) < 0 && errno != ENOENT)
                msg_warn("rename %s to %s: %m", VSTR_STR(from), VSTR_STR(to));
            vstr_free(from);
            vstr_free(to);
        }
    }
out:
    vstr_free(want);
    vstr_free(new_id);
    return 0;
}

/* report - the summary line, as Postfix prints it */
static void report(const char *what, int count)
{
    if (count > 0)
        msg_info("%s: %d message%s", what, count, count == 1 ? "" : "s");
}

static void usage(void)
{
    msg_fatal("usage: postsuper [-c config_dir] [-d queue_id] [-e queue_id] [-f queue_id] "
              "[-h queue_id] [-H queue_id] [-p] [-r queue_id] [-s] [-S] [-v] [queue...]");
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    OP *ops = NULL;
    int nops = 0;
    int do_struct = 0, do_purge = 0;
    int counts[128] = {0};
    ARGV *limit = argv_alloc(4);
    int ch, i;

    msg_init(argv[0], MSG_STDERR);
    if (getuid() != 0)
        msg_fatal("use of this command is reserved for the superuser");
    while ((ch = getopt(argc, argv, "c:d:e:f:h:H:pr:sSv")) > 0) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
        case 'e':
        case 'f':
        case 'h':
        case 'H':
        case 'r':
            ops = myrealloc(ops, sizeof(*ops) * ((size_t)nops + 1));
            ops[nops].action = ch;
            ops[nops].id = optarg;
            nops++;
            break;
        case 'p':
            do_purge = 1;
            break;
        case 's':
        case 'S':
            do_struct = 1;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage();
        }
    }
    for (i = optind; i < argc; i++) {
        if (strcmp(argv[i], "maildrop") && strcmp(argv[i], "incoming") &&
            strcmp(argv[i], "active") && strcmp(argv[i], "deferred") && strcmp(argv[i], "hold"))
            msg_fatal("invalid directory name: %s", argv[i]);
        argv_add(limit, argv[i], (char *)0);
    }
    if (nops == 0 && !do_struct && !do_purge)
        do_struct = do_purge = 1;
    cfg_init(config_dir);
    msg_logging_configure();
    mail_queue_chdir();

    if (do_struct) {
        for (i = 0; message_queues[i]; i++)
            walk(message_queues[i], message_queues[i], 0, structure_one);
        for (i = 0; log_queues[i]; i++)
            walk(log_queues[i], log_queues[i], 0, structure_one);
    }
    if (do_purge) {
        for (i = 0; message_queues[i]; i++)
            walk(message_queues[i], message_queues[i], 0, purge_one);
    }
    for (i = 0; i < nops; i++) {
        int n;

        if (strcmp(ops[i].id, "ALL") == 0)
            n = do_all(ops[i].action, limit);
        else if (strcmp(ops[i].id, "-") == 0)
            n = do_stdin(ops[i].action, limit);
        else
            n = do_one(ops[i].action, ops[i].id, limit);
        counts[ops[i].action] += n;
    }
    report("Deleted", counts['d']);
    report("Force-expired", counts['e'] + counts['f']);
    report("Placed on hold", counts['h']);
    report("Released from hold", counts['H']);
    report("Requeued", counts['r']);
    if (counts['r'] > 0)
        (void)unix_trigger("public/pickup", "W", 1);
    argv_free(limit);
    myfree(ops);
    return 0;
}
