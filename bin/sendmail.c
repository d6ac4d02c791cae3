/*
 * NAME
 *      sendmail - Postfix-compatible sendmail(1) command
 *
 * SYNOPSIS
 *      sendmail [options] [recipient ...]
 *      mailq (= sendmail -bp)
 *      newaliases (= sendmail -bi)
 *
 * DESCRIPTION
 *      Reads a message from standard input and hands it to postdrop(1)
 *      ("$command_directory/postdrop -r", config directory in MAIL_CONFIG)
 *      as queue-file records (reference sections 2.1, 3.3 and 11):
 *
 *          [F fullname] S sender A rewrite_context=local [A encoding=...]
 *          R recipient... M  N/L content...  X  [R header recipient...] E
 *
 *      postdrop adds the T record. Content lines become N records without
 *      their newline; a line longer than line_length_limit (2048) is split
 *      into L records, the last piece being an N record. A CR before LF is
 *      removed (sendmail_fix_line_endings=always). A leading "From " or
 *      ">From " line is dropped. Without -i/-oi a line with a single "."
 *      ends the input. With -t the recipients in To:, Cc: and Bcc: (or in
 *      Resent-To:, Resent-Cc:, Resent-Bcc: when any Resent- header is
 *      present) are ADDED to the command-line recipients and written into
 *      the extracted segment, as Postfix's sendmail does. Addresses are
 *      parsed with a small RFC 5322 parser (display names, <addr>, groups,
 *      comments, quoted strings) and stored in internal (unquoted) form.
 *
 *      Options: -t, -i, -oi, -f/-r sender ('' or '<>' = null sender; the
 *      default is the login name, left for cleanup to qualify), -F name
 *      (default: $NAME, else the GECOS name, as Postfix's fullname()),
 *      -C dir (config directory, or a main.cf path), -B 7BIT|8BITMIME,
 *      -bm (default), -bp (exec postqueue -p), -q (exec postqueue -f;
 *      -qRsite = postqueue -s site, -qIid = postqueue -i id), -bi/-I (run
 *      postalias on each alias_database, or on the -oA file), -bd/-bl
 *      (exec postfix start), -bs (not supported: exit 64), -v (verbose).
 *      Ignored: -G -h -L -m -n -U -o7 -o8 -om -Ac -Am -X -c -N -R -V -O -e -p
 *      -x and -4/-6.
 *
 * DIAGNOSTICS
 *      Problems go to stderr ("sendmail: fatal: ...") and the mail log.
 *      Exit status (sysexits): 0 once postdrop committed the file;
 *      EX_USAGE (64) for bad usage or no recipients ("No recipient
 *      addresses found in message header" with -t); EX_DATAERR (65) for an
 *      input read error; EX_SOFTWARE (70) for a protocol error; EX_TEMPFAIL
 *      (75) when postdrop or a queue write fails; EX_UNAVAILABLE (69) when a
 *      helper program cannot be run. postdrop's own sysexits status is
 *      passed through.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

#define SM_FLAG_AEOF (1 << 0)  /* a "." line ends input */
#define SM_FLAG_XRCPT (1 << 1) /* -t: extract recipients from headers */

static const char *config_dir; /* -C */

/* usage - complain and exit EX_USAGE */
__attribute__((noreturn)) static void usage(const char *why)
{
    msg_fatal_status(EX_USAGE, "%s", why);
}

/* command_path - "$command_directory/name" (mymalloc'ed) */
static char *command_path(const char *name)
{
    VSTR *v = vstr_alloc(64);

    vstr_sprintf(v, "%s/%s", cfg_str("command_directory"), name);
    return vstr_export(v);
}

/* set_config_env - pass the configuration directory to children */
static void set_config_env(void)
{
    const char *dir = cfg_str("config_directory");

    if (dir && *dir && setenv("MAIL_CONFIG", dir, 1) < 0)
        msg_fatal_status(EX_OSERR, "setenv: %m");
}

/* exec_command - replace this process with $command_directory/argv[0] */
__attribute__((noreturn)) static void exec_command(ARGV *args)
{
    char *path = command_path(args->argv[0]);

    set_config_env();
    execv(path, args->argv);
    msg_fatal_status(EX_UNAVAILABLE, "execv %s: %m", path);
}

