/*
 * NAME
 *      postcat - show the contents of queue files
 *
 * SYNOPSIS
 *      postcat [-bdehoqv] [-c config_dir] [files...]
 *
 * DESCRIPTION
 *      postcat prints the contents of the named files (standard input when
 *      none) in human-readable form, byte for byte as Postfix 3.7's
 *      postcat(1) does, so scripts and people can switch freely:
 *
 *      *** ENVELOPE RECORDS file ***
 *      message_size: <the SIZE record data>
 *      message_arrival_time: <asctime of T>
 *      create_time: <asctime of A create_time=>
 *      named_attribute: name=value, sender: ..., recipient: ..., ...
 *      *** MESSAGE CONTENTS file ***
 *      <the header and body lines>
 *      *** HEADER EXTRACTED file ***
 *      <extracted records>
 *      *** MESSAGE FILE END file ***
 *
 *      -b  print the body (from the first non-header line, which is
 *          normally the empty separator line);
 *      -h  print the header; -e print the envelope (and the section
 *          markers). Without -b, -e or -h, all of them.
 *      -o  prefix each record with its offset ("%9lu ").
 *      -d  prefix each record with its type in decimal ("%3d ").
 *      -q  the arguments are queue IDs, searched in maildrop, incoming,
 *          active, deferred, hold and saved (below queue_directory).
 *      -v  show every record symbolically ("regular_text: ...") and do not
 *          follow pointer records nor skip padding (raw file order).
 *      -c  the configuration directory.
 *
 *      The queue file format is described in reference section 3: 'L' is a
 *      line piece in the content segment, content_filter elsewhere.
 *
 * DIAGNOSTICS
 *      "postcat: warning: FILE: input is not a valid queue file" when the
 *      first byte is not an envelope record type; "postcat: fatal: record
 *      read error" for a truncated or malformed record (as Postfix);
 *      "postcat: fatal: open queue file QID: No such file or directory"
 *      with -q. Exit status 1 on fatal errors, else 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

#define PC_FLAG_SEARCH_QUEUE (1 << 0)
#define PC_FLAG_PRINT_OFFSET (1 << 1)
#define PC_FLAG_PRINT_ENV (1 << 2)
#define PC_FLAG_PRINT_HEADER (1 << 3)
#define PC_FLAG_PRINT_BODY (1 << 4)
#define PC_FLAG_PRINT_RTYPE_DEC (1 << 5)
#define PC_FLAG_PRINT_RTYPE_SYM (1 << 6)
#define PC_MASK_PRINT_TEXT (PC_FLAG_PRINT_HEADER | PC_FLAG_PRINT_BODY)
#define PC_MASK_PRINT_ALL (PC_FLAG_PRINT_ENV | PC_MASK_PRINT_TEXT)

#define PC_STATE_ENV 0
#define PC_STATE_HEADER 1
#define PC_STATE_BODY 2

static STREAM *out;

/* is_header - the length of a header name if line starts "name:", else 0 */
static size_t is_header(const char *str, size_t len)
{
    size_t i;
    size_t name_len = 0;
    int state = 0; /* 0 init, 1 in name, 2 blanks after name */
    unsigned char c;

    for (i = 0; i < len; i++) {
        c = (unsigned char)str[i];
        if (c == ':')
            return state ? name_len : 0;
        if (c == ' ' || c == '\t') {
            if (state == 0)
                return 0;
            state = 2;
            continue;
        }
        if (c == 0 || c >= 0x80 || c < 0x20 || c == 0x7f || state == 2)
            return 0;
        state = 1;
        name_len++;
    }
    return 0;
}

/* prefix - the optional offset and decimal type columns */
static void prefix(int flags, off_t offset, int type)
{
    if (flags & PC_FLAG_PRINT_OFFSET)
        stream_printf(out, "%9lu ", (unsigned long)offset);
    if (flags & PC_FLAG_PRINT_RTYPE_DEC)
        stream_printf(out, "%3d ", type);
}

/* print_marker - "*** TEXT path ***" */
static void print_marker(int flags, off_t offset, int type, const char *text, const char *path)
{
    prefix(flags, offset, type);
    stream_printf(out, "*** %s %s ***\n", text, path);
}

/* print_time - "name: asctime" */
static void print_time(const char *name, long when)
{
    time_t t = (time_t)when;
    struct tm *tm = localtime(&t);

    if (tm == NULL)
        stream_printf(out, "%s: %ld\n", name, when);
    else
        stream_printf(out, "%s: %s", name, asctime(tm));
}

