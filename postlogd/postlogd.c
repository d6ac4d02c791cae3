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
 *     maillog_file_prefixes. Each line is written with one writev(2) so
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

/* postlogd_service - append one datagram plus a newline */
static void postlogd_service(const char *buf, size_t len, const char *service, char **argv)
{
    struct iovec iov[2];
    int cnt = 1;
    ssize_t n;

    (void)service;
    (void)argv;
    iov[0].iov_base = (void *)buf;
    iov[0].iov_len = len;
    if (len == 0 || buf[len - 1] != '\n') {
        iov[1].iov_base = (void *)"\n";
        iov[1].iov_len = 1;
        cnt = 2;
    }
    do {
        n = writev(postlogd_fd, iov, cnt);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        /* Do not log through ourselves: report on stderr of the master. */
        static const char text[] = "postlogd: warning: write to maillog_file failed\n";

        if (write(2, text, sizeof(text) - 1) < 0) {
            /* nothing else to try */
        }
    }
}

/* main - the dgram server skeleton does the rest */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .pre_init = postlogd_pre_init,
    };

    dgram_server_main(argc, argv, postlogd_service, &opts);
}