/*
 * run_newaliases - run postalias on each alias database (-bi, newaliases).
 * Returns the exit status.
 */
static int run_newaliases(const char *alias_file)
{
    char *path = command_path("postalias");
    ARGV *dbs;
    int status = 0;
    int i;
    int wstat;
    pid_t pid;

    if (access(path, X_OK) < 0) {
        msg_warn("cannot run %s: %m; alias databases not rebuilt", path);
        myfree(path);
        return EX_TEMPFAIL;
    }
    if (alias_file)
        dbs = argv_split(alias_file, CFG_LIST_DELIMS);
    else
        dbs = cfg_list("alias_database");
    set_config_env();
    for (i = 0; i < dbs->argc; i++) {
        switch (pid = fork()) {
        case -1:
            msg_fatal_status(EX_OSERR, "fork: %m");
        case 0:
            execl(path, "postalias", dbs->argv[i], (char *)0);
            msg_warn("execl %s: %m", path);
            _exit(EX_UNAVAILABLE);
        default:
            while (waitpid(pid, &wstat, 0) < 0)
                if (errno != EINTR)
                    msg_fatal_status(EX_OSERR, "waitpid: %m");
            if (!WIFEXITED(wstat) || WEXITSTATUS(wstat) != 0) {
                msg_warn("%s %s failed", path, dbs->argv[i]);
                status = WIFEXITED(wstat) ? WEXITSTATUS(wstat) : EX_SOFTWARE;
            }
        }
    }
    argv_free(dbs);
    myfree(path);
    return status;
}

/* Address parsing for -t (RFC 5322 address lists, simplified). */

/* addr_trim_store - store one address (internal form) if not empty */
static void addr_store(ARGV *out, VSTR *addr)
{
    size_t start = 0;
    size_t end = VSTR_LEN(addr);
    const char *s = VSTR_STR(addr);

    while (start < end && (s[start] == ' ' || s[start] == '\t'))
        start++;
    while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    if (end > start)
        argv_addn(out, s + start, end - start);
    vstr_reset(addr);
}

/* skip_comment - cp points at '('; returns the position after ')' */
static const char *skip_comment(const char *cp)
{
    int depth = 0;

    for (; *cp; cp++) {
        if (*cp == '\\' && cp[1]) {
            cp++;
        } else if (*cp == '(') {
            depth++;
        } else if (*cp == ')') {
            if (--depth == 0)
                return cp + 1;
        }
    }
    return cp;
}

/*
 * parse_addr_list - append the addresses in an RFC 5322 address-list
 * header value to out. A mailbox "Name <addr>" gives addr (a source route
 * "@a,@b:" is dropped); a bare addr-spec gives itself with white space and
 * comments removed; "group: a, b;" gives a and b; quoted strings lose
 * their quotes (internal form). Empty addresses ("<>") are skipped.
 */