/* postcat - print one queue file */
static void postcat(STREAM *fp, const char *path, VSTR *buf, int flags)
{
    int prev_type = 0;
    int type;
    int state;
    int do_print;
    off_t offset = 0;
    int ch;
    long data_offset = -1, data_size = -1;

    /* See if this is a plausible file: peek at the first byte. */
    if ((ch = stream_getc(fp)) != STREAM_EOF) {
        if (strchr("MCTcFILSDRO/WVA>K<ion", ch) == NULL) {
            msg_warn("%s: input is not a valid queue file", path);
            return;
        }
        if (stream_seek(fp, 0, SEEK_SET) < 0) {
            /* Not seekable (a pipe): treat the byte as read. */
            msg_fatal("%s: cannot rewind input: %m", path);
        }
    }
    if (flags & PC_FLAG_PRINT_ENV)
        print_marker(flags & ~(PC_FLAG_PRINT_OFFSET | PC_FLAG_PRINT_RTYPE_DEC), 0, 0,
                     "ENVELOPE RECORDS", path);
    state = PC_STATE_ENV;
    do_print = flags & PC_FLAG_PRINT_ENV;

    for (;;) {
        offset = stream_tell(fp);
        if (flags & PC_FLAG_PRINT_RTYPE_SYM)
            type = rec_get_raw(fp, buf, 0);
        else
            type = rec_get(fp, buf, 0);
        if (type == REC_TYPE_ERROR) {
            stream_flush(out);
            msg_fatal("record read error");
        }
        if (type == REC_TYPE_EOF)
            break;

        if (type == REC_TYPE_MESG) {
            if (state != PC_STATE_ENV) {
                msg_warn("%s: out-of-order message content marker", path);
                continue;
            }
            /* Skip the content when only the envelope is wanted. */
            if ((flags & PC_MASK_PRINT_TEXT) == 0 && data_offset > 0 && data_size >= 0 &&
                !(flags & PC_FLAG_PRINT_RTYPE_SYM) &&
                stream_seek(fp, (off_t)(data_offset + data_size), SEEK_SET) < 0)
                msg_fatal("seek error: %m");
            if (flags & PC_FLAG_PRINT_ENV)
                print_marker(flags, offset, type, "MESSAGE CONTENTS", path);
            state = PC_STATE_HEADER;
            do_print = flags & PC_FLAG_PRINT_HEADER;
            prev_type = type;
            continue;
        }
        if (type == REC_TYPE_XTRA) {
            if (state != PC_STATE_HEADER && state != PC_STATE_BODY) {
                msg_warn("%s: out-of-order extracted segment marker", path);
                continue;
            }
            if (flags & PC_FLAG_PRINT_ENV)
                print_marker(flags, offset, type, "HEADER EXTRACTED", path);
            state = PC_STATE_ENV;
            do_print = flags & PC_FLAG_PRINT_ENV;
            prev_type = type;
            continue;
        }
        if (type == REC_TYPE_END) {
            if (flags & PC_FLAG_PRINT_ENV)
                print_marker(flags, offset, type, "MESSAGE FILE END", path);
            break;
        }
        /* The header ends at the first line that is not a header. */
        if (state == PC_STATE_HEADER && (type == REC_TYPE_NORM || type == REC_TYPE_CONT) &&
            prev_type != REC_TYPE_CONT &&
            !(VSTR_LEN(buf) > 0 && (VSTR_STR(buf)[0] == ' ' || VSTR_STR(buf)[0] == '\t')) &&
            is_header(VSTR_STR(buf), VSTR_LEN(buf)) == 0) {
            state = PC_STATE_BODY;
            do_print = flags & PC_FLAG_PRINT_BODY;
        }
        if (!do_print) {
            prev_type = type;
            continue;
        }
        if (state != PC_STATE_ENV && (type == REC_TYPE_NORM || type == REC_TYPE_CONT)) {
            if (flags & PC_FLAG_PRINT_RTYPE_SYM) {
                prefix(flags, offset, type);
                stream_printf(
                    out, "%s: ", type == REC_TYPE_CONT ? "unterminated_text" : rec_type_name(type));
                stream_write(out, VSTR_STR(buf), VSTR_LEN(buf));
                stream_putc(out, '\n');
            } else {
                if (prev_type != REC_TYPE_CONT)
                    prefix(flags, offset, type);
                stream_write(out, VSTR_STR(buf), VSTR_LEN(buf));
                if (type == REC_TYPE_NORM)
                    stream_putc(out, '\n');
            }
            prev_type = type;
            continue;
        }
        switch (type) {
        case REC_TYPE_SIZE: {
            long a, b;

            if (sscanf(VSTR_STR(buf), "%ld %ld", &a, &b) == 2) {
                data_size = a;
                data_offset = b;
            }
            prefix(flags, offset, type);
            stream_printf(out, "%s: %s\n", rec_type_name(type), VSTR_STR(buf));
            break;
        }
        case REC_TYPE_TIME:
        case REC_TYPE_WARN:
        case REC_TYPE_CTIME:
            prefix(flags, offset, type);
            print_time(rec_type_name(type), atol(VSTR_STR(buf)));
            break;
        case REC_TYPE_ATTR: {
            char *eq = strchr(VSTR_STR(buf), '=');

            if (eq == NULL || eq == VSTR_STR(buf)) {
                msg_warn("%s: malformed attribute: %.100s", path, VSTR_STR(buf));
                break;
            }
            *eq = 0;
            prefix(flags, offset, type);
            if (strcmp(VSTR_STR(buf), "create_time") == 0)
                print_time("create_time", atol(eq + 1));
            else
                stream_printf(out, "%s: %s=%s\n", rec_type_name(type), VSTR_STR(buf), eq + 1);
            break;
        }
        default:
            prefix(flags, offset, type);
            stream_printf(out, "%s: %s\n", rec_type_name(type), VSTR_STR(buf));
            break;
        }
        prev_type = type;
    }
    stream_flush(out);
}

