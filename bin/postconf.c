/*
 * NAME
 *      postconf 1 - Postern configuration utility
 *
 * SYNOPSIS
 *      postconf [-c dir] [-n] [-d] [-h] [-H] [-x] [name...]
 *      postconf [-c dir] -m
 *      postconf [-c dir] -M [-f] [service[/type]...]
 *      postconf [-c dir] -e name=value...
 *      postconf [-c dir] -X name...
 *      postconf [-c dir] -# name...
 *
 * DESCRIPTION
 *      Prints or edits main.cf and prints master.cf, with the output formats
 *      of Postfix's postconf(1) (reference 11, trap 31):
 *
 *      Without -n/-d every known parameter is printed as "name = value",
 *      sorted, unexpanded; -n prints only the parameters set in main.cf
 *      (and config_directory when -c or MAIL_CONFIG gave one) that are in
 *      use; -d prints the built-in defaults unexpanded. -h prints only the
 *      value, -H only the name, -x expands the value. White space in values
 *      is printed as single spaces, as Postfix does. A name that is not a
 *      parameter gives "warning: NAME: unknown parameter"; the exit status
 *      stays 0.
 *
 *      -e replaces the logical line (with its continuation lines) of each
 *      name by "name = value", or appends it at the end; -X removes it; -#
 *      comments it out. Comments and other lines are kept. The new file is
 *      written to main.cf.tmp and renamed over main.cf.
 *
 *      -M prints master.cf entries in Postfix's normalised columns (service
 *      at 0, type at 11, private 17, unpriv 25, chroot 33, wakeup 41,
 *      maxproc 49, command 57, at least one space between columns); -o
 *      values containing white space are printed as "-o {name=value}". With
 *      -f each -o goes on its own line indented by four spaces. Arguments
 *      select entries by "service" or "service/type"; an argument that
 *      selects nothing gives "warning: unmatched request: "ARG"".
 *
 *      -m prints the supported lookup table types, one per line.
 *
 * DIAGNOSTICS
 *      Exit status 0 on success, 1 on a fatal error (bad option, missing
 *      main.cf, malformed main.cf or master.cf, failed edit).
 *
 * SEE ALSO
 *      postconf(5), master(5), lib/config.h, lib/mastercf.h
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "dict.h"
#include "mastercf.h"
#include "msg.h"
#include "mymalloc.h"
#include "vstr.h"

#define PC_NAME_ONLY (1 << 0)  /* -H */
#define PC_VALUE_ONLY (1 << 1) /* -h */
#define PC_EXPAND (1 << 2)     /* -x */
#define PC_FOLD (1 << 3)       /* -f */

static int pc_flags;

/* pc_usage - complain about the command line. */
static void pc_usage(void) __attribute__((noreturn));
static void pc_usage(void)
{
    msg_fatal("usage: postconf [-c config_dir] [-n|-d] [-h|-H] [-x] [-m] [-M [-f]] "
              "[-e name=value...] [-X name...] [-# name...] [name...]");
}

/* pc_print - print one parameter per the -h/-H/-x flags. */
static void pc_print(const char *name, const char *value)
{
    VSTR *out = vstr_alloc(256);
    char *expanded = NULL;
    const char *p;
    int need_space = 0;

    if (value == NULL)
        value = "";
    if (pc_flags & PC_NAME_ONLY) {
        printf("%s\n", name);
        vstr_free(out);
        return;
    }
    if (pc_flags & PC_EXPAND)
        value = expanded = cfg_expand(value);
    if (!(pc_flags & PC_VALUE_ONLY)) {
        vstr_addstr(out, name);
        vstr_addstr(out, " =");
        need_space = 1;
    }
    /* Postfix prints the words of the value separated by single spaces. */
    for (p = value; *p;) {
        const char *start;

        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == 0)
            break;
        for (start = p; *p && !isspace((unsigned char)*p); p++)
            /* void */;
        if (need_space)
            vstr_addch(out, ' ');
        vstr_addmem(out, start, (size_t)(p - start));
        need_space = 1;
    }
    printf("%s\n", VSTR_STR(out));
    vstr_free(out);
    myfree(expanded);
}

