/*
 * NAME
 *   qmgr - Postern queue manager
 *
 * SYNOPSIS
 *   qmgr [generic daemon options]   (master.cf: qmgr unix n - n 300 1 qmgr)
 *
 * DESCRIPTION
 *   Postfix's qmgr(8) (reference 2.1, 2.6, 2.7, 4.5, 4.8, 6; traps 6, 8, 9),
 *   run by trigger_server_main() on public/qmgr as mail_owner, maxproc 1.
 *
 *   At start every file in active/ is renamed back to incoming/ (a crashed
 *   predecessor's work is redone: delivery is at least once), then the
 *   incoming and deferred queues are scanned.
 *
 *   Triggers: W and I scan incoming/, D scans deferred/, A scans deferred/
 *   ignoring future mtimes, F forgets every throttle. The deferred queue is
 *   also scanned every queue_run_delay.
 *
 *   Taking a message: mail_open_ok(), skip future mtimes (unless scanning
 *   all), rename into active/, open O_RDWR, flock(LOCK_EX|LOCK_NB) — a
 *   conflict means an agent of an earlier qmgr still works on it: "QID:
 *   skipped, still being delivered", and the file goes to deferred/ for 60 s
 *   — remove defer/QID, read the envelope with qfile_read() (a corrupt file
 *   goes to corrupt/), log "QID: from=<s>, size=N, nrcpt=N (queue active)",
 *   resolve every pending recipient and place it in the (transport,
 *   nexthop) queue — (transport, recipient@nexthop) when the transport's
 *   recipient limit is 1 — in entries of at most
 *   <transport>_destination_recipient_limit recipients.
 *
 *   Scheduling: round robin over the queues of a transport, FIFO within a
 *   queue (the "v1" scheduler of reference 6.4). Each queue has the
 *   concurrency window of reference 6.3 (qmgr_sched.c). A delivery whose
 *   reply has a non-empty hop reason is negative feedback; enough failed
 *   cohorts throttle the queue for minimal_backoff_time, and its waiting
 *   entries go to the retry(8) agent as "delivery temporarily suspended:
 *   REASON". An agent that cannot be reached ("warning: connect to transport
 *   private/X: ...") or that crashes throttles the whole transport for
 *   transport_retry_time; recipients then go to retry(8) with "mail
 *   transport unavailable", or are deferred by qmgr itself with "unknown
 *   mail transport error" after a crash.
 *
 *   Connections to private/<transport> are kept open and reused for later
 *   requests (an agent serves any number of requests per connection); at
 *   most 2 connection set-ups are pending per transport and at most
 *   default_process_limit connections exist per transport.
 *
 *   When every entry of a message is done: if bounce/QID exists the bounce
 *   service is asked to flush it (private/bounce, delivery_status_protocol;
 *   on failure the message stays deferred); if recipients were deferred,
 *   the message either expires (maximal_queue_lifetime, or
 *   bounce_queue_lifetime for the null sender, or the EXPIRE mode bit):
 *   "QID: from=<s>, status=expired, returned to sender", the defer log
 *   becomes the bounce log and is flushed — or its mtime is set to now +
 *   clamp(age, minimal_backoff_time, maximal_backoff_time) and it moves to
 *   deferred/. Otherwise the file is removed: "QID: removed".
 *
 *   Flow control: one token per message taken from incoming/ goes into the
 *   master's flow pipe, and the pipe is topped up to default_process_limit
 *   when incoming/ is empty.
 *
 *   Limits: qmgr_message_active_limit messages in core. All recipients of
 *   a message are read at once (no qmgr_message_recipient_limit batching).
 *
 * DIAGNOSTICS
 *   Problems go to the mail log as "warning: ..."; see above for the
 *   informational lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "argv.h"
#include "attr.h"
#include "config.h"
#include "deliver.h"
#include "events.h"
#include "mail_queue.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"
#include "qfile.h"
#include "resolve.h"
#include "server.h"
#include "stream.h"
#include "vstr.h"

#include "qmgr_sched.h"

#define QMGR_RETRY_TRANSPORT "retry"
#define QMGR_MAX_PENDING_CONNECT 2
#define QMGR_LOCKED_DELAY 60    /* seconds, "still being delivered" */
#define QMGR_AGENT_TIMEOUT 3600 /* seconds to wait for a started reply */
#define QMGR_FEED_BATCH 20      /* messages taken per loop pass */

typedef struct MESSAGE MESSAGE;
typedef struct QUEUE QUEUE;
typedef struct TRANSPORT TRANSPORT;
typedef struct ENTRY ENTRY;
typedef struct CONN CONN;

struct MESSAGE {
    char *qid;
    char *sender;
    char *encoding;
    char *client_name, *client_addr, *client_port, *client_proto, *client_helo;
    char *rewrite_context;
    struct timeval arrival;
    struct timeval active;
    long data_offset;
    long size;
    int refcount;     /* entries not yet finished */
    int deferred;     /* some recipient was deferred */
    int force_expire; /* EXPIRE mode bit */
    int placing;      /* entries still being created */
};

typedef struct RCPT {
    char *orig;
    char *address;
    long offset;
    char *dsn_orig;
    int notify;
} RCPT;

struct ENTRY {
    MESSAGE *msg;
    QUEUE *queue;
    RCPT *rcpts;
    int nrcpt;
    int cap;
    int retried; /* resent once after a stale reused connection */
    ENTRY *next; /* todo list */
};

struct QUEUE {
    char *name;    /* hash key */
    char *nexthop; /* sent to the agent */
    TRANSPORT *tr;
    QMGR_WINDOW win;
    ENTRY *todo_head, *todo_tail;
    ENTRY *last;  /* entry being filled for the current message */
    char *reason; /* why it is throttled */
    int in_ring;  /* on the transport's ready ring */
    int hold;     /* being worked on: do not free */
    QUEUE *ring_next;
    QUEUE *hash_next;
};

