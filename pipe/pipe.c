/*
 * NAME
 *      pipe - Postern delivery to an external command
 *
 * SYNOPSIS
 *      master.cf: NAME unix - n n - - pipe
 *                   flags=DRhu user=vmail:vmail argv=/path/cmd ${recipient}
 *
 * DESCRIPTION
 *      Postfix pipe(8) (reference 8.4, trap 30). The attributes after the
 *      command in master.cf are:
 *        user=name[:group]  required; root and mail_owner are refused.
 *        flags=...          B (append a blank line), D (Delivered-To:),
 *                           F (a "From sender date" line), O
 *                           (X-Original-To:), R (Return-Path:), X (final
 *                           delivery), h (lower-case the domain part and
 *                           nexthop), q (quote local parts, RFC 5322), u
 *                           (lower-case the local part), . (dot-stuff), >
 *                           (quote "From " lines).
 *        eol=STRING         line end (default \n; C escapes \n \r \t \\).
 *        null_sender=ADDR   what ${sender} is for <> (MAILER-DAEMON).
 *        directory=PATH     working directory of the command (default /).
 *        argv=CMD ARGS...   must come last: the command and its words.
 *      Macros in the argv words: ${name}, $(name), $name, and $$ for "$":
 *      sender nexthop size queue_id client_address client_hostname
 *      client_port client_protocol client_helo sasl_method sasl_username
 *      sasl_sender, and the per-recipient macros recipient
 *      original_recipient user extension mailbox domain. A word holding a
 *      per-recipient macro is repeated once per recipient. The words are
 *      given to execve(2): never to a shell, so envelope data is always one
 *      harmless argv element.
 *
 *      The command runs as user= with the message on standard input:
 *      the prepended lines the flags ask for, then the queued content.
 *      Its exit status and output decide the outcome of every recipient
 *      of the request: 0 sent ("delivered via SERVICE service"); output
 *      starting with a DSN status (e.g. "4.2.2 Mailbox full") wins over the
 *      exit status; otherwise sysexits: 75 EX_TEMPFAIL and 71 EX_OSERR defer
 *      4.3.0, 67 5.1.1, 68 5.1.2, 64/69/70 5.3.0, 65 5.6.0, 77 5.7.0, 78
 *      5.3.5; any other code bounces 5.3.0 "Command died with status N:
 *      \"cmd\""; death by a signal defers 4.3.0. Exceeding
 *      TRANSPORT_time_limit (default $command_time_limit, 1000s) kills the
 *      command and bounces with 5.3.0 "Command time limit exceeded".
 *      TRANSPORT_destination_recipient_limit is applied by qmgr; D and O
 *      need it to be 1 (a warning is logged otherwise).
 *
 * DIAGNOSTICS
 *      "QID: to=<rcpt>, relay=SERVICE, delay=.., delays=.., dsn=2.0.0,
 *      status=sent (delivered via SERVICE service)"; problems in master.cf
 *      attributes are fatal (as Postfix).
 *
 * SEE ALSO
 *      Postfix pipe(8), sysexits.h, reference 8.4.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "argv.h"
#include "config.h"
#include "deliver.h"
#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#define OUTPUT_LIMIT 2048 /* bytes of command output kept for the log */

/* flags= */
#define PIPE_B (1 << 0)
#define PIPE_D (1 << 1)
#define PIPE_F (1 << 2)
#define PIPE_O (1 << 3)
#define PIPE_R (1 << 4)
#define PIPE_X (1 << 5)
#define PIPE_h (1 << 6)
#define PIPE_q (1 << 7)
#define PIPE_u (1 << 8)
#define PIPE_DOT (1 << 9)
#define PIPE_GT (1 << 10)

typedef struct PIPE_ATTR {
    int flags;
    uid_t uid;
    gid_t gid;
    char *user;
    char *eol;
    char *null_sender;
    char *directory;
    char **argv; /* command words, not owned */
    int argc;
} PIPE_ATTR;

static PIPE_ATTR attr;