static void parse_addr_list(const char *value, ARGV *out)
{
    VSTR *bare = vstr_alloc(64);  /* text outside <> */
    VSTR *angle = vstr_alloc(64); /* text inside <> */
    int have_angle = 0;
    int in_angle = 0;
    const char *cp = value;
    char *colon;

    while (*cp) {
        if (*cp == '(') {
            cp = skip_comment(cp);
            if (!in_angle)
                vstr_addch(bare, ' '); /* a comment separates words */
            continue;
        }
        if (*cp == '"') {
            VSTR *dst = in_angle ? angle : bare;
            for (cp++; *cp && *cp != '"'; cp++) {
                if (*cp == '\\' && cp[1])
                    cp++;
                vstr_addch(dst, *cp);
            }
            if (*cp == '"')
                cp++;
            continue;
        }
        if (*cp == '\\' && cp[1]) {
            vstr_addch(in_angle ? angle : bare, cp[1]);
            cp += 2;
            continue;
        }
        if (in_angle) {
            if (*cp == '>') {
                in_angle = 0;
            } else if (*cp != ' ' && *cp != '\t' && *cp != '\r' && *cp != '\n') {
                vstr_addch(angle, *cp);
            }
            cp++;
            continue;
        }
        switch (*cp) {
        case '<':
            in_angle = 1;
            have_angle = 1;
            vstr_reset(angle);
            break;
        case ':':
            /* Group display name: forget it. */
            vstr_reset(bare);
            break;
        case ',':
        case ';':
            if (have_angle) {
                /* Drop a source route "@a,@b:user@domain". */
                if (VSTR_STR(angle)[0] == '@' && (colon = strchr(VSTR_STR(angle), ':')) != NULL)
                    vstr_strcpy(angle, colon + 1);
                addr_store(out, angle);
            } else {
                addr_store(out, bare);
            }
            vstr_reset(bare);
            have_angle = 0;
            break;
        case ' ':
        case '\t':
        case '\r':
        case '\n':
            /* Keep one blank between words; "a @ b" is rare, drop blanks
             * next to '@' and '.' below. */
            if (VSTR_LEN(bare) && VSTR_STR(bare)[VSTR_LEN(bare) - 1] != ' ')
                vstr_addch(bare, ' ');
            break;
        case '@':
        case '.':
            if (VSTR_LEN(bare) && VSTR_STR(bare)[VSTR_LEN(bare) - 1] == ' ')
                vstr_truncate(bare, VSTR_LEN(bare) - 1);
            vstr_addch(bare, *cp);
            while (cp[1] == ' ' || cp[1] == '\t')
                cp++;
            break;
        default:
            vstr_addch(bare, *cp);
            break;
        }
        cp++;
    }
    if (have_angle) {
        if (VSTR_STR(angle)[0] == '@' && (colon = strchr(VSTR_STR(angle), ':')) != NULL)
            vstr_strcpy(angle, colon + 1);
        addr_store(out, angle);
    } else {
        addr_store(out, bare);
    }
    vstr_free(bare);
    vstr_free(angle);
}

/* Header collection for -t. */
typedef struct HDR_STATE {
    int in_header; /* still in the primary header block */
    VSTR *cur;     /* current logical header */
    int resent;    /* a Resent- header was seen */
    ARGV *rcpt;    /* To/Cc/Bcc */
    ARGV *rr_rcpt; /* Resent-To/Cc/Bcc */
} HDR_STATE;

/* hdr_flush - process the collected logical header */
static void hdr_flush(HDR_STATE *hs)
{
    static const char *const plain[] = {"to", "cc", "bcc", NULL};
    const char *h = VSTR_STR(hs->cur);
    const char *colon;
    size_t nlen;
    int i;

    if (VSTR_LEN(hs->cur) == 0)
        return;
    if ((colon = strchr(h, ':')) != NULL) {
        nlen = (size_t)(colon - h);
        while (nlen > 0 && (h[nlen - 1] == ' ' || h[nlen - 1] == '\t'))
            nlen--;
        if (nlen > 7 && strncasecmp(h, "resent-", 7) == 0) {
            hs->resent = 1;
            for (i = 0; plain[i]; i++)
                if (nlen - 7 == strlen(plain[i]) && strncasecmp(h + 7, plain[i], nlen - 7) == 0)
                    parse_addr_list(colon + 1, hs->rr_rcpt);
        } else {
            for (i = 0; plain[i]; i++)
                if (nlen == strlen(plain[i]) && strncasecmp(h, plain[i], nlen) == 0)
                    parse_addr_list(colon + 1, hs->rcpt);
        }
    }
    vstr_reset(hs->cur);
}

/* is_header_start - does line start a "name:" header? */
static int is_header_start(const char *line, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == ':')
            return i > 0;
        if (c <= ' ' || c >= 127)
            break;
    }
    /* Allow blanks between the name and the colon ("Subject :"). */
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    return i > 0 && i < len && line[i] == ':';
}

/*
 * hdr_line - feed one content piece to the header parser. continued says
 * this piece continues the previous (over-long) line.
 */
static void hdr_line(HDR_STATE *hs, const char *line, size_t len, int continued)
{
    if (!hs->in_header)
        return;
    if (continued) {
        vstr_addmem(hs->cur, line, len);
        return;
    }
    if (len > 0 && (line[0] == ' ' || line[0] == '\t') && VSTR_LEN(hs->cur) > 0) {
        vstr_addmem(hs->cur, line, len);
        return;
    }
    hdr_flush(hs);
    if (len == 0 || !is_header_start(line, len)) {
        hs->in_header = 0;
        return;
    }
    vstr_addmem(hs->cur, line, len);
}

