/*
 * NAME
 *   error - Postern error/retry mail delivery agent
 *
 * SYNOPSIS
 *   error [generic daemon options]   (master.cf services "error", "retry")
 *
 * DESCRIPTION
 *   Postfix's error(8) (reference 8.5). The agent reads delivery requests
 *   from qmgr (lib/deliver.h) and never delivers: the next-hop field holds
 *   the reason, optionally preceded by an enhanced status code ("5.1.1 User
 *   unknown in virtual alias table"). A 5.x.x code (or no code) bounces each
 *   recipient, a 4.x.x code defers it; the log line has relay=none.
 *   When the program runs as the "retry" service (master.cf service name,
 *   or argv[0] basename "retry"), every recipient is deferred, a 5.x.x code
 *   being turned into 4.x.x; qmgr uses this for throttled destinations and
 *   missing transports ("mail transport unavailable").
 *   If the queue file cannot be opened, every recipient is deferred with
 *   "4.3.0 cannot access mail queue".
 *
 * DIAGNOSTICS
 *   Delivery outcomes are logged as "QID: to=<rcpt>, relay=none, delay=...,
 *   delays=..., dsn=X.Y.Z, status=bounced|deferred (reason)".
 */
#include <stdio.h>
#include <string.h>

#include "deliver.h"
#include "msg.h"
#include "server.h"
#include "vstr.h"

/*
 * error_split_dsn - split "X.Y.Z text" into a DSN (stored in dsn, at most
 * dsn_len-1 bytes) and the text. Returns the text, or the whole string and
 * an empty dsn when it does not start with a valid code.
 */
static const char *error_split_dsn(const char *next, char *dsn, size_t dsn_len)
{
    size_t n = strspn(next, "0123456789.");
    const char *cp = next;
    int dots = 0;

    dsn[0] = 0;
    for (cp = next; cp < next + n; cp++)
        dots += (*cp == '.');
    if (n >= 5 && n < dsn_len && dots == 2 &&
        (next[0] == '2' || next[0] == '4' || next[0] == '5') && next[1] == '.' &&
        next[n - 1] != '.' && strstr(next, "..") == NULL && (next[n] == ' ' || next[n] == 0)) {
        memcpy(dsn, next, n);
        dsn[n] = 0;
        next += n;
        while (*next == ' ')
            next++;
    }
    return next;
}

/* error_service - serve one qmgr connection */
static void error_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    const char *name = server_service_name();
    const char *slash;
    int retry;
    int i;

    if (name == NULL || *name == 0)
        name = service;
    retry = (name && strcmp(name, "retry") == 0) ||
            ((slash = strrchr(msg_progname(), '/')) ? strcmp(slash + 1, "retry") == 0
                                                    : strcmp(msg_progname(), "retry") == 0);
    while ((req = deliver_request_read(client)) != NULL) {
        char dsn[32];
        const char *text = error_split_dsn(req->nexthop, dsn, sizeof(dsn));

        if (*text == 0)
            text = retry ? "mail transport unavailable" : "delivery failed";
        for (i = 0; i < req->nrcpt; i++) {
            if (req->fd < 0) {
                deliver_defer(req, i, "none", "4.3.0", "cannot access mail queue");
            } else if (retry || dsn[0] == '4') {
                if (dsn[0] == 0)
                    strcpy(dsn, "4.3.0");
                dsn[0] = '4';
                deliver_defer(req, i, "none", dsn, "%s", text);
            } else {
                if (dsn[0] != '5')
                    strcpy(dsn, "5.0.0");
                deliver_bounce(req, i, "none", dsn, "%s", text);
            }
        }
        if (deliver_request_done(req, "") < 0)
            break;
    }
}

/*
 * main - error/retry agent entry point: a single_server_main() daemon.
 */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {0};

    msg_init(argv[0], MSG_SYSLOG);
    single_server_main(argc, argv, error_service, &opts);
}