/* The recipients of the request that the current command run serves. */
static int rcpt_lo, rcpt_hi;

/* pipe_unescape - C escapes in eol= */
static char *pipe_unescape(const char *s)
{
    VSTR *v = vstr_alloc(8);

    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            vstr_addch(v, *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s == 't' ? '\t' : *s);
        } else {
            vstr_addch(v, *s);
        }
    }
    return vstr_export(v);
}

/* pipe_parse_attr - parse the master.cf attributes; fatal on errors */
static void pipe_parse_attr(char **argv)
{
    int i;

    attr.eol = mystrdup("\n");
    attr.null_sender = mystrdup("MAILER-DAEMON");
    attr.directory = mystrdup("/");
    for (i = 0; argv[i]; i++) {
        const char *a = argv[i];
        if (strncmp(a, "flags=", 6) == 0) {
            const char *cp;
            for (cp = a + 6; *cp; cp++) {
                switch (*cp) {
                case 'B':
                    attr.flags |= PIPE_B;
                    break;
                case 'D':
                    attr.flags |= PIPE_D;
                    break;
                case 'F':
                    attr.flags |= PIPE_F;
                    break;
                case 'O':
                    attr.flags |= PIPE_O;
                    break;
                case 'R':
                    attr.flags |= PIPE_R;
                    break;
                case 'X':
                    attr.flags |= PIPE_X;
                    break;
                case 'h':
                    attr.flags |= PIPE_h;
                    break;
                case 'q':
                    attr.flags |= PIPE_q;
                    break;
                case 'u':
                    attr.flags |= PIPE_u;
                    break;
                case '.':
                    attr.flags |= PIPE_DOT;
                    break;
                case '>':
                    attr.flags |= PIPE_GT;
                    break;
                default:
                    msg_fatal("unknown flag: %c (ignored)", *cp);
                }
            }
        } else if (strncmp(a, "user=", 5) == 0) {
            char *u = mystrdup(a + 5);
            char *g = strchr(u, ':');
            struct passwd *pw;
            if (g)
                *g++ = 0;
            if ((pw = getpwnam(u)) == NULL)
                msg_fatal("%s: unknown username: %s", a, u);
            attr.uid = pw->pw_uid;
            attr.gid = pw->pw_gid;
            if (g && *g) {
                struct group *gr = getgrnam(g);
                if (gr == NULL)
                    msg_fatal("%s: unknown group: %s", a, g);
                attr.gid = gr->gr_gid;
            }
            if (attr.uid == 0)
                msg_fatal("user= command-line attribute specifies root privileges");
            if (strcmp(u, cfg_str("mail_owner")) == 0)
                msg_fatal("user= command-line attribute specifies mail system owner %s", u);
            if (attr.gid == 0)
                msg_fatal("user= command-line attribute specifies privileged group id 0");
            attr.user = u;
        } else if (strncmp(a, "eol=", 4) == 0) {
            myfree(attr.eol);
            attr.eol = pipe_unescape(a + 4);
        } else if (strncmp(a, "null_sender=", 12) == 0) {
            myfree(attr.null_sender);
            attr.null_sender = mystrdup(a + 12);
        } else if (strncmp(a, "directory=", 10) == 0) {
            myfree(attr.directory);
            attr.directory = mystrdup(a + 10);
        } else if (strncmp(a, "size=", 5) == 0 || strncmp(a, "chroot=", 7) == 0) {
            /* accepted, not enforced */
        } else if (strncmp(a, "argv=", 5) == 0) {
            argv[i] = argv[i] + 5; /* the command itself */
            attr.argv = argv + i;
            while (argv[i])
                i++;
            attr.argc = (int)(argv + i - attr.argv);
            break;
        } else {
            msg_fatal("unknown attribute name: %s", a);
        }
    }
    if (attr.user == NULL)
        msg_fatal("missing user= command-line attribute");
    if (attr.argv == NULL || attr.argc == 0 || *attr.argv[0] == 0)
        msg_fatal("missing argv= command-line attribute");
}