/* login_name - the invoking user's login name */
static char *login_name(void)
{
    struct passwd *pw = getpwuid(getuid());

    if (pw == NULL)
        msg_fatal_status(EX_USAGE, "no login name found for user ID %lu", (unsigned long)getuid());
    return mystrdup(pw->pw_name);
}

/*
 * default_full_name - $NAME, else the GECOS field up to the first comma
 * with '&' replaced by the capitalized login name (Postfix fullname()).
 * Returns a mymalloc'ed string or NULL.
 */
static char *default_full_name(void)
{
    const char *env = getenv("NAME");
    struct passwd *pw;
    const char *cp;
    VSTR *v;

    if (env && *env)
        return mystrdup(env);
    if ((pw = getpwuid(getuid())) == NULL || pw->pw_gecos == NULL || *pw->pw_gecos == 0)
        return NULL;
    v = vstr_alloc(64);
    for (cp = pw->pw_gecos; *cp && *cp != ','; cp++) {
        if (*cp == '&') {
            vstr_addch(v, toupper((unsigned char)pw->pw_name[0]));
            if (pw->pw_name[0])
                vstr_addstr(v, pw->pw_name + 1);
        } else {
            vstr_addch(v, *cp);
        }
    }
    if (VSTR_LEN(v) == 0) {
        vstr_free(v);
        return NULL;
    }
    return vstr_export(v);
}

/* clean_sender - '' and '<>' mean null; "<a@b>" becomes "a@b" */
static char *clean_sender(const char *s)
{
    size_t len = strlen(s);

    if (len >= 2 && s[0] == '<' && s[len - 1] == '>')
        return mystrndup(s + 1, len - 2);
    return mystrdup(s);
}

/*
 * enqueue - copy stdin into postdrop as records. Returns the exit status.
 */
