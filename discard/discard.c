/*
 * NAME
 *   discard - Postern discard mail delivery agent
 *
 * SYNOPSIS
 *   discard [generic daemon options]   (master.cf service "discard")
 *
 * DESCRIPTION
 *   Postfix's discard(8) (reference 8.5). The agent reads delivery requests
 *   from qmgr (lib/deliver.h) and reports every recipient as delivered
 *   without delivering anything: the R record is marked done and the log
 *   line says relay=none, dsn=2.0.0, status=sent (TEXT), where TEXT is the
 *   next-hop field (from transport_maps "discard:TEXT"; an optional leading
 *   2.x.x code becomes the DSN), or "discarded" when it is empty.
 *   If the queue file cannot be opened, recipients are deferred with
 *   "4.3.0 cannot access mail queue" (they cannot be marked done).
 *
 * DIAGNOSTICS
 *   "QID: to=<rcpt>, relay=none, delay=..., delays=..., dsn=2.0.0,
 *   status=sent (discarded)".
 */
#include <string.h>

#include "deliver.h"
#include "msg.h"
#include "server.h"

/* discard_service - serve one qmgr connection */
static void discard_service(STREAM *client, const char *service, char **argv)
{
    DELIVER_REQUEST *req;
    int i;

    while ((req = deliver_request_read(client)) != NULL) {
        const char *text = req->nexthop;
        char dsn[16] = "2.0.0";
        size_t n = strspn(text, "0123456789.");

        if (n >= 5 && n < sizeof(dsn) && text[0] == '2' && text[1] == '.' &&
            (text[n] == ' ' || text[n] == 0)) {
            memcpy(dsn, text, n);
            dsn[n] = 0;
            text += n;
            while (*text == ' ')
                text++;
        }
        if (*text == 0)
            text = "discarded";
        for (i = 0; i < req->nrcpt; i++) {
            if (req->fd < 0)
                deliver_defer(req, i, "none", "4.3.0", "cannot access mail queue");
            else
                deliver_sent(req, i, "none", dsn, "%s", text);
        }
        if (deliver_request_done(req, "") < 0)
            break;
    }
}

/*
 * main - discard agent entry point: a single_server_main() daemon.
 */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {0};

    msg_init(argv[0], MSG_SYSLOG);
    single_server_main(argc, argv, discard_service, &opts);
}