/* is_rcpt_macro - whether name is a per-recipient macro */
static int is_rcpt_macro(const char *name, size_t len)
{
    static const char *const names[] = {
        "recipient", "original_recipient", "user", "extension", "mailbox", "domain", 0};
    int i;

    for (i = 0; names[i]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
            return 1;
    return 0;
}

/* addr_fold - apply flags h, u and q to an address */
static void addr_fold(const char *addr, VSTR *out)
{
    const char *at = strrchr(addr, '@');
    size_t llen = at ? (size_t)(at - addr) : strlen(addr);
    VSTR *tmp = vstr_alloc(64);
    size_t i;

    for (i = 0; i < llen; i++)
        vstr_addch(tmp, (attr.flags & PIPE_u) ? tolower((unsigned char)addr[i]) : addr[i]);
    if (at)
        for (i = 0; at[i]; i++)
            vstr_addch(tmp, (attr.flags & PIPE_h) ? tolower((unsigned char)at[i]) : at[i]);
    if (attr.flags & PIPE_q)
        addr_quote_external(VSTR_STR(tmp), out);
    else
        vstr_strcpy(out, VSTR_STR(tmp));
    vstr_free(tmp);
}

/*
 * macro_value - the value of macro name for request req and recipient
 * index i (-1 when not per recipient) into out. Returns 0, or -1 for an
 * unknown name.
 */
static int macro_value(DELIVER_REQUEST *req, int i, const char *name, VSTR *out)
{
    const char *rcpt = i >= 0 ? req->rcpts[i].address : "";
    VSTR *local = vstr_alloc(64), *domain = vstr_alloc(64), *folded = vstr_alloc(64);
    VSTR *base = vstr_alloc(64), *ext = vstr_alloc(16);
    int ret = 0;

    vstr_reset(out);
    if (strcmp(name, "sender") == 0) {
        if (*req->sender == 0)
            vstr_strcpy(out, attr.null_sender);
        else
            addr_fold(req->sender, out);
    } else if (strcmp(name, "nexthop") == 0) {
        const char *cp;
        for (cp = req->nexthop; *cp; cp++)
            vstr_addch(out, (attr.flags & PIPE_h) ? tolower((unsigned char)*cp) : *cp);
    } else if (strcmp(name, "size") == 0) {
        vstr_sprintf(out, "%ld", req->data_size);
    } else if (strcmp(name, "queue_id") == 0) {
        vstr_strcpy(out, req->queue_id);
    } else if (strcmp(name, "client_address") == 0) {
        vstr_strcpy(out, req->client_addr ? req->client_addr : "");
    } else if (strcmp(name, "client_hostname") == 0) {
        vstr_strcpy(out, req->client_name ? req->client_name : "");
    } else if (strcmp(name, "client_port") == 0) {
        vstr_strcpy(out, req->client_port ? req->client_port : "");
    } else if (strcmp(name, "client_protocol") == 0) {
        vstr_strcpy(out, req->client_proto ? req->client_proto : "");
    } else if (strcmp(name, "client_helo") == 0) {
        vstr_strcpy(out, req->client_helo ? req->client_helo : "");
    } else if (strcmp(name, "sasl_method") == 0 || strcmp(name, "sasl_username") == 0 ||
               strcmp(name, "sasl_sender") == 0) {
        /* not carried in delivery requests: empty */
    } else if (strcmp(name, "recipient") == 0) {
        addr_fold(rcpt, out);
    } else if (strcmp(name, "original_recipient") == 0) {
        addr_fold(i >= 0 && *req->rcpts[i].orig_addr ? req->rcpts[i].orig_addr : rcpt, out);
    } else if (strcmp(name, "user") == 0 || strcmp(name, "extension") == 0 ||
               strcmp(name, "mailbox") == 0 || strcmp(name, "domain") == 0) {
        addr_fold(rcpt, folded);
        /* split the folded internal form (before q-quoting) */
        {
            int saved = attr.flags;
            attr.flags &= ~PIPE_q;
            addr_fold(rcpt, folded);
            attr.flags = saved;
        }
        addr_split(VSTR_STR(folded), local, domain);
        if (strcmp(name, "domain") == 0) {
            vstr_strcpy(out, VSTR_STR(domain));
        } else if (strcmp(name, "mailbox") == 0) {
            vstr_strcpy(out, VSTR_STR(local));
        } else {
            const char *delims = cfg_str("recipient_delimiter");
            if (*delims == 0 || !addr_strip_extension(VSTR_STR(local), delims, base, ext)) {
                vstr_strcpy(base, VSTR_STR(local));
                vstr_reset(ext);
            }
            /* ext holds the delimiter first: ${extension} is without it */
            vstr_strcpy(out, strcmp(name, "user") == 0 ? VSTR_STR(base)
                             : VSTR_LEN(ext) > 0       ? VSTR_STR(ext) + 1
                                                       : "");
        }
    } else {
        ret = -1;
    }
    vstr_free(local);
    vstr_free(domain);
    vstr_free(folded);
    vstr_free(base);
    vstr_free(ext);
    return ret;
}

/*
 * expand_word - expand the macros of one argv word for recipient i into
 * out. *per_rcpt is set when the word holds a per-recipient macro. Returns
 * 0, or -1 with the offending name in bad for an unknown macro or bad
 * syntax.
 */
static int expand_word(DELIVER_REQUEST *req, int i, const char *word, VSTR *out, int *per_rcpt,
                       VSTR *bad)
{
    const char *cp = word;
    VSTR *val = vstr_alloc(64);
    char *name;

    vstr_reset(out);
    *per_rcpt = 0;
    while (*cp) {
        const char *start, *end;
        if (*cp != '$') {
            vstr_addch(out, *cp++);
            continue;
        }
        cp++;
        if (*cp == '$') {
            vstr_addch(out, '$');
            cp++;
            continue;
        }
        if (*cp == '{' || *cp == '(') {
            int close = *cp == '{' ? '}' : ')';
            start = cp + 1;
            end = strchr(start, close);
            if (end == NULL) {
                vstr_strcpy(bad, word);
                vstr_free(val);
                return -1;
            }
            cp = end + 1;
        } else {
            start = cp;
            while (isalnum((unsigned char)*cp) || *cp == '_')
                cp++;
            end = cp;
        }
        name = mystrndup(start, (size_t)(end - start));
        if (is_rcpt_macro(name, strlen(name)))
            *per_rcpt = 1;
        if (macro_value(req, i, name, val) < 0) {
            vstr_strcpy(bad, name);
            myfree(name);
            vstr_free(val);
            return -1;
        }
        myfree(name);
        vstr_addmem(out, VSTR_STR(val), VSTR_LEN(val));
    }
    vstr_free(val);
    return 0;
}

/* build_argv - the command words for this request; NULL on macro errors */
static ARGV *build_argv(DELIVER_REQUEST *req, VSTR *bad)
{
    ARGV *av = argv_alloc(attr.argc + req->nrcpt);
    VSTR *w = vstr_alloc(64);
    int per, i, r;

    for (i = 0; i < attr.argc; i++) {
        if (expand_word(req, rcpt_hi > rcpt_lo ? rcpt_lo : -1, attr.argv[i], w, &per, bad) < 0)
            goto bad;
        if (!per) {
            argv_add(av, VSTR_STR(w), (char *)0);
            continue;
        }
        for (r = rcpt_lo; r < rcpt_hi; r++) {
            if (expand_word(req, r, attr.argv[i], w, &per, bad) < 0)
                goto bad;
            argv_add(av, VSTR_STR(w), (char *)0);
        }
    }
    vstr_free(w);
    return av;
bad:
    vstr_free(w);
    argv_free(av);
    return NULL;
}

/* put_line - one content line with the flags' quoting and eol */
static void put_line(VSTR *msg, const char *line, size_t len, int complete)
{
    if ((attr.flags & PIPE_DOT) && len > 0 && line[0] == '.')
        vstr_addch(msg, '.');
    if ((attr.flags & PIPE_GT) && len >= 5 && memcmp(line, "From ", 5) == 0)
        vstr_addch(msg, '>');
    vstr_addmem(msg, line, len);
    if (complete)
        vstr_addstr(msg, attr.eol);
}

/* build_message - the command's standard input; -1 on queue file error */
static int build_message(DELIVER_REQUEST *req, VSTR *msg)
{
    VSTR *buf = vstr_alloc(256), *a = vstr_alloc(64), *line = vstr_alloc(128);
    int type, bol = 1, ret = 0;

    if (attr.flags & PIPE_F) {
        time_t now = time(NULL);
        char tbuf[64];
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(tbuf, sizeof(tbuf), "%a %b %e %H:%M:%S %Y", &tm);
        if (*req->sender)
            addr_fold(req->sender, a);
        else
            vstr_strcpy(a, attr.null_sender);
        vstr_sprintf(line, "From %s  %s", VSTR_STR(a), tbuf);
        vstr_addmem(msg, VSTR_STR(line), VSTR_LEN(line)); /* never >-quoted */
        vstr_addstr(msg, attr.eol);
    }
    if (attr.flags & PIPE_R) {
        if (*req->sender)
            addr_fold(req->sender, a);
        else
            vstr_reset(a);
        vstr_sprintf(line, "Return-Path: <%s>", VSTR_STR(a));
        put_line(msg, VSTR_STR(line), VSTR_LEN(line), 1);
    }
    if ((attr.flags & PIPE_O) && rcpt_hi > rcpt_lo) {
        addr_fold(*req->rcpts[rcpt_lo].orig_addr ? req->rcpts[rcpt_lo].orig_addr
                                                 : req->rcpts[rcpt_lo].address,
                  a);
        vstr_sprintf(line, "X-Original-To: %s", VSTR_STR(a));
        put_line(msg, VSTR_STR(line), VSTR_LEN(line), 1);
    }
    if ((attr.flags & PIPE_D) && rcpt_hi > rcpt_lo) {
        addr_fold(req->rcpts[rcpt_lo].address, a);
        vstr_sprintf(line, "Delivered-To: %s", VSTR_STR(a));
        put_line(msg, VSTR_STR(line), VSTR_LEN(line), 1);
    }
    if (stream_seek(req->fp, req->data_offset, SEEK_SET) < 0) {
        ret = -1;
    } else {
        for (;;) {
            type = rec_get(req->fp, buf, 0);
            if (type == REC_TYPE_NORM || type == REC_TYPE_CONT) {
                if (bol)
                    put_line(msg, VSTR_STR(buf), VSTR_LEN(buf), type == REC_TYPE_NORM);
                else { /* continuation of a long line: no quoting */
                    vstr_addmem(msg, VSTR_STR(buf), VSTR_LEN(buf));
                    if (type == REC_TYPE_NORM)
                        vstr_addstr(msg, attr.eol);
                }
                bol = type == REC_TYPE_NORM;
                continue;
            }
            if (type != REC_TYPE_XTRA && type != REC_TYPE_END)
                ret = -1;
            break;
        }
        if (!bol)
            vstr_addstr(msg, attr.eol);
        if (attr.flags & PIPE_B)
            vstr_addstr(msg, attr.eol);
    }
    vstr_free(buf);
    vstr_free(a);
    vstr_free(line);
    return ret;
}

/*
 * run_command - fork+execve av as attr.uid/gid with input on stdin;
 * collects at most OUTPUT_LIMIT bytes of stdout+stderr into output.
 * Returns the wait status, or -1 if the time limit killed it (-2 if the
 * command could not be started).
 */
static int run_command(ARGV *av, const VSTR *input, VSTR *output, long time_limit)
{
    int in[2], out[2];
    pid_t pid;
    size_t off = 0;
    int status = 0;
    int in_open = 1, out_open = 1;
    time_t deadline = time(NULL) + time_limit;
    int timed_out = 0;

    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    if ((pid = fork()) < 0) {
        close(in[0]), close(in[1]), close(out[0]), close(out[1]);
        return -2;
    }
    if (pid == 0) {
        char *env[8];
        int n = 0;
        static char path[] = "PATH=/usr/bin:/bin";
        static char shell[] = "SHELL=/bin/sh";
        char *logname = mymalloc(strlen(attr.user) + 9);
        const char *cfgdir = getenv("MAIL_CONFIG");
        char *mc = NULL;

        sprintf(logname, "LOGNAME=%s", attr.user);
        env[n++] = path;
        env[n++] = shell;
        env[n++] = logname;
        if (cfgdir) {
            mc = mymalloc(strlen(cfgdir) + 13);
            sprintf(mc, "MAIL_CONFIG=%s", cfgdir);
            env[n++] = mc;
        }
        env[n] = NULL;
        signal(SIGPIPE, SIG_DFL);
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(out[1], 2) < 0)
            _exit(71);
        if (setgid(attr.gid) < 0 || setgroups(1, &attr.gid) < 0 || setuid(attr.uid) < 0 ||
            getuid() != attr.uid || geteuid() != attr.uid) {
            dprintf(1, "4.3.0 cannot set privileges: %m");
            _exit(75);
        }
        if (chdir(attr.directory) < 0) {
            dprintf(1, "4.3.0 chdir %s: %m", attr.directory);
            _exit(75);
        }
        execve(av->argv[0], av->argv, env);
        dprintf(1, "5.3.0 execvp %s: %m", av->argv[0]);
        _exit(78);
    }
    close(in[0]);
    close(out[1]);
    fcntl(in[1], F_SETFL, O_NONBLOCK);
    if (VSTR_LEN(input) == 0) {
        close(in[1]);
        in_open = 0;
    }
    while (out_open) {
        struct pollfd p[2];
        int np = 0, left;
        p[np].fd = out[0];
        p[np++].events = POLLIN;
        if (in_open) {
            p[np].fd = in[1];
            p[np++].events = POLLOUT;
        }
        left = (int)(deadline - time(NULL));
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        if (poll(p, (nfds_t)np, left > 1000 ? 1000000 : left * 1000) < 0) {
            if (errno == EINTR)
                continue;
            msg_fatal("poll: %m");
        }
        if (in_open && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in[1], VSTR_STR(input) + off, VSTR_LEN(input) - off);
            if (w > 0)
                off += (size_t)w;
            if ((w < 0 && errno != EAGAIN && errno != EINTR) || off >= VSTR_LEN(input)) {
                close(in[1]); /* EPIPE: the command does not want more */
                in_open = 0;
            }
        }
        if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
            char buf[4096];
            ssize_t r = read(out[0], buf, sizeof(buf));
            if (r > 0) {
                size_t room = OUTPUT_LIMIT > VSTR_LEN(output) ? OUTPUT_LIMIT - VSTR_LEN(output) : 0;
                vstr_addmem(output, buf, (size_t)r < room ? (size_t)r : room);
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                out_open = 0;
            }
        }
    }
    if (in_open)
        close(in[1]);
    close(out[0]);
    if (timed_out) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    /* Output closed: wait for the exit, still within the time limit. */
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            msg_fatal("waitpid: %m");
        if (time(NULL) >= deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(10000);
    }
    return status;
}