static int enqueue(int flags, const char *sender, const char *full_name, const char *encoding,
                   char **rcpt, int nrcpt)
{
    char *postdrop = command_path("postdrop");
    long limit = cfg_long("line_length_limit");
    int pfd[2];
    pid_t pid;
    STREAM *in;
    STREAM *dst;
    VSTR *buf = vstr_alloc(256);
    HDR_STATE hs;
    ARGV *xrcpt;
    int continued = 0;
    int skip_from = 1;
    int n;
    int i;
    int ch;
    int wstat;
    int status = 0;
    int aborted = 0;
    const char *why = NULL;

    if (limit < 80)
        limit = 80;
    if (pipe(pfd) < 0)
        msg_fatal_status(EX_OSERR, "pipe: %m");
    set_config_env();
    switch (pid = fork()) {
    case -1:
        msg_fatal_status(EX_OSERR, "fork: %m");
    case 0:
        close(pfd[1]);
        if (pfd[0] != 0) {
            if (dup2(pfd[0], 0) < 0)
                _exit(EX_OSERR);
            close(pfd[0]);
        }
        execl(postdrop, "postdrop", "-r", (char *)0);
        msg_warn("execl %s: %m", postdrop);
        _exit(EX_UNAVAILABLE);
    }
    close(pfd[0]);
    dst = stream_fdopen(pfd[1], "postdrop");

    /* Envelope. postdrop adds the T record. */
    if (full_name && *full_name)
        rec_put(dst, REC_TYPE_FULL, full_name, strlen(full_name));
    rec_put(dst, REC_TYPE_FROM, sender, strlen(sender));
    if (encoding)
        rec_fprintf(dst, REC_TYPE_ATTR, "encoding=%s", encoding);
    rec_fprintf(dst, REC_TYPE_ATTR, "rewrite_context=%s", "local");
    for (i = 0; i < nrcpt; i++)
        rec_put(dst, REC_TYPE_RCPT, rcpt[i], strlen(rcpt[i]));
    rec_put(dst, REC_TYPE_MESG, "", 0);

    /* Content. */
    memset(&hs, 0, sizeof(hs));
    hs.in_header = (flags & SM_FLAG_XRCPT) != 0;
    hs.cur = vstr_alloc(256);
    hs.rcpt = argv_alloc(4);
    hs.rr_rcpt = argv_alloc(4);
    in = stream_fdopen(0, "stdin");
    while ((ch = stream_get_line(in, buf, (size_t)limit)) != STREAM_EOF) {
        int complete = (ch == '\n');

        if (complete) {
            vstr_truncate(buf, VSTR_LEN(buf) - 1);
            if (VSTR_LEN(buf) > 0 && VSTR_STR(buf)[VSTR_LEN(buf) - 1] == '\r')
                vstr_truncate(buf, VSTR_LEN(buf) - 1);
        }
        if (skip_from && !continued) {
            if (strncmp(VSTR_STR(buf), "From ", 5) == 0 ||
                strncmp(VSTR_STR(buf), ">From ", 6) == 0) {
                /* Drop the whole line, including over-long continuations. */
                while (!complete && (ch = stream_get_line(in, buf, (size_t)limit)) != STREAM_EOF)
                    complete = (ch == '\n');
                continue;
            }
            skip_from = 0;
        }
        if (complete && !continued && (flags & SM_FLAG_AEOF) && strcmp(VSTR_STR(buf), ".") == 0)
            break;
        hdr_line(&hs, VSTR_STR(buf), VSTR_LEN(buf), continued);
        if (rec_put(dst, complete ? REC_TYPE_NORM : REC_TYPE_CONT, VSTR_STR(buf), VSTR_LEN(buf)) ==
            REC_TYPE_ERROR)
            break;
        continued = !complete;
    }
    if (stream_error(in)) {
        why = "error reading input";
        status = EX_DATAERR;
        aborted = 1;
    }
    if (continued && !aborted)
        rec_put(dst, REC_TYPE_NORM, "", 0); /* terminate a partial last line */
    hdr_flush(&hs);

    if (!aborted) {
        rec_put(dst, REC_TYPE_XTRA, "", 0);
        if (flags & SM_FLAG_XRCPT) {
            xrcpt = hs.resent ? hs.rr_rcpt : hs.rcpt;
            for (n = 0; n < xrcpt->argc; n++)
                rec_put(dst, REC_TYPE_RCPT, xrcpt->argv[n], strlen(xrcpt->argv[n]));
            if (xrcpt->argc == 0 && nrcpt == 0) {
                why = "No recipient addresses found in message header";
                status = EX_USAGE;
                aborted = 1;
            }
        }
    }
    /* Without E, postdrop discards the file; SIGTERM makes it quiet. */
    if (!aborted)
        rec_put(dst, REC_TYPE_END, "", 0);
    else
        (void)kill(pid, SIGTERM);
    if (stream_close(dst) < 0 && !aborted) {
        msg_warn("error writing queue file: %m");
        status = EX_TEMPFAIL;
    }
    while (waitpid(pid, &wstat, 0) < 0)
        if (errno != EINTR)
            msg_fatal_status(EX_OSERR, "waitpid: %m");
    if (status == 0) {
        if (!WIFEXITED(wstat)) {
            msg_warn("%s terminated by signal %d", postdrop, WTERMSIG(wstat));
            status = EX_TEMPFAIL;
        } else if (WEXITSTATUS(wstat) != 0) {
            status = WEXITSTATUS(wstat) >= EX__BASE && WEXITSTATUS(wstat) <= EX__MAX
                         ? WEXITSTATUS(wstat)
                         : EX_TEMPFAIL;
            msg_warn("%s exited with status %d: message not queued", postdrop, WEXITSTATUS(wstat));
        }
    }
    stream_free(in);
    vstr_free(buf);
    vstr_free(hs.cur);
    argv_free(hs.rcpt);
    argv_free(hs.rr_rcpt);
    myfree(postdrop);
    if (why)
        msg_fatal_status(status, "%s", why);
    return status;
}

