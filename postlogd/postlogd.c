/*
 * NAME
 *     postlogd - Postern logging to file (Postfix postlogd(8) compatible)
 *
 * SYNOPSIS
 *     postlogd [generic daemon options]
 *
 * DESCRIPTION
 *     postlogd receives log lines as datagrams on the unix-dgram socket
 *     public/postlog (master.cf: "postlog unix-dgram n - n - 1 postlogd")
 *     and appends each one, followed by a newline, to $maillog_file. The
 *     lines arrive fully formatted ("Nov 21 13:08:26 host postfix/smtpd[42]:
 *     text", reference 10.1); postlogd does not change them. A trailing
 *     newline in the datagram is not doubled.
 *
 *     The file is opened (O_APPEND, mode 0600, created if missing) as root
 *     before the daemon drops privileges, so it may live where mail_owner
 *     cannot write. As in Postfix, maillog_file must start with one of the
 *     maillog_file_prefixes. Lines that arrive together are written with one
 *     write(2) (O_APPEND) before postlogd waits again, so
 *     lines from concurrent writers never interleave.
 *
 * DIAGNOSTICS
 *     Fatal: maillog_file empty, not matching maillog_file_prefixes, or not
 *     openable. Warning: a write to the file failed.
 *
 * SEE ALSO
 *     Postfix postlogd(8), maillog_file, maillog_file_prefixes in
 *     postconf(5); reference section 10.1.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "argv.h"
#include "config.h"
#include "msg.h"
#include "server.h"
#include "vstr.h"

#define POSTLOGD_BATCH 65536 /* bytes collected before a forced write */
static VSTR *postlogd_buf;   /* lines not yet written */
static int postlogd_fd = -1;

/* postlogd_prefix_ok - does path start with one of maillog_file_prefixes? */
static int postlogd_prefix_ok(const char *path)
{
    ARGV *prefixes = cfg_list("maillog_file_prefixes");
    int ok = prefixes->argc == 0;
    int i;

    for (i = 0; i < prefixes->argc; i++)
        if (strncmp(path, prefixes->argv[i], strlen(prefixes->argv[i])) == 0)
            ok = 1;
    argv_free(prefixes);
    return ok;
}

/* postlogd_pre_init - open maillog_file as root, outside any chroot */
static void postlogd_pre_init(const char *service, char **argv)
{
    const char *path = cfg_str("maillog_file");

    (void)service;
    (void)argv;
    if (path == 0 || *path == 0)
        msg_fatal("no maillog_file is configured");
    if (!postlogd_prefix_ok(path))
        msg_fatal("open %s: path does not match any maillog_file_prefixes value \"%s\"", path,
                  cfg_str("maillog_file_prefixes"));
    postlogd_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
    if (postlogd_fd < 0)
        msg_fatal("open %s: %m", path);
}

/*
 * postlogd_flush - write the lines collected since the last flush with one
 * write(2). Called by the skeleton before it waits for more datagrams, so a
 * burst of log lines (seven per message at full load) costs one system call,
 * and before exit.
 */
static void postlogd_flush(void)
{
    size_t done = 0;
    ssize_t n;

    while (done < postlogd_buf->len) {
        n = write(postlogd_fd, postlogd_buf->buf + done, postlogd_buf->len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* Do not log through ourselves: report on stderr of the master. */
            static const char text[] = "postlogd: warning: write to maillog_file failed\n";

            if (write(2, text, sizeof(text) - 1) < 0) {
                /* nothing else to try */
            }
            break;
        }
        done += (size_t)n;
    }
    vstr_reset(postlogd_buf);
}

/* postlogd_loop - the skeleton's "about to wait" hook: flush the batch. */
static long postlogd_loop(void)
{
    if (postlogd_buf->len > 0)
        postlogd_flush();
    return -1;
}

/* postlogd_service - collect one datagram plus a newline */
static void postlogd_service(const char *buf, size_t len, const char *service, char **argv)
{
    (void)service;
    (void)argv;
    vstr_addmem(postlogd_buf, buf, len);
    if (len == 0 || buf[len - 1] != '\n')
        vstr_addch(postlogd_buf, '\n');
    if (postlogd_buf->len >= POSTLOGD_BATCH)
        postlogd_flush();
}

/* main - the dgram server skeleton does the rest */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = postlogd_pre_init,
        .loop = postlogd_loop,
        .pre_exit = postlogd_flush,
    };

    postlogd_buf = vstr_alloc(POSTLOGD_BATCH);

    dgram_server_main(argc, argv, postlogd_service, &opts);
}