/* pc_show_default - callback for -d without names. */
static void pc_show_default(const char *name, const char *defval, void *ctx)
{
    pc_print(name, defval);
}

/* pc_show_current - callback for plain postconf: the value in effect. */
static void pc_show_current(const char *name, const char *defval, void *ctx)
{
    pc_print(name, cfg_raw(name));
}

/* pc_show_set - callback for -n: settings in use. */
static void pc_show_set(const char *name, const char *value, void *ctx)
{
    if (cfg_is_used(name))
        pc_print(name, value);
}

/*
 * main.cf editing (-e, -X, -#).
 */

/* pc_line_name - the parameter name that starts a logical line, or NULL. */
static char *pc_line_name(const char *line)
{
    const char *p = line;

    while (*p && !isspace((unsigned char)*p) && *p != '=')
        p++;
    if (p == line)
        return NULL;
    return mystrndup(line, (size_t)(p - line));
}

/* pc_edit_find - index of name in the edit list (names before '='), or -1. */
static int pc_edit_find(char **edits, int count, const char *name)
{
    int i;
    size_t len = strlen(name);

    for (i = 0; i < count; i++) {
        const char *e = edits[i];

        while (isspace((unsigned char)*e))
            e++;
        if (strncmp(e, name, len) == 0 &&
            (e[len] == 0 || e[len] == '=' || isspace((unsigned char)e[len])))
            return i;
    }
    return -1;
}

/* pc_edit_text - "name = value" for an -e argument "name=value". */
static char *pc_edit_text(const char *arg)
{
    const char *eq = strchr(arg, '=');
    const char *nend;
    const char *name = arg;
    const char *val;
    VSTR *buf = vstr_alloc(strlen(arg) + 4);

    if (eq == NULL)
        msg_fatal("-e requires name=value input");
    while (isspace((unsigned char)*name))
        name++;
    for (nend = eq; nend > name && isspace((unsigned char)nend[-1]); nend--)
        /* void */;
    for (val = eq + 1; isspace((unsigned char)*val); val++)
        /* void */;
    vstr_addmem(buf, name, (size_t)(nend - name));
    vstr_addstr(buf, " = ");
    vstr_addstr(buf, val);
    /* No trailing blanks: "name =" for an empty value, as Postfix writes. */
    while (VSTR_LEN(buf) && isspace((unsigned char)VSTR_STR(buf)[VSTR_LEN(buf) - 1]))
        vstr_truncate(buf, VSTR_LEN(buf) - 1);
    return vstr_export(buf);
}

/* pc_edit - rewrite main.cf; mode is 'e', 'X' or '#'. */
static void pc_edit(int mode, char **args, int count)
{
    const char *path = cfg_main_cf_path();
    char *tmp = mymalloc(strlen(path) + sizeof(".tmp"));
    char *done = mymalloc((size_t)count + 1);
    FILE *in;
    FILE *out;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int in_edit = 0; /* inside the logical line being replaced/removed */
    int i;
    struct stat st;

    memset(done, 0, (size_t)count + 1);
    strcpy(tmp, path);
    strcat(tmp, ".tmp");
    if ((in = fopen(path, "r")) == NULL && (errno != ENOENT || mode != 'e'))
        msg_fatal("open %s: %m", path);
    if ((out = fopen(tmp, "w")) == NULL)
        msg_fatal("open %s: %m", tmp);
    if (in && fstat(fileno(in), &st) == 0)
        (void)fchmod(fileno(out), st.st_mode & 07777);
    while (in && (n = getline(&line, &cap, in)) >= 0) {
        const char *p = line;
        char *name;
        int idx;

        while (*p && isspace((unsigned char)*p))
            p++;
        if (*p == 0 || *p == '#') {
            fputs(line, out); /* comments and blank lines stay */
            continue;
        }
        if (p != line) { /* continuation line */
            if (!in_edit)
                fputs(line, out);
            else if (mode == '#')
                fprintf(out, "#%s", line);
            continue;
        }
        in_edit = 0;
        if ((name = pc_line_name(line)) != NULL && (idx = pc_edit_find(args, count, name)) >= 0) {
            in_edit = 1;
            if (mode == 'e') {
                if (!done[idx]) {
                    char *text = pc_edit_text(args[idx]);

                    fprintf(out, "%s\n", text);
                    myfree(text);
                    done[idx] = 1;
                }
                /* A later duplicate of an edited name is dropped. */
            } else if (mode == '#') {
                fprintf(out, "#%s", line);
            }
        } else {
            fputs(line, out);
        }
        myfree(name);
    }
    if (in && ferror(in))
        msg_fatal("read %s: %m", path);
    if (mode == 'e') {
        for (i = 0; i < count; i++) {
            if (!done[i] && pc_edit_find(args, i, args[i]) < 0) {
                char *text = pc_edit_text(args[i]);

                fprintf(out, "%s\n", text);
                myfree(text);
            }
        }
    }
    free(line); /* from getline(3) */
    if (in)
        fclose(in);
    if (fflush(out) != 0 || fsync(fileno(out)) != 0 || fclose(out) != 0)
        msg_fatal("write %s: %m", tmp);
    if (rename(tmp, path) < 0)
        msg_fatal("rename %s to %s: %m", tmp, path);
    myfree(tmp);
    myfree(done);
}