/* main - parse options, dispatch the mode */
int main(int argc, char **argv)
{
    const char *prog;
    const char *full_name = NULL;
    const char *encoding = NULL;
    const char *alias_file = NULL;
    char *sender = NULL;
    char *saved_name = NULL;
    char *qarg = NULL;
    char mode = 'm';
    int flags = SM_FLAG_AEOF;
    int qflag = 0;
    int c;
    ARGV *args;
    struct stat sb;
    char *slash;
    int i;

    /* Never run with fds 0-2 closed: a file would land there. */
    for (i = 0; i < 3; i++)
        if (fcntl(i, F_GETFD) < 0 && open("/dev/null", i == 0 ? O_RDONLY : O_WRONLY) < 0)
            _exit(EX_OSERR);
    signal(SIGPIPE, SIG_IGN);

    prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    msg_init("sendmail", MSG_STDERR);
    if (strcmp(prog, "mailq") == 0) {
        msg_init("mailq", MSG_STDERR);
        mode = 'p';
    } else if (strcmp(prog, "newaliases") == 0) {
        msg_init("newaliases", MSG_STDERR);
        mode = 'i';
    }

    opterr = 0;
    while ((c = getopt(argc, argv, "+46B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q::tvx")) != -1) {
        switch (c) {
        case 'B':
            if (strcasecmp(optarg, "8BITMIME") == 0)
                encoding = "8bit";
            else if (strcasecmp(optarg, "7BIT") == 0)
                encoding = "7bit";
            else
                usage("-B option needs 8BITMIME or 7BIT");
            break;
        case 'C':
            /* A main.cf path or its directory. */
            if (stat(optarg, &sb) == 0 && !S_ISDIR(sb.st_mode)) {
                char *dir = mystrdup(optarg);
                if ((slash = strrchr(dir, '/')) != NULL)
                    *slash = 0;
                else
                    strcpy(dir, ".");
                config_dir = dir;
            } else {
                config_dir = optarg;
            }
            break;
        case 'F':
            full_name = optarg;
            break;
        case 'I':
            mode = 'i';
            break;
        case 'b':
            if (optarg[0] == 0 || optarg[1] != 0 || strchr("mpisdlv", optarg[0]) == NULL)
                msg_fatal_status(EX_USAGE, "unsupported: -b%s", optarg);
            mode = optarg[0];
            break;
        case 'f':
        case 'r':
            myfree(sender);
            sender = clean_sender(optarg);
            break;
        case 'i':
            flags &= ~SM_FLAG_AEOF;
            break;
        case 'o':
            if (strcmp(optarg, "i") == 0)
                flags &= ~SM_FLAG_AEOF;
            else if (optarg[0] == 'A')
                alias_file = optarg[1] ? optarg + 1 : NULL;
            /* -o7 -o8 -om and others: ignored */
            break;
        case 'q':
            qflag = 1;
            qarg = optarg;
            break;
        case 't':
            flags |= SM_FLAG_XRCPT;
            break;
        case 'v':
            msg_verbose++;
            break;
        case '?':
            if (optopt == 'o' || optopt == 'C' || optopt == 'f' || optopt == 'r' || optopt == 'F' ||
                optopt == 'b')
                msg_fatal_status(EX_USAGE, "option -%c requires an argument", optopt);
            msg_fatal_status(EX_USAGE, "usage: %s [options] [recipient ...]", prog);
        default:
            /* 4 6 G L N O R U V X c e h m n p x: ignored */
            break;
        }
    }

    cfg_init(config_dir);
    msg_logging_configure();

    if (qflag) {
        args = argv_alloc(4);
        if (qarg && qarg[0] == 'R')
            argv_add(args, "postqueue", "-s", qarg + 1, (char *)0);
        else if (qarg && qarg[0] == 'I')
            argv_add(args, "postqueue", "-i", qarg + 1, (char *)0);
        else
            argv_add(args, "postqueue", "-f", (char *)0);
        exec_command(args);
    }
    switch (mode) {
    case 'p':
        args = argv_alloc(4);
        argv_add(args, "postqueue", "-p", (char *)0);
        exec_command(args);
    case 'i':
        return run_newaliases(alias_file);
    case 's':
        msg_fatal_status(EX_USAGE, "stand-alone SMTP mode is not supported");
    case 'v':
        msg_fatal_status(EX_USAGE, "address verification mode (-bv) is not supported");
    case 'd':
    case 'l':
        args = argv_alloc(4);
        argv_add(args, "postfix", "start", (char *)0);
        exec_command(args);
    default:
        break;
    }

    if (optind >= argc && !(flags & SM_FLAG_XRCPT))
        msg_fatal_status(EX_USAGE, "Recipient addresses must be specified on the command line "
                                   "or via the -t option");
    if (sender == NULL)
        sender = login_name();
    if (full_name == NULL)
        full_name = saved_name = default_full_name();
    i = enqueue(flags, sender, full_name, encoding, argv + optind, argc - optind);
    myfree(sender);
    myfree(saved_name);
    return i;
}