struct TRANSPORT {
    char *name;
    int rcpt_limit;
    int conc_limit;
    int initial;
    double cohort_limit;
    int dead;                     /* throttled (unreachable or crashed) */
    char *reason;                 /* "mail transport unavailable" */
    QUEUE *ring_head, *ring_tail; /* queues with todo entries */
    CONN *idle;                   /* idle connections */
    int nconn;                    /* all connections */
    int pending;                  /* waiting for the greeting */
    TRANSPORT *next;
};

#define CONN_GREETING 1
#define CONN_IDLE 2
#define CONN_BUSY 3

struct CONN {
    TRANSPORT *tr;
    int fd;
    STREAM *st;
    int state;
    int uses;             /* requests sent */
    ENTRY *entry;         /* CONN_BUSY */
    DELIVER_REQUEST *req; /* CONN_BUSY */
    CONN *next;           /* idle list */
};

/* Configuration. */
static long var_active_limit;
static long var_transport_retry_time;
static long var_min_backoff;
static long var_max_backoff;
static long var_queue_run_delay;
static long var_max_queue_lifetime;
static long var_bounce_queue_lifetime;
static long var_process_limit;
static int var_initial_conc;

/* State. */
static TRANSPORT *transports;
#define QUEUE_HASH_SIZE 4096
static QUEUE *queue_hash[QUEUE_HASH_SIZE];
static int active_count;
static RESOLVE_REPLY *resolve_reply;

typedef struct SCAN {
    const char *queue;
    ARGV *list; /* snapshot, or NULL */
    int next;   /* index into list */
    int requested;
    int all; /* ignore future mtimes */
} SCAN;

static SCAN incoming_scan = {MAIL_QUEUE_INCOMING, NULL, 0, 0, 0};
static SCAN deferred_scan = {MAIL_QUEUE_DEFERRED, NULL, 0, 0, 0};
static int scan_turn;
static int work_added; /* entries were queued during a dispatch pass */

static void qmgr_entry_done(ENTRY *entry);
static void qmgr_queue_add_entry(QUEUE *q, ENTRY *e);

/* hash_string - FNV-1a */
static unsigned hash_string(const char *s, const char *t)
{
    unsigned h = 2166136261u;

    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
    while (*t)
        h = (h ^ (unsigned char)*t++) * 16777619u;
    return h;
}

/* qmgr_transport_find - find or create a transport with its limits */
static TRANSPORT *qmgr_transport_find(const char *name)
{
    TRANSPORT *tr;
    const char *v;
    VSTR *param;

    for (tr = transports; tr; tr = tr->next)
        if (strcmp(tr->name, name) == 0)
            return tr;
    tr = mymalloc(sizeof(*tr));
    memset(tr, 0, sizeof(*tr));
    tr->name = mystrdup(name);
    tr->rcpt_limit = (int)cfg_transport_long(name, "destination_recipient_limit",
                                             "default_destination_recipient_limit");
    tr->conc_limit = (int)cfg_transport_long(name, "destination_concurrency_limit",
                                             "default_destination_concurrency_limit");
    param = vstr_alloc(64);
    vstr_sprintf(param, "%s_initial_destination_concurrency", name);
    tr->initial = var_initial_conc;
    if (cfg_is_set(param->buf) && (v = cfg_str(param->buf)) && atoi(v) > 0)
        tr->initial = atoi(v);
    vstr_free(param);
    tr->cohort_limit =
        (double)cfg_transport_long(name, "destination_concurrency_failed_cohort_limit",
                                   "default_destination_concurrency_failed_cohort_limit");
    if (tr->rcpt_limit <= 0)
        tr->rcpt_limit = 100000;
    tr->next = transports;
    transports = tr;
    return tr;
}

/* qmgr_queue_find - find or create the queue for (transport, key) */
static QUEUE *qmgr_queue_find(TRANSPORT *tr, const char *key, const char *nexthop)
{
    unsigned h = hash_string(tr->name, key) % QUEUE_HASH_SIZE;
    QUEUE *q;

    for (q = queue_hash[h]; q; q = q->hash_next)
        if (q->tr == tr && strcmp(q->name, key) == 0)
            return q;
    q = mymalloc(sizeof(*q));
    memset(q, 0, sizeof(*q));
    q->name = mystrdup(key);
    q->nexthop = mystrdup(nexthop);
    q->tr = tr;
    qmgr_window_init(&q->win, tr->initial, tr->conc_limit, tr->cohort_limit);
    q->hash_next = queue_hash[h];
    queue_hash[h] = q;
    return q;
}

/* qmgr_queue_free_if_idle - drop a queue that has no work and no state */
static void qmgr_queue_free_if_idle(QUEUE *q)
{
    unsigned h;
    QUEUE **qp;

    if (q->todo_head || q->win.busy || q->win.dead || q->in_ring || q->last || q->hold)
        return;
    h = hash_string(q->tr->name, q->name) % QUEUE_HASH_SIZE;
    for (qp = queue_hash + h; *qp; qp = &(*qp)->hash_next) {
        if (*qp == q) {
            *qp = q->hash_next;
            break;
        }
    }
    myfree(q->name);
    myfree(q->nexthop);
    myfree(q->reason);
    myfree(q);
}

/* ring_add - put a queue with work on its transport's round-robin ring */
static void ring_add(QUEUE *q)
{
    TRANSPORT *tr = q->tr;

    if (q->in_ring)
        return;
    q->in_ring = 1;
    q->ring_next = NULL;
    if (tr->ring_tail)
        tr->ring_tail->ring_next = q;
    else
        tr->ring_head = q;
    tr->ring_tail = q;
}

