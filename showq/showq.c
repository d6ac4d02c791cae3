/*
 * NAME
 *      showq - list the Postern mail queue
 *
 * SYNOPSIS
 *      showq [generic daemon options] (started by master(8))
 *
 * DESCRIPTION
 *      showq is the single-threaded service behind public/showq (master.cf
 *      "showq unix n - y - - showq"). For each client it writes the queue
 *      listing in the attr0 protocol of showq_list.h: a greeting
 *      {protocol=showq_protocol}, then per message {queue_name, queue_id,
 *      time, size, forced_expire, sender}, one {recipient, reason} list per
 *      pending recipient and an empty list, then closes the connection.
 *      postqueue(1) -p and -j format that for people and scripts.
 *
 *      Queues are read in Postfix's order: maildrop, active, incoming,
 *      deferred, hold. Reasons come from the defer/QID logfiles (Postfix
 *      showq/showq.c, reference 4.7 and 11).
 *
 * CONFIGURATION PARAMETERS
 *      queue_directory (/var/spool/postfix), hash_queue_names (deferred,
 *      defer), hash_queue_depth (1).
 *
 * DIAGNOSTICS
 *      "warning: write to client: ..." when the client goes away; problems
 *      with individual queue files are not reported (files come and go).
 */
#include <unistd.h>

#include "msg.h"
#include "server.h"
#include "showq_list.h"
#include "stream.h"

/* showq_service - send the listing to one client */
static void showq_service(STREAM *client, const char *service, char **argv)
{
    stream_set_timeout(client, 3600);
    if (showq_list_send(client) < 0)
        msg_warn("write to client: %m");
}

int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {0};

    single_server_main(argc, argv, showq_service, &opts);
}