/*
 * master.cf output (-M).
 */

/* pc_add - append text and keep the column count. */
static void pc_add(VSTR *out, const char *text, size_t len, size_t *col)
{
    vstr_addmem(out, text, len);
    *col += len;
}

/* pc_has_space - whether text contains white space. */
static int pc_has_space(const char *text)
{
    for (; *text; text++)
        if (isspace((unsigned char)*text))
            return 1;
    return 0;
}

/* pc_print_master - one entry in Postfix's normalised layout. */
static void pc_print_master(const MASTER_ENT *ent)
{
    static const size_t goal[] = {0, 11, 17, 25, 33, 41, 49, 57};
    VSTR *out = vstr_alloc(256);
    size_t col = 0;
    int field;
    int i;
    int ov = 0;
    const char *text;

    for (field = 0; field < 8; field++) {
        text = field < 7 ? ent->raw[field] : ent->command;
        if (col > 0) {
            do {
                pc_add(out, " ", 1, &col);
            } while (col < goal[field]);
        }
        pc_add(out, text, strlen(text), &col);
    }
    for (i = 0; i < ent->args->argc; i++) {
        text = ent->args->argv[i];
        if (strcmp(text, "-o") == 0 && i + 1 < ent->args->argc) {
            const char *nv =
                ov < ent->overrides->argc ? ent->overrides->argv[ov++] : ent->args->argv[i + 1];
            if (pc_flags & PC_FOLD)
                vstr_addstr(out, "\n    -o ");
            else
                vstr_addstr(out, " -o ");
            if (pc_has_space(nv)) {
                vstr_addch(out, '{');
                vstr_addstr(out, nv);
                vstr_addch(out, '}');
            } else {
                vstr_addstr(out, nv);
            }
            i++;
            continue;
        }
        vstr_addch(out, ' ');
        vstr_addstr(out, text);
    }
    printf("%s\n", VSTR_STR(out));
    vstr_free(out);
}

/* pc_master - -M: print all or the selected master.cf entries. */
static void pc_master(const char *dir, char **args, int count)
{
    char *path = mymalloc(strlen(dir) + sizeof("/master.cf"));
    MASTER_CF *cf;
    char *matched = mymalloc((size_t)count + 1);
    int i;
    int j;

    strcpy(path, dir);
    strcat(path, "/master.cf");
    cf = mastercf_load(path);
    memset(matched, 0, (size_t)count + 1);
    for (i = 0; i < cf->count; i++) {
        const MASTER_ENT *ent = cf->ents[i];
        int show = count == 0;

        for (j = 0; j < count; j++) {
            const char *slash = strchr(args[j], '/');
            size_t slen = slash ? (size_t)(slash - args[j]) : strlen(args[j]);

            if ((slen == 0 ||
                 (strlen(ent->service) == slen && strncmp(ent->service, args[j], slen) == 0)) &&
                (slash == NULL || slash[1] == 0 || strcmp(slash + 1, ent->type) == 0)) {
                show = 1;
                matched[j] = 1;
            }
        }
        if (show)
            pc_print_master(ent);
    }
    for (j = 0; j < count; j++)
        if (!matched[j])
            msg_warn("unmatched request: \"%s\"", args[j]);
    mastercf_free(cf);
    myfree(matched);
    myfree(path);
}