/* ring_pop - take the ring's first queue */
static QUEUE *ring_pop(TRANSPORT *tr)
{
    QUEUE *q = tr->ring_head;

    if (q) {
        tr->ring_head = q->ring_next;
        if (tr->ring_head == NULL)
            tr->ring_tail = NULL;
        q->ring_next = NULL;
        q->in_ring = 0;
    }
    return q;
}

/* message_free - release a message */
static void message_free(MESSAGE *m)
{
    myfree(m->qid);
    myfree(m->sender);
    myfree(m->encoding);
    myfree(m->client_name);
    myfree(m->client_addr);
    myfree(m->client_port);
    myfree(m->client_proto);
    myfree(m->client_helo);
    myfree(m->rewrite_context);
    myfree(m);
}

/* entry_free - release an entry */
static void entry_free(ENTRY *e)
{
    int i;

    for (i = 0; i < e->nrcpt; i++) {
        myfree(e->rcpts[i].orig);
        myfree(e->rcpts[i].address);
        myfree(e->rcpts[i].dsn_orig);
    }
    myfree(e->rcpts);
    myfree(e);
}

/* entry_add_rcpt - append a copy of a recipient */
static void entry_add_rcpt(ENTRY *e, const char *orig, const char *addr, long offset,
                           const char *dsn_orig, int notify)
{
    RCPT *r;

    if (e->nrcpt >= e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->rcpts = myrealloc(e->rcpts, sizeof(RCPT) * (size_t)e->cap);
    }
    r = e->rcpts + e->nrcpt++;
    r->orig = mystrdup(orig ? orig : "");
    r->address = mystrdup(addr);
    r->offset = offset;
    r->dsn_orig = mystrdup(dsn_orig ? dsn_orig : "");
    r->notify = notify;
}

/* qmgr_build_request - a delivery request for an entry */
static DELIVER_REQUEST *qmgr_build_request(ENTRY *e)
{
    DELIVER_REQUEST *req = deliver_request_alloc();
    MESSAGE *m = e->msg;
    int i;

    req->queue_name = mystrdup(MAIL_QUEUE_ACTIVE);
    req->queue_id = mystrdup(m->qid);
    req->data_offset = m->data_offset;
    req->data_size = m->size;
    req->nexthop = mystrdup(e->queue->nexthop);
    req->encoding = mystrdup(m->encoding);
    req->sender = mystrdup(m->sender);
    req->arrival = m->arrival;
    req->active = m->active;
    req->client_name = mystrdup(m->client_name);
    req->client_addr = mystrdup(m->client_addr);
    req->client_port = mystrdup(m->client_port);
    req->client_proto = mystrdup(m->client_proto);
    req->client_helo = mystrdup(m->client_helo);
    req->rewrite_context = mystrdup(m->rewrite_context);
    req->nrcpt = e->nrcpt;
    req->rcpts = mymalloc(sizeof(DELIVER_RCPT) * (size_t)(e->nrcpt ? e->nrcpt : 1));
    memset(req->rcpts, 0, sizeof(DELIVER_RCPT) * (size_t)(e->nrcpt ? e->nrcpt : 1));
    for (i = 0; i < e->nrcpt; i++) {
        req->rcpts[i].orig_addr = mystrdup(e->rcpts[i].orig);
        req->rcpts[i].address = mystrdup(e->rcpts[i].address);
        req->rcpts[i].offset = e->rcpts[i].offset;
        req->rcpts[i].dsn_orig = mystrdup(e->rcpts[i].dsn_orig);
        req->rcpts[i].notify = e->rcpts[i].notify;
        req->rcpts[i].status = DELIVER_STAT_DEFER;
    }
    return req;
}

/*
 * qmgr_defer_inline - qmgr itself defers every recipient of an entry (the
 * defer log entry and the "status=deferred" line with relay=none), then
 * finishes the entry.
 */
static void qmgr_defer_inline(ENTRY *e, const char *dsn, const char *reason)
{
    DELIVER_REQUEST *req = qmgr_build_request(e);
    int i;

    gettimeofday(&req->agent, NULL);
    for (i = 0; i < req->nrcpt; i++)
        deliver_defer(req, i, "none", dsn, "%s", reason);
    deliver_request_free(req);
    e->msg->deferred = 1;
    qmgr_entry_done(e);
}

/* qmgr_reroute_entry - hand an entry to the retry agent ("DSN reason" nexthop) */
static void qmgr_reroute_entry(ENTRY *e, const char *dsn, const char *reason)
{
    TRANSPORT *retry;
    QUEUE *q;
    VSTR *next;

    if (strcmp(e->queue->tr->name, QMGR_RETRY_TRANSPORT) == 0) {
        qmgr_defer_inline(e, dsn, reason);
        return;
    }
    retry = qmgr_transport_find(QMGR_RETRY_TRANSPORT);
    if (retry->dead) {
        qmgr_defer_inline(e, dsn, reason);
        return;
    }
    next = vstr_alloc(100);
    vstr_sprintf(next, "%s %s", dsn, reason);
    q = qmgr_queue_find(retry, next->buf, next->buf);
    vstr_free(next);
    e->next = NULL;
    qmgr_queue_add_entry(q, e);
}

/* qmgr_queue_add_entry - append to the queue's todo list (FIFO) */
static void qmgr_queue_add_entry(QUEUE *q, ENTRY *e)
{
    e->queue = q;
    e->next = NULL;
    work_added = 1;
    if (q->todo_tail)
        q->todo_tail->next = e;
    else
        q->todo_head = e;
    q->todo_tail = e;
    ring_add(q);
}

/* qmgr_queue_flush_todo - send a throttled queue's waiting work to retry */
static void qmgr_queue_flush_todo(QUEUE *q, const char *dsn, const char *reason)
{
    ENTRY *e;

    q->hold++;
    while ((e = q->todo_head) != NULL) {
        q->todo_head = e->next;
        if (q->todo_head == NULL)
            q->todo_tail = NULL;
        if (q->last == e)
            q->last = NULL;
        qmgr_reroute_entry(e, dsn, reason);
    }
    q->hold--;
}

