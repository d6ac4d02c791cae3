/*
 * NAME
 *      postalias - Postfix-compatible alias database maintenance
 *
 * SYNOPSIS
 *      postalias [-Nfinoprsvw] [-c config_dir] [-q key] [file_type:]file_name ...
 *
 * DESCRIPTION
 *      Builds hash: or btree: alias databases (file_name.db) from aliases(5)
 *      source files exactly as Postfix's postalias writes them (reference
 *      7.4): "name: value, value" entries, continuation lines starting with
 *      white space, comments starting with "#"; the name is lower-cased
 *      (unless -f) and may be quoted; the value is normalised as an
 *      address list ("a, b,\n  c" becomes "a, b, c"). Keys and values are
 *      stored with a trailing NUL; the Sendmail marker "@" -> "@" is
 *      appended, and, as on every NIS-capable system, YP_LAST_MODIFIED
 *      (%010ld seconds) and YP_MASTER_NAME ($myhostname), both without NUL.
 *      Like postmap it drops privileges to the source file's owner (not
 *      with -o) and gives the .db the source's permissions (not with -p).
 *
 *      -q key looks the key up in each table and prints the first value
 *      (exit 0 if found, 1 if not; "-" reads keys from standard input and
 *      prints "key<TAB>value"). -s dumps every entry as key<TAB>value.
 *      -N/-n force/forbid the trailing NUL; -r replaces duplicates, -w
 *      ignores them silently (the default warns and keeps the first).
 *
 * DIAGNOSTICS
 *      "warning: FILE, line N: need name:value pair" for a malformed entry;
 *      duplicates as the database driver reports them; fatal errors for
 *      files that cannot be opened. Exit status 0 on success.
 *
 * SEE ALSO
 *      Postfix postalias(1), aliases(5), newaliases (sendmail -bi).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "dict.h"
#include "msg.h"
#include "mymalloc.h"
#include "stream.h"
#include "vstr.h"

#define PA_SAVE_PERM (1 << 0)
#define PA_AS_OWNER (1 << 1)

static void usage(void)
{
    msg_fatal("usage: postalias [-Nfinoprsvw] [-c config_dir] [-q key] [map_type:]file...");
}

/* "type:file" with the default type; returns "type:file" mymalloc'ed. */
static char *pa_spec(const char *spec, const char **file)
{
    const char *colon = strchr(spec, ':');
    VSTR *v = vstr_alloc(100);

    if (colon == NULL || strchr(spec, '/') < colon) {
        const char *def = cfg_str("default_database_type");

        vstr_sprintf(v, "%s:%s", *def ? def : "hash", spec);
        *file = spec;
    } else {
        vstr_strcpy(v, spec);
        *file = colon + 1;
    }
    return vstr_export(v);
}

/* Normalise an alias value: elements split at commas outside quotes,
 * trimmed, joined with ", ". */
static void pa_normalize(const char *value, VSTR *out)
{
    VSTR *tok = vstr_alloc(100);
    const char *cp;
    int quoted = 0;

    vstr_reset(out);
    for (cp = value;; cp++) {
        if (*cp == 0 || (!quoted && *cp == ',')) {
            const char *s = VSTR_STR(tok);
            size_t len = VSTR_LEN(tok);

            while (len > 0 && isspace((unsigned char)*s))
                s++, len--;
            while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
            if (len > 0) {
                if (VSTR_LEN(out) > 0)
                    vstr_addstr(out, ", ");
                vstr_addmem(out, s, len);
            }
            vstr_reset(tok);
            if (*cp == 0)
                break;
            continue;
        }
        if (*cp == '"')
            quoted = !quoted;
        /* Newlines and tabs inside a folded value become single spaces. */
        vstr_addch(tok, (*cp == '\n' || *cp == '\t') ? ' ' : *cp);
    }
    vstr_free(tok);
}