/* usage - complain and exit */
static void usage(void)
{
    msg_fatal("usage: postcat [-b (body)] [-c config_dir] [-d (decimal record type)] [-e "
              "(envelope)] [-h (header)] [-o (offsets)] [-q (access queue)] [-v] [file(s) or "
              "queue-id(s)...]");
}

/* main - parse options, print each file */
int main(int argc, char **argv)
{
    static const char *queues[] = {MAIL_QUEUE_MAILDROP,
                                   MAIL_QUEUE_INCOMING,
                                   MAIL_QUEUE_ACTIVE,
                                   MAIL_QUEUE_DEFERRED,
                                   MAIL_QUEUE_HOLD,
                                   MAIL_QUEUE_SAVED,
                                   NULL};
    const char *config_dir = NULL;
    VSTR *buf = vstr_alloc(1024);
    VSTR *path = vstr_alloc(100);
    STREAM *fp;
    int flags = 0;
    int ch, fd, i, q;

    msg_init(argv[0], MSG_STDERR);
    while ((ch = getopt(argc, argv, "bc:dehoqv")) > 0) {
        switch (ch) {
        case 'b':
            flags |= PC_FLAG_PRINT_BODY;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'd':
            flags |= PC_FLAG_PRINT_RTYPE_DEC;
            break;
        case 'e':
            flags |= PC_FLAG_PRINT_ENV;
            break;
        case 'h':
            flags |= PC_FLAG_PRINT_HEADER;
            break;
        case 'o':
            flags |= PC_FLAG_PRINT_OFFSET;
            break;
        case 'q':
            flags |= PC_FLAG_SEARCH_QUEUE;
            break;
        case 'v':
            msg_verbose++;
            flags |= PC_FLAG_PRINT_RTYPE_SYM;
            break;
        default:
            usage();
        }
    }
    if ((flags & PC_MASK_PRINT_ALL) == 0)
        flags |= PC_MASK_PRINT_ALL;
    cfg_init(config_dir);
    out = stream_fdopen(1, "stdout");

    if (flags & PC_FLAG_SEARCH_QUEUE) {
        if (optind >= argc)
            usage();
        mail_queue_chdir();
        for (i = optind; i < argc; i++) {
            fd = -1;
            if (mail_queue_id_ok(argv[i])) {
                for (q = 0; queues[q]; q++) {
                    if ((fd = mail_queue_open(queues[q], argv[i], O_RDONLY)) >= 0) {
                        mail_queue_path(path, queues[q], argv[i]);
                        break;
                    }
                }
            } else {
                errno = ENOENT;
            }
            if (fd < 0)
                msg_fatal("open queue file %s: %m", argv[i]);
            fp = stream_fdopen(fd, VSTR_STR(path));
            postcat(fp, VSTR_STR(path), buf, flags);
            stream_close(fp);
        }
    } else if (optind < argc) {
        for (i = optind; i < argc; i++) {
            if ((fd = open(argv[i], O_RDONLY)) < 0)
                msg_fatal("open %s: %m", argv[i]);
            fp = stream_fdopen(fd, argv[i]);
            postcat(fp, argv[i], buf, flags);
            stream_close(fp);
        }
    } else {
        fp = stream_fdopen(0, "stdin");
        postcat(fp, "stdin", buf, flags);
        stream_free(fp);
    }
    stream_close(out);
    vstr_free(buf);
    vstr_free(path);
    return 0;
}