/* qmgr_queue_unthrottle_event - end of a queue throttle */
static void qmgr_queue_unthrottle_event(int event, void *ctx)
{
    QUEUE *q = ctx;

    qmgr_window_unthrottle(&q->win);
    myfree(q->reason);
    q->reason = NULL;
    qmgr_queue_free_if_idle(q);
}

/* qmgr_queue_throttle - declare a destination dead for minimal_backoff_time */
static void qmgr_queue_throttle(QUEUE *q, const char *dsn, const char *reason)
{
    VSTR *why = vstr_alloc(100);

    q->win.window = 0;
    q->win.dead = 1;
    myfree(q->reason);
    q->reason = mystrdup(reason);
    vstr_sprintf(why, "delivery temporarily suspended: %s", reason);
    qmgr_queue_flush_todo(q, dsn, why->buf);
    vstr_free(why);
    event_request_timer(qmgr_queue_unthrottle_event, q, var_min_backoff * 1000);
}

/* qmgr_transport_unthrottle_event - end of a transport throttle */
static void qmgr_transport_unthrottle_event(int event, void *ctx)
{
    TRANSPORT *tr = ctx;

    tr->dead = 0;
    myfree(tr->reason);
    tr->reason = NULL;
}

/* qmgr_transport_throttle - the agent is unreachable or crashed */
static void qmgr_transport_throttle(TRANSPORT *tr, const char *reason)
{
    QUEUE *q;

    if (!tr->dead) {
        tr->dead = 1;
        myfree(tr->reason);
        tr->reason = mystrdup(reason);
    }
    event_request_timer(qmgr_transport_unthrottle_event, tr, var_transport_retry_time * 1000);
    while ((q = ring_pop(tr)) != NULL) {
        qmgr_queue_flush_todo(q, "4.3.0", reason);
        qmgr_queue_free_if_idle(q);
    }
}

/* conn_close - drop an agent connection */
static void conn_close(CONN *c)
{
    TRANSPORT *tr = c->tr;
    CONN **cp;

    event_disable_readwrite(c->fd);
    (void)stream_close(c->st);
    if (c->state == CONN_GREETING)
        tr->pending--;
    if (c->state == CONN_IDLE) {
        for (cp = &tr->idle; *cp; cp = &(*cp)->next) {
            if (*cp == c) {
                *cp = c->next;
                break;
            }
        }
    }
    tr->nconn--;
    myfree(c);
}

/* qmgr_message_finish - end of a message (defined below) */
static void qmgr_message_finish(MESSAGE *m);

/*
 * qmgr_entry_done - an entry is finished (reply processed, deferred or
 * rerouted elsewhere): release it and finish its message when it was the
 * last one.
 */
static void qmgr_entry_done(ENTRY *e)
{
    MESSAGE *m = e->msg;
    QUEUE *q = e->queue;

    if (q && q->last == e)
        q->last = NULL;
    entry_free(e);
    if (q)
        qmgr_queue_free_if_idle(q);
    if (--m->refcount == 0 && !m->placing)
        qmgr_message_finish(m);
}

/* conn_event - readability on an agent connection */
static void conn_event(int event, void *ctx)
{
    CONN *c = ctx;
    TRANSPORT *tr = c->tr;
    ENTRY *e;
    QUEUE *q;
    DELIVER_REQUEST *req;
    ATTR_LIST *list;
    int i, hop_bad;
    const char *hop_dsn;

    if (c->state == CONN_GREETING) {
        list = attr_list_alloc();
        stream_set_timeout(c->st, 10);
        if (attr_scan(c->st, list, ATTR_LIMIT_DEFAULT) < 0 ||
            attr_expect(list, "protocol", "delivery_request_protocol") < 0) {
            msg_warn("private/%s: bad or missing greeting from delivery agent", tr->name);
            attr_list_free(list);
            conn_close(c);
            qmgr_transport_throttle(tr, "unknown mail transport error");
            return;
        }
        attr_list_free(list);
        tr->pending--;
        c->state = CONN_IDLE;
        c->next = tr->idle;
        tr->idle = c;
        return;
    }
    if (c->state == CONN_IDLE) {
        /* EOF (agent max_idle/max_use) or garbage: drop it. */
        conn_close(c);
        return;
    }

    /* CONN_BUSY: the reply. */
    e = c->entry;
    req = c->req;
    q = e->queue;
    c->entry = NULL;
    c->req = NULL;
    q->win.busy--;
    stream_set_timeout(c->st, QMGR_AGENT_TIMEOUT);
    if (deliver_reply_read(c->st, req) < 0) {
        int stale = (c->uses > 1 && !e->retried);

        conn_close(c);
        deliver_request_free(req);
        if (stale) {
            /* A reused connection the agent closed meanwhile: retry once. */
            e->retried = 1;
            e->next = q->todo_head;
            q->todo_head = e;
            if (q->todo_tail == NULL)
                q->todo_tail = e;
            ring_add(q);
            return;
        }
        msg_warn("private/%s: lost connection with delivery agent", tr->name);
        qmgr_defer_inline(e, "4.3.0", "unknown mail transport error");
        qmgr_transport_throttle(tr, "mail transport unavailable");
        return;
    }
    c->state = CONN_IDLE;
    c->next = tr->idle;
    tr->idle = c;

    hop_bad = req->hop_reason && *req->hop_reason;
    hop_dsn = "4.4.1";
    for (i = 0; i < req->nrcpt && i < e->nrcpt; i++) {
        if (req->rcpts[i].status != DELIVER_STAT_OK) {
            e->msg->deferred = 1;
            if (req->rcpts[i].dsn && req->rcpts[i].dsn[0] == '4')
                hop_dsn = req->rcpts[i].dsn;
        }
    }
    if (!hop_bad) {
        qmgr_window_success(&q->win);
    } else if (qmgr_window_failure(&q->win)) {
        char *dsn_copy = mystrdup(hop_dsn);

        qmgr_queue_throttle(q, dsn_copy, req->hop_reason);
        myfree(dsn_copy);
    }
    deliver_request_free(req);
    qmgr_entry_done(e);
}

