/*
 * NAME
 *      events - single-threaded event loop (epoll) with one-shot timers
 *
 * DESCRIPTION
 *      See events.h; the role of Postfix's events.c. Each fd has at most
 *      one read and one write callback, kept in a table indexed by fd and
 *      registered level-triggered with epoll. Timers are a list sorted by
 *      deadline; a (fn, ctx) pair has at most one pending timer, so asking
 *      again moves its deadline (Postfix event_request_timer semantics).
 *      event_loop() waits once, then runs each ready I/O callback and every
 *      timer that is due. Callbacks may add or remove any event: the
 *      callback for an fd is looked up again just before it is called.
 *      Hang-ups and errors are delivered to the read callback (or else to
 *      the write callback) so that the owner notices EOF.
 *
 * DIAGNOSTICS
 *      Failure of epoll_create/epoll_ctl/epoll_wait (other than EINTR) is
 *      fatal, as is a negative fd.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "events.h"
#include "msg.h"
#include "mymalloc.h"

typedef struct EVENT_FD {
    EVENT_FN rfn;
    void *rctx;
    EVENT_FN wfn;
    void *wctx;
    unsigned mask; /* EPOLLIN/EPOLLOUT currently registered */
} EVENT_FD;

typedef struct EVENT_TIMER {
    struct EVENT_TIMER *next;
    long long when;    /* event_now_ms() deadline */
    unsigned long seq; /* request order, to defer timers set by callbacks */
    EVENT_FN fn;
    void *ctx;
} EVENT_TIMER;

static int event_epfd = -1;
static pid_t event_pid; /* epoll set belongs to this process */
static EVENT_FD *event_fds;
static int event_nfds;
static EVENT_TIMER *event_timers;
static unsigned long event_timer_seq;

/*
 * event_now_ms - monotonic clock in milliseconds.
 */