/* One logical entry "name: value". */
static void pa_entry(DICT *d, const char *file, int lineno, const char *text, int fold)
{
    const char *cp = text;
    const char *name_end;
    VSTR *name = vstr_alloc(64), *value = vstr_alloc(128);
    char *p;

    if (*cp == '"') {
        const char *q = strchr(cp + 1, '"');

        name_end = q ? q + 1 : cp + strlen(cp);
    } else {
        name_end = cp;
        while (*name_end && *name_end != ':')
            name_end++;
    }
    vstr_addmem(name, cp, (size_t)(name_end - cp));
    while (VSTR_LEN(name) > 0 && isspace((unsigned char)VSTR_STR(name)[VSTR_LEN(name) - 1]))
        vstr_truncate(name, VSTR_LEN(name) - 1);
    cp = name_end;
    while (isspace((unsigned char)*cp))
        cp++;
    if (*cp != ':' || VSTR_LEN(name) == 0) {
        msg_warn("%s, line %d: need name:value pair", file, lineno);
        goto out;
    }
    pa_normalize(cp + 1, value);
    if (VSTR_LEN(value) == 0) {
        msg_warn("%s, line %d: need name:value pair", file, lineno);
        goto out;
    }
    /* The name is stored in internal (unquoted) form, as Postfix does. */
    if (VSTR_LEN(name) >= 2 && VSTR_STR(name)[0] == '"' &&
        VSTR_STR(name)[VSTR_LEN(name) - 1] == '"') {
        char *copy = mystrndup(VSTR_STR(name) + 1, VSTR_LEN(name) - 2);

        vstr_strcpy(name, copy);
        myfree(copy);
    }
    if (fold)
        for (p = VSTR_STR(name); *p; p++)
            *p = (char)tolower((unsigned char)*p);
    if (dict_put(d, VSTR_STR(name), VSTR_STR(value)) == DICT_STAT_ERROR)
        msg_fatal("%s:%s: cannot update table", d->type, d->name);
out:
    vstr_free(name);
    vstr_free(value);
}

/* Put key/value without the trailing NUL and without case folding. */
static void pa_put_nonul(DICT *d, const char *key, const char *value)
{
    int saved = d->flags;

    d->flags = (d->flags & ~(DICT_FLAG_TRY1NULL | DICT_FLAG_FOLD_FIX | DICT_FLAG_DUP_WARN)) |
               DICT_FLAG_TRY0NULL | DICT_FLAG_DUP_REPLACE;
    if (dict_put(d, key, value) == DICT_STAT_ERROR)
        msg_fatal("%s:%s: cannot update table", d->type, d->name);
    d->flags = saved;
}

static void pa_build(const char *spec, int dict_flags, int pa_flags)
{
    const char *file;
    char *full = pa_spec(spec, &file);
    int fd, lineno = 0, start = 0;
    struct stat st;
    STREAM *in;
    VSTR *line = vstr_alloc(256), *entry = vstr_alloc(256), *dbpath = vstr_alloc(100);
    sigset_t block, saved;
    DICT *d;
    char buf[32];
    int fold = (dict_flags & DICT_FLAG_FOLD_FIX) != 0;

    if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
        msg_fatal("open %s: %m", file);
    if (fstat(fd, &st) < 0)
        msg_fatal("fstat %s: %m", file);
    if ((pa_flags & PA_AS_OWNER) && geteuid() == 0 && st.st_uid != 0)
        if (setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0)
            msg_fatal("change user/group id to %ld/%ld: %m", (long)st.st_uid, (long)st.st_gid);
    sigemptyset(&block);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGQUIT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved);
    d = dict_open(full, O_RDWR | O_CREAT | O_TRUNC,
                  (dict_flags & ~DICT_FLAG_FOLD_FIX) | DICT_FLAG_FATAL_OPEN |
                      DICT_FLAG_BULK_UPDATE);
    if (d->error != DICT_ERR_NONE)
        msg_fatal("open %s: cannot open table", full);
    in = stream_fdopen(fd, file);
    for (;;) {
        int ch = stream_get_line(in, line, (size_t)1 << 30);
        const char *cp;

        if (ch != STREAM_EOF) {
            lineno++;
            if (VSTR_LEN(line) > 0 && VSTR_STR(line)[VSTR_LEN(line) - 1] == '\n')
                vstr_truncate(line, VSTR_LEN(line) - 1);
            if (VSTR_LEN(line) > 0 && VSTR_STR(line)[VSTR_LEN(line) - 1] == '\r')
                vstr_truncate(line, VSTR_LEN(line) - 1);
            for (cp = VSTR_STR(line); isspace((unsigned char)*cp); cp++)
                ;
            if (*cp == '#' || *cp == 0)
                continue; /* comments and blank lines */
            if (cp != VSTR_STR(line) && VSTR_LEN(entry) > 0) {
                vstr_addch(entry, '\n');
                vstr_addstr(entry, VSTR_STR(line));
                continue;
            }
        }
        if (VSTR_LEN(entry) > 0)
            pa_entry(d, file, start, VSTR_STR(entry), fold);
        vstr_reset(entry);
        if (ch == STREAM_EOF)
            break;
        for (cp = VSTR_STR(line); isspace((unsigned char)*cp); cp++)
            ;
        vstr_strcpy(entry, cp);
        start = lineno;
    }
    (void)stream_close(in);
    /* The Sendmail marker and the NIS keys. */
    if (dict_put(d, "@", "@") == DICT_STAT_ERROR)
        msg_fatal("%s: cannot update table", full);
    snprintf(buf, sizeof(buf), "%010ld", (long)time(NULL));
    pa_put_nonul(d, "YP_LAST_MODIFIED", buf);
    pa_put_nonul(d, "YP_MASTER_NAME", cfg_str("myhostname"));
    dict_close(d);
    if ((pa_flags & PA_SAVE_PERM) &&
        (strncmp(full, "hash:", 5) == 0 || strncmp(full, "btree:", 6) == 0)) {
        vstr_sprintf(dbpath, "%s.db", file);
        if (chmod(VSTR_STR(dbpath), st.st_mode & 0777) < 0)
            msg_warn("chmod %s: %m", VSTR_STR(dbpath));
    }
    sigprocmask(SIG_SETMASK, &saved, NULL);
    myfree(full);
    vstr_free(line);
    vstr_free(entry);
    vstr_free(dbpath);
}