/* sysexit_map - dsn and text for a sysexits code; NULL if not one */
static const char *sysexit_map(int code, const char **text)
{
    switch (code) {
    case 64:
        *text = "command line usage error";
        return "5.3.0";
    case 65:
        *text = "data format error";
        return "5.6.0";
    case 66:
        *text = "cannot open input";
        return "5.3.0";
    case 67:
        *text = "user unknown";
        return "5.1.1";
    case 68:
        *text = "host name unknown";
        return "5.1.2";
    case 69:
        *text = "service unavailable";
        return "5.3.0";
    case 70:
        *text = "internal software error";
        return "5.3.0";
    case 71:
        *text = "system resource problem";
        return "4.3.0";
    case 72:
        *text = "critical OS file missing";
        return "5.3.0";
    case 73:
        *text = "can't create user output file";
        return "5.3.0";
    case 74:
        *text = "input/output error";
        return "5.3.0";
    case 75:
        *text = "temporary failure";
        return "4.3.0";
    case 76:
        *text = "remote error in protocol";
        return "5.5.0";
    case 77:
        *text = "permission denied";
        return "5.7.0";
    case 78:
        *text = "local configuration error";
        return "5.3.5";
    }
    return NULL;
}

/* dsn_prefix - length of a valid "d.d.d " status at the start of text */
static size_t dsn_prefix(const char *t)
{
    size_t n = 0;
    int parts = 0;

    if (t[0] != '2' && t[0] != '4' && t[0] != '5')
        return 0;
    for (;;) {
        size_t d = strspn(t + n, "0123456789");
        if (d == 0 || d > 3)
            return 0;
        n += d;
        if (++parts == 3)
            break;
        if (t[n] != '.')
            return 0;
        n++;
    }
    return (t[n] == ' ' || t[n] == 0 || t[n] == '\t') && t[1] == '.' ? n : 0;
}

