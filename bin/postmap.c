/*
 * NAME
 *      postmap - create, query or update a Postfix lookup table
 * SYNOPSIS
 *      postmap [-NfinoprsuUvw] [-c config_dir] [-d key] [-q key] [type:]file...
 * DESCRIPTION
 *      Without -q, -d or -s, postmap builds the indexed table type:file
 *      (file.db for hash and btree) from the text file "file", in the
 *      postmap(1) source format (reference 7.4): main.cf line rules, then
 *      "key whitespace value"; a quoted key keeps its quotes. The type
 *      defaults to $default_database_type (hash).
 *
 *      The rebuild follows Postfix: the .db file is locked exclusively and
 *      truncated (O_TRUNC), the entries are bulk-inserted, and the file is
 *      synced and closed, with SIGHUP, SIGINT, SIGQUIT and SIGTERM blocked
 *      meanwhile. Run as root, postmap switches to the source file's owner
 *      (unless -o), and the new file takes the source file's permission bits
 *      (unless -p).
 *
 *      -N store keys and values with a trailing NUL; -n without (default:
 *         with, on Linux). -f do not fold keys to lower case.
 *      -i incremental: add entries read from stdin, do not truncate.
 *      -r replace duplicate keys (default: warn, keep the first);
 *      -w ignore duplicates silently.
 *      -q key: print the value of key (first table that has it); exit 0
 *         when found, 1 when not. -q -: read keys from stdin, print
 *         "key<TAB>value" for each one found.
 *      -d key: delete key (-d -: keys from stdin); exit 0 if something was
 *         deleted, else 1.
 *      -s: print every entry as "key<TAB>value" in database order.
 *      -c dir: configuration directory. -v: verbose. -u, -U, -o, -p: as
 *         Postfix (-u/-U accepted, no UTF-8 processing is done here).
 * DIAGNOSTICS
 *      Postfix's texts on stderr, e.g. "postmap: fatal: open FILE: No such
 *      file or directory", "postmap: fatal: open database FILE.db: ...",
 *      "postmap: fatal: unsupported dictionary type: TYPE",
 *      "postmap: warning: FILE.db: duplicate entry: "KEY"",
 *      "postmap: warning: FILE, line N: expected format: key whitespace value".
 *      Exit status 0 on success, 1 on failure or "not found".
 * SEE ALSO
 *      Postfix postmap(1), postmap/postmap.c; reference 7.4 and section 11.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "stream.h"
#include "vstr.h"

#define PM_FLAG_SAVE_PERM (1 << 0)
#define PM_FLAG_AS_OWNER (1 << 1)

static void usage(void)
{
    msg_fatal("usage: postmap [-NfinoprsuUvw] [-c config_dir] [-d key] [-q key] "
              "[map_type:]file...");
}

/* Split "type:file" into a mymalloc'ed type and the file part. */
static char *postmap_type(const char *spec, const char **file)
{
    const char *colon = strchr(spec, ':');
    const char *names;
    size_t tlen;
    char *type;

    if (colon == NULL) {
        const char *def = cfg_str("default_database_type");

        type = mystrdup(def && *def ? def : "hash");
        *file = spec;
    } else {
        type = mystrndup(spec, (size_t)(colon - spec));
        *file = colon + 1;
    }
    /* Reject an unknown type the way Postfix does, before opening. */
    names = dict_type_names();
    tlen = strlen(type);
    for (;;) {
        const char *sp = strchr(names, ' ');
        size_t len = sp ? (size_t)(sp - names) : strlen(names);

        if (len == tlen && strncmp(names, type, len) == 0)
            break;
        if (sp == NULL)
            msg_fatal("unsupported dictionary type: %s", type);
        names = sp + 1;
    }
    return type;
}

static DICT *postmap_open(const char *spec, int open_flags, int dict_flags)
{
    const char *file;
    char *type = postmap_type(spec, &file);
    VSTR *full = vstr_alloc(100);
    DICT *d;

    vstr_sprintf(full, "%s:%s", type, file);
    d = dict_open(VSTR_STR(full), open_flags, dict_flags | DICT_FLAG_FATAL_OPEN);
    if (d->error != DICT_ERR_NONE)
        msg_fatal("open %s: cannot open table", VSTR_STR(full));
    vstr_free(full);
    myfree(type);
    return d;
}