static int pa_query(DICT **dicts, int n, const char *key, int with_key)
{
    const char *value;
    int i;

    for (i = 0; i < n; i++) {
        if ((value = dict_get(dicts[i], key)) != NULL) {
            if (with_key)
                printf("%s:\t%s\n", key, value);
            else
                printf("%s\n", value);
            return 1;
        }
        if (dicts[i]->error != DICT_ERR_NONE)
            msg_fatal("table %s:%s: query error", dicts[i]->type, dicts[i]->name);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int ch, i, n, found = 0, dump = 0;
    int dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD_FIX;
    int pa_flags = PA_SAVE_PERM | PA_AS_OWNER;
    const char *query = NULL, *config_dir = NULL;
    DICT **dicts;

    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "Nc:finopq:rsuUvw")) > 0) {
        switch (ch) {
        case 'N':
            dict_flags = (dict_flags | DICT_FLAG_TRY1NULL) & ~DICT_FLAG_TRY0NULL;
            break;
        case 'n':
            dict_flags = (dict_flags | DICT_FLAG_TRY0NULL) & ~DICT_FLAG_TRY1NULL;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'f':
            dict_flags &= ~DICT_FLAG_FOLD_FIX;
            break;
        case 'o':
            pa_flags &= ~PA_AS_OWNER;
            break;
        case 'p':
            pa_flags &= ~PA_SAVE_PERM;
            break;
        case 'q':
            if (dump)
                usage();
            query = optarg;
            break;
        case 'r':
            dict_flags =
                (dict_flags & ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE)) | DICT_FLAG_DUP_REPLACE;
            break;
        case 's':
            if (query)
                usage();
            dump = 1;
            break;
        case 'i':
        case 'u':
        case 'U':
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            dict_flags =
                (dict_flags & ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE)) | DICT_FLAG_DUP_IGNORE;
            break;
        default:
            usage();
        }
    }
    cfg_init(config_dir);
    if (optind >= argc)
        usage();
    n = argc - optind;
    if (query == NULL && !dump) {
        for (i = optind; i < argc; i++)
            pa_build(argv[i], dict_flags, pa_flags);
        exit(0);
    }
    dicts = mymalloc(sizeof(DICT *) * (size_t)n);
    for (i = 0; i < n; i++) {
        const char *file;
        char *full = pa_spec(argv[optind + i], &file);

        dicts[i] = dict_open(full, O_RDONLY, dict_flags | DICT_FLAG_LOCK | DICT_FLAG_FATAL_OPEN);
        if (dicts[i]->error != DICT_ERR_NONE)
            msg_fatal("open %s: cannot open table", full);
        myfree(full);
    }
    if (query != NULL && strcmp(query, "-") == 0) {
        STREAM *in = stream_fdopen(0, "stdin");
        VSTR *line = vstr_alloc(100);

        while (stream_get_line(in, line, (size_t)1 << 30) != STREAM_EOF) {
            while (VSTR_LEN(line) > 0 && (VSTR_STR(line)[VSTR_LEN(line) - 1] == '\n' ||
                                          VSTR_STR(line)[VSTR_LEN(line) - 1] == '\r'))
                vstr_truncate(line, VSTR_LEN(line) - 1);
            if (VSTR_LEN(line) > 0)
                found |= pa_query(dicts, n, VSTR_STR(line), 1);
        }
        vstr_free(line);
        stream_free(in);
    } else if (query != NULL) {
        found = pa_query(dicts, n, query, 0);
    } else {
        const char *key, *value;
        int func, ret;

        for (i = 0; i < n; i++) {
            for (func = DICT_SEQ_FIRST; (ret = dict_seq(dicts[i], func, &key, &value)) == 0;
                 func = DICT_SEQ_NEXT)
                printf("%s:\t%s\n", key, value);
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