/* outcome - record one result for every recipient */
static void outcome(DELIVER_REQUEST *req, const char *relay, const char *dsn, const char *text)
{
    int i;

    for (i = rcpt_lo; i < rcpt_hi; i++) {
        if (dsn[0] == '2')
            deliver_sent(req, i, relay, dsn, "%s", text);
        else if (dsn[0] == '4')
            deliver_defer(req, i, relay, dsn, "%s", text);
        else
            deliver_bounce(req, i, relay, dsn, "%s", text);
    }
}

/* pipe_time_limit - TRANSPORT_time_limit, else $command_time_limit, seconds */
static long pipe_time_limit(const char *service)
{
    VSTR *name = vstr_alloc(64);
    long limit;

    vstr_sprintf(name, "%s_time_limit", service);
    if (cfg_is_set(VSTR_STR(name))) {
        limit = cfg_parse_time(cfg_str(VSTR_STR(name)), 's');
        if (limit < 0)
            msg_fatal("bad numerical configuration: %s = %s", VSTR_STR(name),
                      cfg_str(VSTR_STR(name)));
    } else {
        limit = cfg_time("command_time_limit");
    }
    vstr_free(name);
    return limit;
}

/* pipe_deliver - one command run for recipients rcpt_lo..rcpt_hi-1 */
static void pipe_deliver(DELIVER_REQUEST *req, const char *service)
{
    VSTR *bad = vstr_alloc(32), *msg = vstr_alloc(4096), *out = vstr_alloc(256);
    VSTR *text = vstr_alloc(256), *cmd = vstr_alloc(64);
    ARGV *av;
    long limit = pipe_time_limit(service);
    int status, i;
    size_t n;

    if ((attr.flags & (PIPE_D | PIPE_O)) && rcpt_hi - rcpt_lo > 1)
        msg_warn("flag `%c' requires %s_destination_recipient_limit = 1",
                 (attr.flags & PIPE_D) ? 'D' : 'O', service);
    if ((av = build_argv(req, bad)) == NULL) {
        vstr_sprintf(text, "unknown command-line macro: %s", VSTR_STR(bad));
        outcome(req, service, "4.3.5", VSTR_STR(text));
        goto done;
    }
    if (build_message(req, msg) < 0) {
        outcome(req, service, "4.3.0", "error reading message file");
        argv_free(av);
        goto done;
    }
    vstr_strcpy(cmd, av->argv[0]);
    status = run_command(av, msg, out, limit > 0 ? limit : 1000);
    argv_free(av);
    /* Output as one line for the log. */
    for (i = 0; i < (int)VSTR_LEN(out); i++)
        if (VSTR_STR(out)[i] == '\n' || VSTR_STR(out)[i] == '\r' || VSTR_STR(out)[i] == '\t' ||
            VSTR_STR(out)[i] == 0)
            VSTR_STR(out)[i] = ' ';
    while (VSTR_LEN(out) > 0 && VSTR_STR(out)[VSTR_LEN(out) - 1] == ' ')
        vstr_truncate(out, VSTR_LEN(out) - 1);
    if (status == -1) {
        vstr_sprintf(text, "Command time limit exceeded: \"%s\"", VSTR_STR(cmd));
        outcome(req, service, "5.3.0", VSTR_STR(text));
    } else if (status == -2) {
        outcome(req, service, "4.3.0", "cannot fork");
    } else if (WIFSIGNALED(status)) {
        vstr_sprintf(text, "Command died with signal %d: \"%s\"", WTERMSIG(status), VSTR_STR(cmd));
        outcome(req, service, "4.3.0", VSTR_STR(text));
    } else if (WEXITSTATUS(status) == 0) {
        vstr_sprintf(text, "delivered via %s service", service);
        if (VSTR_LEN(out) > 0)
            vstr_sprintf_append(text, " (%s)", VSTR_STR(out));
        outcome(req, service, "2.0.0", VSTR_STR(text));
    } else if ((n = dsn_prefix(VSTR_STR(out))) > 0 && VSTR_STR(out)[0] != '2') {
        /* A DSN status at the start of the output wins. */
        char dsn[16];
        const char *t = VSTR_STR(out) + n;
        snprintf(dsn, sizeof(dsn), "%.*s", (int)n, VSTR_STR(out));
        while (*t == ' ')
            t++;
        outcome(req, service, dsn, *t ? t : "unknown error");
    } else {
        const char *stext;
        const char *dsn = sysexit_map(WEXITSTATUS(status), &stext);
        if (dsn) {
            outcome(req, service, dsn, VSTR_LEN(out) ? VSTR_STR(out) : stext);
        } else {
            vstr_sprintf(text, "Command died with status %d: \"%s\"", WEXITSTATUS(status),
                         VSTR_STR(cmd));
            if (VSTR_LEN(out))
                vstr_sprintf_append(text, ". Command output: %s", VSTR_STR(out));
            outcome(req, service, "5.3.0", VSTR_STR(text));
        }
    }
done:
    vstr_free(bad);
    vstr_free(msg);
    vstr_free(out);
    vstr_free(text);
    vstr_free(cmd);
}

