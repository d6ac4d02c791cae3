/*
 * NAME
 *      postqueue - Postern queue control
 *
 * SYNOPSIS
 *      postqueue [-v] [-c config_dir] -p | -j | -f | -i queue_id | -s site
 *
 * DESCRIPTION
 *      -p  print the queue in the legacy "mailq" format of Postfix's
 *          postqueue/showq_compat.c (reference 11, trap 28): header line,
 *          "%-11s %7ld %20.20s %s" message lines with '*' (active), '!'
 *          (hold) or '#' (force-expired) after the ID, MAILER-DAEMON for
 *          the null sender, delay reasons right-aligned to column 78,
 *          recipients in column 42, and "-- N Kbytes in M Request(s)." or
 *          "Mail queue is empty".
 *      -j  print one JSON object per message per line (showq_json.c).
 *      -f  flush: send the trigger "FADI" to public/qmgr.
 *      -i queue_id: set the unthrottle bit (g+r) on that message and
 *          trigger qmgr ("I").
 *      -s site: not implemented (fast flush).
 *      -c  configuration directory. -v  more verbose logging.
 *
 *      The listing comes from the showq service (public/showq). When it
 *      cannot be reached and the caller is root, postqueue reads the queue
 *      directly with the same code (lib/showq_list.c), after the warning
 *      "Mail system is down -- accessing queue directly", as Postfix does.
 *
 * DIAGNOSTICS
 *      "fatal: Queue report unavailable - mail system is down" (exit 69) for
 *      an unreachable showq as non-root; "fatal: Cannot flush mail queue -
 *      mail system is down" (exit 69) for -f; usage errors exit 64.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "netutil.h"
#include "showq_list.h"
#include "stream.h"
#include "vstr.h"

#define EX_USAGE 64
#define EX_UNAVAILABLE 69

/* fatal_status - log a fatal message and exit with a sysexits code */
static void fatal_status(int status, const char *text)
{
    fprintf(stderr, "postqueue: fatal: %s\n", text);
    exit(status);
}

/* show_queue - postqueue -p / -j */
static void show_queue(int format)
{
    STREAM *out = stream_fdopen(1, "stdout");
    SHOWQ_PRINT *sp = showq_print_alloc(out, format, cfg_bool("enable_long_queue_ids"));
    STREAM *st;
    int fd;

    if ((fd = unix_connect("public/showq", 0, 10)) >= 0) {
        st = stream_fdopen(fd, "public/showq");
        stream_set_timeout(st, 3600);
        if (showq_list_receive(st, showq_print_msg, sp) < 0)
            msg_warn("read from public/showq: protocol error");
        stream_close(st);
    } else if (getuid() == 0) {
        msg_warn("Mail system is down -- accessing queue directly");
        showq_list_walk(showq_print_msg, sp);
    } else {
        fatal_status(EX_UNAVAILABLE, "Queue report unavailable - mail system is down");
    }
    showq_print_finish(sp);
    stream_close(out);
}

/* flush_queue - postqueue -f */
static void flush_queue(void)
{
    if (unix_trigger("public/qmgr", "FADI", 4) < 0)
        fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
}

/* flush_one - postqueue -i: set the unthrottle bit and trigger qmgr */
static void flush_one(const char *qid)
{
    static const char *queues[] = {MAIL_QUEUE_INCOMING, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_DEFERRED,
                                   NULL};
    VSTR *path = vstr_alloc(100);
    struct stat st;
    int i;

    if (!mail_queue_id_ok(qid))
        fatal_status(EX_USAGE, "invalid queue id");
    for (i = 0; queues[i]; i++) {
        mail_queue_path(path, queues[i], qid);
        if (stat(VSTR_STR(path), &st) == 0) {
            if (chmod(VSTR_STR(path), (st.st_mode & 07777) | MAIL_QUEUE_STAT_UNTHROTTLE) < 0)
                msg_warn("chmod %s: %m", VSTR_STR(path));
            break;
        }
    }
    if (queues[i] == NULL)
        msg_warn("%s: queue file not found", qid);
    if (unix_trigger("public/qmgr", "I", 1) < 0)
        fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - mail system is down");
    vstr_free(path);
}

static void usage(void)
{
    fatal_status(EX_USAGE, "usage: postqueue -f | postqueue -i queueid | postqueue -j | "
                           "postqueue -p | postqueue -s site");
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    const char *id = NULL;
    int mode = 0;
    int ch;

    msg_init(argv[0], isatty(2) ? MSG_STDERR : 0);
    while ((ch = getopt(argc, argv, "c:fi:jps:v")) > 0) {
        switch (ch) {
        case 'c':
            config_dir = optarg;
            break;
        case 'f':
        case 'j':
        case 'p':
            if (mode)
                usage();
            mode = ch;
            break;
        case 'i':
            if (mode)
                usage();
            mode = ch;
            id = optarg;
            break;
        case 's':
            if (mode)
                usage();
            mode = ch;
            break;
        case 'v':
            msg_verbose++;
            break;
        default:
            usage();
        }
    }
    if (optind < argc || mode == 0)
        usage();
    cfg_init(config_dir);
    msg_logging_configure();
    mail_queue_chdir();

    switch (mode) {
    case 'p':
        show_queue(SHOWQ_PRINT_LEGACY);
        break;
    case 'j':
        show_queue(SHOWQ_PRINT_JSON);
        break;
    case 'f':
        flush_queue();
        break;
    case 'i':
        flush_one(id);
        break;
    case 's':
        fatal_status(EX_UNAVAILABLE, "Cannot flush mail queue - fast flush is not available");
    }
    return 0;
}