long long event_now_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
        msg_fatal("clock_gettime: %m");
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* event_init - create the epoll set (again in a forked child). */
static void event_init(void)
{
    if (event_epfd >= 0 && event_pid == getpid())
        return;
    if (event_epfd >= 0)
        close(event_epfd);
    if ((event_epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        msg_fatal("epoll_create1: %m");
    event_pid = getpid();
    /* A child inherits no registrations: re-register what we know. */
    for (int fd = 0; fd < event_nfds; fd++) {
        if (event_fds[fd].mask) {
            struct epoll_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.events = event_fds[fd].mask;
            ev.data.fd = fd;
            if (epoll_ctl(event_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                event_fds[fd].mask = 0;
        }
    }
}

/* event_slot - the table entry for fd, growing the table. */
static EVENT_FD *event_slot(int fd)
{
    int n;

    if (fd < 0)
        msg_panic("event_slot: bad file descriptor %d", fd);
    if (fd >= event_nfds) {
        n = event_nfds ? event_nfds : 64;
        while (n <= fd)
            n *= 2;
        event_fds = myrealloc(event_fds, sizeof(EVENT_FD) * (size_t)n);
        memset(event_fds + event_nfds, 0, sizeof(EVENT_FD) * (size_t)(n - event_nfds));
        event_nfds = n;
    }
    return event_fds + fd;
}

/* event_update - register the wanted mask for fd with epoll. */
static void event_update(int fd, EVENT_FD *slot)
{
    struct epoll_event ev;
    unsigned want = (slot->rfn ? EPOLLIN : 0) | (slot->wfn ? EPOLLOUT : 0);
    int op;

    if (want == slot->mask)
        return;
    memset(&ev, 0, sizeof(ev));
    ev.events = want;
    ev.data.fd = fd;
    op = slot->mask == 0 ? EPOLL_CTL_ADD : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(event_epfd, op, fd, &ev) < 0) {
        if (op == EPOLL_CTL_DEL && (errno == EBADF || errno == ENOENT)) {
            /* fd already closed: the kernel dropped it. */
        } else if (op == EPOLL_CTL_ADD && errno == EEXIST) {
            if (epoll_ctl(event_epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
                msg_fatal("epoll_ctl MOD fd %d: %m", fd);
        } else if (op == EPOLL_CTL_MOD && errno == ENOENT) {
            if (epoll_ctl(event_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
                msg_fatal("epoll_ctl ADD fd %d: %m", fd);
        } else {
            msg_fatal("epoll_ctl fd %d: %m", fd);
        }
    }
    slot->mask = want;
}

/*
 * event_enable_read - call fn(EVENT_READ, ctx) whenever fd is readable
 * (replaces an earlier read callback for fd).
 */
void event_enable_read(int fd, EVENT_FN fn, void *ctx)
{
    EVENT_FD *slot;

    event_init();
    slot = event_slot(fd);
    slot->rfn = fn;
    slot->rctx = ctx;
    event_update(fd, slot);
}

/*
 * event_enable_write - call fn(EVENT_WRITE, ctx) whenever fd is writable.
 */
void event_enable_write(int fd, EVENT_FN fn, void *ctx)
{
    EVENT_FD *slot;

    event_init();
    slot = event_slot(fd);
    slot->wfn = fn;
    slot->wctx = ctx;
    event_update(fd, slot);
}

/*
 * event_disable_readwrite - forget both callbacks for fd (call before
 * closing it).
 */
void event_disable_readwrite(int fd)
{
    EVENT_FD *slot;

    if (fd < 0 || fd >= event_nfds)
        return;
    event_init();
    slot = event_fds + fd;
    slot->rfn = slot->wfn = NULL;
    slot->rctx = slot->wctx = NULL;
    event_update(fd, slot);
}

/*
 * event_request_timer - one call fn(EVENT_TIME, ctx) after delay_ms
 * milliseconds; an existing timer for (fn, ctx) is moved.
 */
void event_request_timer(EVENT_FN fn, void *ctx, long delay_ms)
{
    EVENT_TIMER *t;
    EVENT_TIMER **pp;

    (void)event_cancel_timer(fn, ctx);
    t = mymalloc(sizeof(*t));
    t->when = event_now_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->fn = fn;
    t->ctx = ctx;
    t->seq = event_timer_seq++;
    for (pp = &event_timers; *pp && (*pp)->when <= t->when; pp = &(*pp)->next)
        /* void */;
    t->next = *pp;
    *pp = t;
}

/*
 * event_cancel_timer - remove the pending timer for (fn, ctx); returns 1
 * if there was one, else 0.
 */
int event_cancel_timer(EVENT_FN fn, void *ctx)
{
    EVENT_TIMER **pp;
    EVENT_TIMER *t;

    for (pp = &event_timers; (t = *pp) != NULL; pp = &t->next) {
        if (t->fn == fn && t->ctx == ctx) {
            *pp = t->next;
            myfree(t);
            return 1;
        }
    }
    return 0;
}

/*
 * event_loop - wait at most timeout_ms (-1: until an event or timer), run
 * every ready callback and every due timer once.
 */
void event_loop(long timeout_ms)
{
    struct epoll_event evs[64];
    long long now;
    long long wait;
    long long deadline;
    unsigned long limit;
    EVENT_TIMER *t;
    EVENT_FD *slot;
    int n;
    int i;
    int fd;

    event_init();
    wait = timeout_ms;
    if (event_timers) {
        now = event_now_ms();
        deadline = event_timers->when - now;
        if (deadline < 0)
            deadline = 0;
        if (wait < 0 || deadline < wait)
            wait = deadline;
    }
    if (wait > 0x7fffffff)
        wait = 0x7fffffff;
    n = epoll_wait(event_epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), (int)wait);
    if (n < 0) {
        if (errno != EINTR)
            msg_fatal("epoll_wait: %m");
        n = 0;
    }
    for (i = 0; i < n; i++) {
        fd = evs[i].data.fd;
        if (fd < 0 || fd >= event_nfds)
            continue;
        if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            slot = event_fds + fd;
            if (slot->rfn)
                slot->rfn(EVENT_READ, slot->rctx);
            else if (slot->wfn && !(evs[i].events & EPOLLOUT))
                slot->wfn(EVENT_WRITE, slot->wctx);
        }
        if (evs[i].events & EPOLLOUT) {
            slot = event_fds + fd; /* the table may have moved */
            if (slot->wfn)
                slot->wfn(EVENT_WRITE, slot->wctx);
        }
    }
    /* Run due timers; a timer requested by a callback waits for next time. */
    now = event_now_ms();
    limit = event_timer_seq;
    for (;;) {
        EVENT_TIMER **pp;
        EVENT_FN fn;
        void *ctx;

        for (pp = &event_timers; (t = *pp) != NULL && t->when <= now; pp = &t->next)
            if (t->seq < limit)
                break;
        if (t == NULL || t->when > now)
            break;
        fn = t->fn;
        ctx = t->ctx;
        *pp = t->next;
        myfree(t);
        fn(EVENT_TIME, ctx);
    }
}