/* pipe_service - serve one qmgr connection */
static void pipe_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    const char *name = server_service_name();
    int i;

    if (name == NULL || *name == 0)
        name = service;
    while ((req = deliver_request_read(client)) != NULL) {
        if (req->fp == NULL) {
            for (i = 0; i < req->nrcpt; i++)
                deliver_defer(req, i, name, "4.3.0", "cannot access mail queue");
        } else if (cfg_transport_long(name, "destination_recipient_limit",
                                      "default_destination_recipient_limit") == 1) {
            /* One command per recipient, whatever qmgr grouped together. */
            for (i = 0; i < req->nrcpt; i++) {
                rcpt_lo = i;
                rcpt_hi = i + 1;
                pipe_deliver(req, name);
            }
        } else {
            rcpt_lo = 0;
            rcpt_hi = req->nrcpt;
            pipe_deliver(req, name);
        }
        if (deliver_request_done(req, "") < 0)
            break;
    }
}

/* pipe_pre_init - parse the master.cf attributes once, as root */
static void pipe_pre_init(const char *service, char **argv)
{
    pipe_parse_attr(argv);
}

/* main - pipe(8) runs as root (unprivileged=n) and switches per command */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {.pre_init = pipe_pre_init};

    msg_init(argv[0], MSG_SYSLOG);
    signal(SIGPIPE, SIG_IGN);
    single_server_main(argc, argv, pipe_service, &opts);
}