/* Read one line from stdin without its newline: 1, or 0 at EOF. */
static int stdin_getline(VSTR *v, void *ctx)
{
    STREAM *st = ctx;

    if (stream_get_line(st, v, (size_t)1 << 30) == STREAM_EOF)
        return 0;
    if (v->len > 0 && v->buf[v->len - 1] == '\n')
        vstr_truncate(v, v->len - 1);
    if (v->len > 0 && v->buf[v->len - 1] == '\r')
        vstr_truncate(v, v->len - 1);
    return 1;
}

static void postmap_put(const char *key, const char *value, int lineno, void *ctx)
{
    DICT *d = ctx;

    if (dict_put(d, key, value) == DICT_STAT_ERROR)
        msg_fatal("%s:%s: cannot update table", d->type, d->name);
}

/* Build one table from its source file (or stdin with -i). */
static void postmap_build(const char *spec, int dict_flags, int incremental, int pm_flags)
{
    const char *file;
    char *type = postmap_type(spec, &file);
    int src_fd = -1;
    struct stat st;
    sigset_t block, saved;
    VSTR *dbspec = vstr_alloc(100);
    VSTR *dbpath = vstr_alloc(100);
    DICT *d;
    int open_flags = O_RDWR | O_CREAT | (incremental ? 0 : O_TRUNC);

    if (!incremental) {
        if ((src_fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
            msg_fatal("open %s: %m", file);
        if (fstat(src_fd, &st) < 0)
            msg_fatal("fstat %s: %m", file);
        /* Run as the owner of the source file, as Postfix postmap does. */
        if ((pm_flags & PM_FLAG_AS_OWNER) && geteuid() == 0 && st.st_uid != 0) {
            if (setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
                msg_fatal("change user/group id to %ld/%ld: %m", (long)st.st_uid, (long)st.st_gid);
        }
    }
    vstr_sprintf(dbspec, "%s:%s", type, file);
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    d = dict_open(VSTR_STR(dbspec), open_flags,
                  dict_flags | DICT_FLAG_FATAL_OPEN | DICT_FLAG_BULK_UPDATE);
    if (d->error != DICT_ERR_NONE)
        msg_fatal("open %s: cannot open table", VSTR_STR(dbspec));
    if (incremental) {
        STREAM *in = stream_fdopen(0, "stdin");

        dict_source_parse("stdin", stdin_getline, in, postmap_put, d);
        stream_free(in);
    } else {
        STREAM *in = stream_fdopen(src_fd, file);

        dict_source_parse(file, stdin_getline, in, postmap_put, d);
        (void)stream_close(in);
    }
    dict_close(d);
    if (!incremental && (pm_flags & PM_FLAG_SAVE_PERM) &&
        (strcmp(type, "hash") == 0 || strcmp(type, "btree") == 0)) {
        vstr_sprintf(dbpath, "%s.db", file);
        if (chmod(VSTR_STR(dbpath), st.st_mode & 0777) < 0)
            msg_warn("chmod %s: %m", VSTR_STR(dbpath));
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    vstr_free(dbspec);
    vstr_free(dbpath);
    myfree(type);
}

/* Look key up in each table; print the first value. 1 if found. */
static int postmap_query_one(DICT **dicts, int n, const char *key, int with_key)
{
    const char *value;
    int i;

    for (i = 0; i < n; i++) {
        value = dict_get(dicts[i], key);
        if (value != NULL) {
            if (with_key)
                printf("%s\t%s\n", key, value);
            else
                printf("%s\n", value);
            return 1;
        }
        if (dicts[i]->error != DICT_ERR_NONE)
            msg_fatal("table %s:%s: query error", dicts[i]->type, dicts[i]->name);
    }
    return 0;
}

static int postmap_delete_one(DICT **dicts, int n, const char *key)
{
    int i, found = 0, ret;

    for (i = 0; i < n; i++) {
        ret = dict_del(dicts[i], key);
        if (ret == DICT_STAT_SUCCESS)
            found = 1;
        else if (ret == DICT_STAT_ERROR)
            msg_fatal("table %s:%s: delete error", dicts[i]->type, dicts[i]->name);
    }
    return found;
}

int main(int argc, char **argv)
{
    int ch;
    int dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX;
    int pm_flags = PM_FLAG_SAVE_PERM | PM_FLAG_AS_OWNER;
    const char *query = NULL;
    const char *delkey = NULL;
    const char *config_dir = NULL;
    int dump = 0, incremental = 0;
    int found = 0;
    int i, n;
    DICT **dicts;

    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "Nc:d:finopq:rsuUvw")) > 0) {
        switch (ch) {
        case 'N':
            dict_flags |= DICT_FLAG_TRY1NULL;
            dict_flags &= ~DICT_FLAG_TRY0NULL;
            break;
        case 'n':
            dict_flags |= DICT_FLAG_TRY0NULL;
            dict_flags &= ~DICT_FLAG_TRY1NULL;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            if (query || dump)
                usage();
            delkey = optarg;
            break;
        case 'f':
            dict_flags &= ~DICT_FLAG_FOLD_FIX;
            break;
        case 'i':
            incremental = 1;
            break;
        case 'o':
            pm_flags &= ~PM_FLAG_AS_OWNER;
            break;
        case 'p':
            pm_flags &= ~PM_FLAG_SAVE_PERM;
            break;
        case 'q':
            if (delkey || dump)
                usage();
            query = optarg;
            break;
        case 'r':
            dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE);
            dict_flags |= DICT_FLAG_DUP_REPLACE;
            break;
        case 's':
            if (query || delkey)
                usage();
            dump = 1;
            break;
        case 'u':
        case 'U':
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE);
            dict_flags |= DICT_FLAG_DUP_IGNORE;
            break;
        default:
            usage();
        }
    }
    cfg_init(config_dir);
    if (optind >= argc)
        usage();
    n = argc - optind;

    if (query == NULL && delkey == NULL && !dump) {
        for (i = optind; i < argc; i++)
            postmap_build(argv[i], dict_flags, incremental, pm_flags);
        exit(0);
    }

    dicts = mymalloc(sizeof(DICT *) * (size_t)n);
    for (i = 0; i < n; i++)
        dicts[i] =
            postmap_open(argv[optind + i], delkey ? O_RDWR : O_RDONLY, dict_flags | DICT_FLAG_LOCK);
    if (query != NULL) {
        if (strcmp(query, "-") == 0) {
            STREAM *in = stream_fdopen(0, "stdin");
            VSTR *line = vstr_alloc(100);

            while (stdin_getline(line, in))
                if (VSTR_LEN(line) > 0)
                    found |= postmap_query_one(dicts, n, VSTR_STR(line), 1);
            vstr_free(line);
            stream_free(in);
        } else {
            found = postmap_query_one(dicts, n, query, 0);
        }
    } else if (delkey != NULL) {
        if (strcmp(delkey, "-") == 0) {
            STREAM *in = stream_fdopen(0, "stdin");
            VSTR *line = vstr_alloc(100);

            while (stdin_getline(line, in))
                if (VSTR_LEN(line) > 0)
                    found |= postmap_delete_one(dicts, n, VSTR_STR(line));
            vstr_free(line);
            stream_free(in);
        } else {
            found = postmap_delete_one(dicts, n, delkey);
        }
    } else {
        const char *key, *value;
        int func, ret;

        for (i = 0; i < n; i++) {
            for (func = DICT_SEQ_FIRST; (ret = dict_seq(dicts[i], func, &key, &value)) == 0;
                 func = DICT_SEQ_NEXT)
                printf("%s\t%s\n", key, value);
            if (ret < 0)
                msg_fatal("table %s:%s: sequence error", dicts[i]->type, dicts[i]->name);
        }
        found = 1;
    }
    if (fflush(stdout) != 0)
        msg_fatal("write error: %m");
    for (i = 0; i < n; i++)
        dict_close(dicts[i]);
    myfree(dicts);
    exit(found ? 0 : 1);
}