/* conn_open - start a connection to private/<transport> */
static void conn_open(TRANSPORT *tr)
{
    VSTR *path = vstr_alloc(64);
    CONN *c;
    int fd;

    vstr_sprintf(path, "private/%s", tr->name);
    if ((fd = unix_connect(path->buf, 1, 2)) < 0) {
        msg_warn("connect to transport %s: %m", path->buf);
        vstr_free(path);
        qmgr_transport_throttle(tr, "mail transport unavailable");
        return;
    }
    c = mymalloc(sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->tr = tr;
    c->fd = fd;
    c->st = stream_fdopen(fd, path->buf);
    c->state = CONN_GREETING;
    tr->pending++;
    tr->nconn++;
    event_enable_read(fd, conn_event, c);
    vstr_free(path);
}

/* conn_send - hand the first todo entry of q to an idle connection */
static void conn_send(CONN *c, QUEUE *q)
{
    ENTRY *e = q->todo_head;
    TRANSPORT *tr = q->tr;

    q->todo_head = e->next;
    if (q->todo_head == NULL)
        q->todo_tail = NULL;
    if (q->last == e)
        q->last = NULL;
    e->next = NULL;
    c->entry = e;
    c->req = qmgr_build_request(e);
    c->state = CONN_BUSY;
    c->uses++;
    q->win.busy++;
    stream_set_timeout(c->st, 60);
    if (deliver_request_write(c->st, c->req) < 0) {
        int stale = (c->uses > 1 && !e->retried);

        deliver_request_free(c->req);
        c->req = NULL;
        c->entry = NULL;
        q->win.busy--;
        conn_close(c);
        if (stale) {
            e->retried = 1;
            e->next = q->todo_head;
            q->todo_head = e;
            if (q->todo_tail == NULL)
                q->todo_tail = e;
            ring_add(q);
            return;
        }
        msg_warn("private/%s: cannot send delivery request: %m", tr->name);
        qmgr_defer_inline(e, "4.3.0", "unknown mail transport error");
        qmgr_transport_throttle(tr, "mail transport unavailable");
    }
}

/* qmgr_dispatch - start every delivery the windows allow */
static void qmgr_dispatch(void)
{
    TRANSPORT *tr;
    QUEUE *q, *first_blocked;
    CONN *c;

    for (tr = transports; tr; tr = tr->next) {
        first_blocked = NULL;
        while (!tr->dead && tr->ring_head) {
            q = tr->ring_head;
            if (q->todo_head == NULL) {
                (void)ring_pop(tr);
                qmgr_queue_free_if_idle(q);
                continue;
            }
            if (!qmgr_window_ready(&q->win)) {
                /* Rotate; stop after a full round without progress. */
                if (q == first_blocked)
                    break;
                if (first_blocked == NULL)
                    first_blocked = q;
                (void)ring_pop(tr);
                ring_add(q);
                continue;
            }
            if ((c = tr->idle) == NULL) {
                if (tr->pending < QMGR_MAX_PENDING_CONNECT && tr->nconn < var_process_limit)
                    conn_open(tr);
                break;
            }
            tr->idle = c->next;
            c->next = NULL;
            first_blocked = NULL;
            (void)ring_pop(tr);
            conn_send(c, q);
            if (q->todo_head)
                ring_add(q);
        }
    }
}

/* qmgr_move_deferred - put an active file into deferred/ with a retry time */
static void qmgr_move_deferred(const char *qid, const char *from, long delay)
{
    VSTR *path = vstr_alloc(64);
    struct utimbuf tb;

    tb.actime = tb.modtime = time(NULL) + delay;
    mail_queue_path(path, from, qid);
    if (utime(path->buf, &tb) < 0)
        msg_warn("%s: update %s time stamps: %m", qid, path->buf);
    if (mail_queue_rename(qid, from, MAIL_QUEUE_DEFERRED) < 0)
        msg_warn("%s: rename from %s to %s: %m", qid, from, MAIL_QUEUE_DEFERRED);
    vstr_free(path);
}

/* qmgr_bounce_flush - ask the bounce service for a notification; 0 or -1 */
static int qmgr_bounce_flush(MESSAGE *m)
{
    STREAM *st;
    ATTR_LIST *list;
    long status = -1;
    int fd;

    if ((fd = unix_connect("private/bounce", 0, 10)) < 0) {
        msg_warn("connect to private/bounce: %m");
        return -1;
    }
    st = stream_fdopen(fd, "private/bounce");
    stream_set_timeout(st, 100);
    list = attr_list_alloc();
    if (attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 ||
        attr_expect(list, "protocol", "delivery_status_protocol") < 0) {
        msg_warn("private/bounce: bad or missing service greeting");
    } else if (attr_print_long(st, "nrequest", 1) < 0 ||
               attr_print_str(st, "queue_id", m->qid) < 0 ||
               attr_print_str(st, "sender", m->sender) < 0 ||
               attr_print_str(st, "queue_name", MAIL_QUEUE_ACTIVE) < 0 || attr_print_end(st) < 0 ||
               stream_flush(st) < 0 || attr_scan(st, list, ATTR_LIMIT_DEFAULT) < 0 ||
               attr_get_long(list, "status", &status) < 0) {
        msg_warn("%s: bounce service failure", m->qid);
        status = -1;
    }
    attr_list_free(list);
    (void)stream_close(st);
    return status == 0 ? 0 : -1;
}

/* log_exists - the logfile of a message in queue exists and is non-empty */
static int log_exists(const char *queue, const char *qid)
{
    VSTR *path = vstr_alloc(64);
    struct stat st;
    int ret;

    ret = stat(mail_queue_path(path, queue, qid), &st) == 0 && st.st_size > 0;
    vstr_free(path);
    return ret;
}

/*
 * qmgr_defer_to_bounce - expiry: copy the defer log into the bounce log
 * with action=failed, then remove the defer log. 0 or -1.
 */
static int qmgr_defer_to_bounce(const char *qid)
{
    VSTR *dpath = vstr_alloc(64);
    VSTR *bpath = vstr_alloc(64);
    VSTR *line = vstr_alloc(256);
    VSTR *out = vstr_alloc(1024);
    STREAM *in;
    int fd, ret = -1;

    mail_queue_path(dpath, MAIL_QUEUE_DEFER, qid);
    mail_queue_path(bpath, MAIL_QUEUE_BOUNCE, qid);
    if ((fd = open(dpath->buf, O_RDONLY | O_CLOEXEC)) < 0) {
        if (errno == ENOENT)
            ret = 0;
        else
            msg_warn("open %s: %m", dpath->buf);
        goto out;
    }
    in = stream_fdopen(fd, dpath->buf);
    while (stream_get_line(in, line, 1 << 20) != STREAM_EOF) {
        if (strcmp(line->buf, "action=delayed\n") == 0)
            vstr_addstr(out, "action=failed\n");
        else
            vstr_addmem(out, line->buf, line->len);
    }
    (void)stream_close(in);
    if ((fd = open(bpath->buf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
        msg_warn("open %s: %m", bpath->buf);
        goto out;
    }
    (void)flock(fd, LOCK_EX);
    if (write_all(fd, out->buf, out->len) < 0 || fsync(fd) < 0) {
        msg_warn("append %s: %m", bpath->buf);
        (void)close(fd);
        goto out;
    }
    (void)close(fd);
    (void)unlink(dpath->buf);
    ret = 0;
out:
    vstr_free(dpath);
    vstr_free(bpath);
    vstr_free(line);
    vstr_free(out);
    return ret;
}

/*
 * qmgr_message_finish - the end of a message's life cycle in the active
 * queue (reference 2.1 "When all in-core recipients ...", 2.7).
 */
static void qmgr_message_finish(MESSAGE *m)
{
    struct timeval now;
    long age, lifetime;
    int keep = 0;

    gettimeofday(&now, NULL);
    age = (long)(now.tv_sec - m->arrival.tv_sec);
    if (log_exists(MAIL_QUEUE_BOUNCE, m->qid) && qmgr_bounce_flush(m) < 0)
        keep = 1;
    if (m->deferred) {
        lifetime = *m->sender ? var_max_queue_lifetime : var_bounce_queue_lifetime;
        if (m->force_expire || age > lifetime) {
            msg_info("%s: from=<%s>, status=expired, returned to sender", m->qid, m->sender);
            if (qmgr_defer_to_bounce(m->qid) < 0 || qmgr_bounce_flush(m) < 0)
                keep = 1;
            else
                m->deferred = 0;
        }
    }
    if (m->deferred || keep) {
        qmgr_move_deferred(m->qid, MAIL_QUEUE_ACTIVE,
                           qmgr_backoff(age, var_min_backoff, var_max_backoff));
    } else {
        if (mail_queue_remove(MAIL_QUEUE_ACTIVE, m->qid) < 0 && errno != ENOENT)
            msg_warn("%s: remove active file: %m", m->qid);
        else
            msg_info("%s: removed", m->qid);
    }
    active_count--;
    message_free(m);
}

/* attr_dup - a qfile attribute or "" */
static char *attr_dup(const QFILE *qf, const char *name)
{
    const char *v = qfile_attr(qf, name);

    return mystrdup(v ? v : "");
}

/* lowercase_dup - ASCII lower-case copy */
static char *lowercase_dup(const char *s)
{
    char *d = mystrdup(s), *cp;

    for (cp = d; *cp; cp++)
        if (*cp >= 'A' && *cp <= 'Z')
            *cp = (char)(*cp - 'A' + 'a');
    return d;
}

/* qmgr_place_rcpt - resolve one recipient and add it to its queue */
static void qmgr_place_rcpt(MESSAGE *m, const QF_RCPT *r)
{
    TRANSPORT *tr;
    QUEUE *q;
    ENTRY *e;
    const char *transport, *nexthop;
    char *key = NULL;

    if (resolve_addr(r->address, resolve_reply) < 0) {
        transport = QMGR_RETRY_TRANSPORT;
        nexthop = "4.3.0 address resolver failure";
    } else {
        transport = resolve_reply->transport->buf;
        nexthop = resolve_reply->nexthop->buf;
    }
    tr = qmgr_transport_find(transport);
    if (tr->dead && strcmp(transport, QMGR_RETRY_TRANSPORT) != 0) {
        /* Collected into an entry of the retry queue below. */
        VSTR *next = vstr_alloc(100);

        vstr_sprintf(next, "4.3.0 %s", tr->reason ? tr->reason : "mail transport unavailable");
        tr = qmgr_transport_find(QMGR_RETRY_TRANSPORT);
        q = qmgr_queue_find(tr, next->buf, next->buf);
        vstr_free(next);
    } else {
        if (tr->rcpt_limit == 1) {
            key = lowercase_dup(r->address);
            q = qmgr_queue_find(tr, key, nexthop);
            myfree(key);
        } else {
            q = qmgr_queue_find(tr, nexthop, nexthop);
        }
        if (q->win.dead) {
            VSTR *next = vstr_alloc(100);

            vstr_sprintf(next, "4.3.0 delivery temporarily suspended: %s",
                         q->reason ? q->reason : "destination unavailable");
            tr = qmgr_transport_find(QMGR_RETRY_TRANSPORT);
            q = qmgr_queue_find(tr, next->buf, next->buf);
            vstr_free(next);
        }
    }
    e = q->last;
    if (e == NULL || e->msg != m || e->nrcpt >= q->tr->rcpt_limit) {
        e = mymalloc(sizeof(*e));
        memset(e, 0, sizeof(*e));
        e->msg = m;
        m->refcount++;
        qmgr_queue_add_entry(q, e);
        q->last = e;
    }
    entry_add_rcpt(e, r->orig, r->address, (long)r->offset, r->dsn_orig, r->notify);
}

/* qmgr_remove_defer_log - trap 9: the defer log shows only the last try */
static void qmgr_remove_defer_log(const char *qid)
{
    VSTR *path = vstr_alloc(64);

    if (unlink(mail_queue_path(path, MAIL_QUEUE_DEFER, qid)) < 0 && errno != ENOENT)
        msg_warn("%s: remove %s: %m", qid, path->buf);
    vstr_free(path);
}

/*
 * qmgr_take - move one queue file into the active queue and place its
 * recipients. Returns 1 when a message was imported, else 0.
 */
static int qmgr_take(const char *qid, SCAN *scan)
{
    struct stat st;
    VSTR *path = vstr_alloc(64);
    QFILE *qf;
    STREAM *fp;
    MESSAGE *m;
    QUEUE *q;
    TRANSPORT *tr;
    int fd, i, ret = 0;

    if (mail_open_ok(scan->queue, qid, &st, path) != 1)
        goto out;
    if (!scan->all && st.st_mtime > time(NULL) + 1)
        goto out;
    if (mail_queue_rename(qid, scan->queue, MAIL_QUEUE_ACTIVE) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: rename from %s to %s: %m", qid, scan->queue, MAIL_QUEUE_ACTIVE);
        goto out;
    }
    if ((fd = mail_queue_open(MAIL_QUEUE_ACTIVE, qid, O_RDWR | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open active file: %m", qid);
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        msg_info("%s: skipped, still being delivered", qid);
        (void)close(fd);
        qmgr_move_deferred(qid, MAIL_QUEUE_ACTIVE, QMGR_LOCKED_DELAY);
        goto out;
    }
    (void)flock(fd, LOCK_UN);
    qmgr_remove_defer_log(qid);
    fp = stream_fdopen(fd, qid);
    qf = qfile_alloc();
    if (qfile_read(fp, qf, QFILE_FLAG_NONE) < 0) {
        msg_warn("%s: %s", qid, qf->error);
        (void)stream_close(fp);
        qfile_free(qf);
        msg_warn("saving corrupt file \"%s\" from queue \"%s\" to queue \"%s\"", qid,
                 MAIL_QUEUE_ACTIVE, MAIL_QUEUE_CORRUPT);
        if (mail_queue_rename(qid, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_CORRUPT) < 0)
            msg_warn("%s: rename to corrupt: %m", qid);
        goto out;
    }
    (void)stream_close(fp);

    m = mymalloc(sizeof(*m));
    memset(m, 0, sizeof(*m));
    m->qid = mystrdup(qid);
    m->sender = mystrdup(qf->sender);
    m->encoding = attr_dup(qf, "encoding");
    m->client_name = attr_dup(qf, "log_client_name");
    m->client_addr = attr_dup(qf, "log_client_address");
    m->client_port = attr_dup(qf, "log_client_port");
    m->client_proto = attr_dup(qf, "log_protocol_name");
    m->client_helo = attr_dup(qf, "log_helo_name");
    m->rewrite_context = attr_dup(qf, "rewrite_context");
    m->arrival.tv_sec = qf->arrival_sec;
    m->arrival.tv_usec = qf->arrival_usec;
    gettimeofday(&m->active, NULL);
    m->data_offset = qf->data_offset;
    m->size = qf->content_length > 0 ? qf->content_length : qf->content_size;
    m->force_expire = (st.st_mode & MAIL_QUEUE_STAT_EXPIRE) != 0;
    active_count++;
    msg_info("%s: from=<%s>, size=%ld, nrcpt=%ld (queue active)", qid, m->sender, m->size,
             qf->rcpt_count);

    m->placing = 1;
    for (i = 0; i < qf->nrcpt; i++)
        if (!qf->rcpts[i].done)
            qmgr_place_rcpt(m, qf->rcpts + i);
    /* Close the entries being filled: the next message starts new ones. */
    for (tr = transports; tr; tr = tr->next)
        for (q = tr->ring_head; q; q = q->ring_next)
            if (q->last && q->last->msg == m)
                q->last = NULL;
    m->placing = 0;
    qfile_free(qf);
    ret = 1;
    if (m->refcount == 0)
        qmgr_message_finish(m);
out:
    vstr_free(path);
    return ret;
}

/* scan_collect - mail_queue_scan callback */
static void scan_collect(const char *qid, void *ctx)
{
    argv_add((ARGV *)ctx, qid, (char *)0);
}

/* scan_next - the next queue ID of a scan, starting a requested scan */
static const char *scan_next(SCAN *s)
{
    if (s->list && s->next >= s->list->argc) {
        argv_free(s->list);
        s->list = NULL;
    }
    if (s->list == NULL) {
        if (!s->requested)
            return NULL;
        s->all = (s->requested > 1);
        s->requested = 0;
        s->list = argv_alloc(16);
        s->next = 0;
        mail_queue_scan(s->queue, scan_collect, s->list);
    }
    if (s->next < s->list->argc)
        return s->list->argv[s->next++];
    return NULL;
}

/* scan_busy - a scan has work */
static int scan_busy(const SCAN *s)
{
    return s->requested || (s->list && s->next < s->list->argc);
}

/* qmgr_flow_topup - keep default_process_limit tokens in the flow pipe */
static void qmgr_flow_topup(void)
{
    int n = mail_flow_count();

    if (n >= 0 && n < var_process_limit)
        (void)mail_flow_put((int)var_process_limit - n);
}

/* qmgr_feed - import up to a batch of messages, alternating scans */
static void qmgr_feed(void)
{
    const char *qid;
    SCAN *s;
    int taken = 0, tries;

    for (tries = 0; taken < QMGR_FEED_BATCH && active_count < var_active_limit && tries < 1000;
         tries++) {
        if (!scan_busy(&incoming_scan) && !scan_busy(&deferred_scan))
            break;
        s = (scan_turn++ & 1) ? &deferred_scan : &incoming_scan;
        if (!scan_busy(s))
            s = (s == &incoming_scan) ? &deferred_scan : &incoming_scan;
        if ((qid = scan_next(s)) == NULL)
            continue;
        {
            char *copy = mystrdup(qid);

            if (qmgr_take(copy, s)) {
                taken++;
                if (s == &incoming_scan)
                    (void)mail_flow_put(1);
            }
            myfree(copy);
        }
    }
    if (!scan_busy(&incoming_scan))
        qmgr_flow_topup();
}

/* qmgr_loop - work between events; returns the longest wait in ms */
static long qmgr_loop(void)
{
    int pass = 0;

    qmgr_feed();
    do {
        work_added = 0;
        qmgr_dispatch();
    } while (work_added && ++pass < 3);
    if (active_count < var_active_limit && (scan_busy(&incoming_scan) || scan_busy(&deferred_scan)))
        return 0;
    return -1;
}

/* qmgr_deferred_timer - periodic deferred queue scan */
static void qmgr_deferred_timer(int event, void *ctx)
{
    if (!deferred_scan.requested)
        deferred_scan.requested = 1;
    event_request_timer(qmgr_deferred_timer, NULL, var_queue_run_delay * 1000);
}

/* qmgr_unthrottle_all - trigger F: forget every throttle */
static void qmgr_unthrottle_all(void)
{
    TRANSPORT *tr;
    QUEUE *q, *next;
    int h;

    for (tr = transports; tr; tr = tr->next) {
        if (tr->dead) {
            (void)event_cancel_timer(qmgr_transport_unthrottle_event, tr);
            qmgr_transport_unthrottle_event(EVENT_TIME, tr);
        }
    }
    for (h = 0; h < QUEUE_HASH_SIZE; h++) {
        for (q = queue_hash[h]; q; q = next) {
            next = q->hash_next;
            if (q->win.dead) {
                (void)event_cancel_timer(qmgr_queue_unthrottle_event, q);
                qmgr_queue_unthrottle_event(EVENT_TIME, q);
            }
        }
    }
}

/* qmgr_trigger - a wake-up request (reference 4.8) */
static void qmgr_trigger(const char *buf, size_t len, const char *service, char **argv)
{
    int seen[256] = {0};
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (seen[ch]++)
            continue;
        switch (ch) {
        case 'W':
        case 'I':
            incoming_scan.requested = 1;
            break;
        case 'D':
            if (!deferred_scan.requested)
                deferred_scan.requested = 1;
            break;
        case 'A':
            deferred_scan.requested = 2;
            break;
        case 'F':
            qmgr_unthrottle_all();
            break;
        default:
            if (msg_verbose)
                msg_info("ignoring unknown trigger request 0x%02x", ch);
            break;
        }
    }
}

/* active_to_incoming - startup: requeue what a predecessor left active */
static void active_to_incoming(const char *qid, void *ctx)
{
    if (mail_queue_rename(qid, MAIL_QUEUE_ACTIVE, MAIL_QUEUE_INCOMING) < 0 && errno != ENOENT)
        msg_warn("%s: rename from active to incoming: %m", qid);
}

/* qmgr_post_init - configuration and startup scans */
static void qmgr_post_init(const char *service, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    var_active_limit = cfg_long("qmgr_message_active_limit");
    var_transport_retry_time = cfg_time("transport_retry_time");
    var_min_backoff = cfg_time("minimal_backoff_time");
    var_max_backoff = cfg_time("maximal_backoff_time");
    var_queue_run_delay = cfg_time("queue_run_delay");
    var_max_queue_lifetime = cfg_time("maximal_queue_lifetime");
    var_bounce_queue_lifetime = cfg_time("bounce_queue_lifetime");
    var_process_limit = cfg_long("default_process_limit");
    var_initial_conc = (int)cfg_long("initial_destination_concurrency");
    if (var_active_limit <= 0)
        var_active_limit = 20000;
    if (var_process_limit <= 0)
        var_process_limit = 100;
    if (var_queue_run_delay <= 0)
        var_queue_run_delay = 300;
    if (var_transport_retry_time <= 0)
        var_transport_retry_time = 60;
    resolve_init();
    resolve_reply = resolve_reply_alloc();
    mail_queue_scan(MAIL_QUEUE_ACTIVE, active_to_incoming, NULL);
    incoming_scan.requested = 1;
    deferred_scan.requested = 1;
    event_request_timer(qmgr_deferred_timer, NULL, var_queue_run_delay * 1000);
}

/*
 * main - qmgr entry point: a trigger_server_main() daemon.
 */
int main(int argc, char **argv)
{
    static const SERVER_OPTS opts = {
        .post_init = qmgr_post_init,
        .loop = qmgr_loop,
    };

    msg_init(argv[0], MSG_SYSLOG);
    trigger_server_main(argc, argv, qmgr_trigger, &opts);
}