/* pc_types - -m: the lookup table types, one per line. */
static void pc_types(void)
{
    ARGV *types = argv_split(dict_type_names(), " ");
    int i;

    for (i = 0; i < types->argc; i++)
        printf("%s\n", types->argv[i]);
    argv_free(types);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    int mode = 0; /* 'e', 'X', '#', 'M', 'm' */
    int show_defaults = 0;
    int show_set = 0;
    ARGV *overrides = argv_alloc(4);
    struct stat st;
    int ch;
    int i;

    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "c:dehHmMnXx#fo:pv")) > 0) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            show_defaults = 1;
            break;
        case 'n':
            show_set = 1;
            break;
        case 'h':
            pc_flags |= PC_VALUE_ONLY;
            break;
        case 'H':
            pc_flags |= PC_NAME_ONLY;
            break;
        case 'x':
            pc_flags |= PC_EXPAND;
            break;
        case 'f':
            pc_flags |= PC_FOLD;
            break;
        case 'e':
        case 'X':
        case '#':
        case 'm':
        case 'M':
            if (mode && mode != ch)
                msg_fatal("specify one of -e, -X, -#, -m or -M");
            mode = ch;
            break;
        case 'o':
            argv_add(overrides, optarg, (char *)0);
            break;
        case 'p':
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            pc_usage();
        }
    }
    if (show_defaults && show_set)
        msg_fatal("specify one of -d and -n");
    if (config_dir == NULL || *config_dir == 0)
        config_dir = getenv("MAIL_CONFIG");
    if (config_dir == NULL || *config_dir == 0)
        config_dir = DEF_CONFIG_DIR;

    cfg_init(config_dir);
    cfg_warn_unused(); /* postconf only: Postfix daemons do not warn */
    for (i = 0; i < overrides->argc; i++) {
        char *nv = mystrdup(overrides->argv[i]);
        char *eq = strchr(nv, '=');

        if (eq == NULL)
            msg_fatal("-o requires name=value input");
        *eq = 0;
        cfg_override(nv, eq + 1);
        myfree(nv);
    }
    argv_free(overrides);

    /* Like Postfix, insist on main.cf unless only defaults are wanted. */
    if (!show_defaults && mode != 'e' && mode != 'm' && mode != 'M' &&
        stat(cfg_main_cf_path(), &st) < 0)
        msg_fatal("open %s: %m", cfg_main_cf_path());

    switch (mode) {
    case 'e':
    case 'X':
    case '#':
        if (optind >= argc)
            msg_fatal("-%c requires parameter arguments", mode);
        pc_edit(mode, argv + optind, argc - optind);
        return 0;
    case 'M':
        pc_master(config_dir, argv + optind, argc - optind);
        return 0;
    case 'm':
        pc_types();
        return 0;
    default:
        break;
    }

    if (optind >= argc) {
        if (show_defaults)
            cfg_foreach_known(pc_show_default, NULL);
        else if (show_set)
            cfg_foreach_set(pc_show_set, NULL);
        else
            cfg_foreach_known(pc_show_current, NULL);
        return 0;
    }
    for (i = optind; i < argc; i++) {
        const char *name = argv[i];

        if (show_defaults) {
            if (cfg_is_known(name))
                pc_print(name, cfg_default(name));
            else
                msg_warn("%s: unknown parameter", name);
        } else if (cfg_is_known(name) || (cfg_is_set(name) && cfg_is_used(name))) {
            if (!show_set || cfg_is_set(name))
                pc_print(name, cfg_raw(name));
        } else {
            msg_warn("%s: unknown parameter", name);
        }
    }
    return 0;
}
