/*
 * NAME
 *   qmgr_sched - concurrency window feedback and retry backoff
 *
 * DESCRIPTION
 *   The I/O-free scheduling arithmetic of qmgr(8), see qmgr_sched.h:
 *   Postfix's "slow start" concurrency window with positive and negative
 *   feedback and failed-cohort throttling (reference 6.3,
 *   qmgr_queue.c/qmgr_feedback.c behaviour with the default feedback of 1),
 *   and the deferred-queue backoff (reference 2.7: the message age clamped
 *   to [minimal_backoff_time, maximal_backoff_time]).
 *
 * DIAGNOSTICS
 *   None; the caller logs.
 */
#include "qmgr_sched.h"

/* min_limit - initial concurrency capped by the limit (<= 0: none) */
static int min_limit(int initial, int limit)
{
    if (initial < 1)
        initial = 1;
    return (limit > 0 && limit < initial) ? limit : initial;
}

/*
 * qmgr_window_init - a new queue's window: min(initial, limit).
 */
void qmgr_window_init(QMGR_WINDOW *w, int initial, int limit, double cohort_limit)
{
    w->initial = initial;
    w->limit = limit;
    w->window = min_limit(initial, limit);
    w->busy = 0;
    w->success = 0;
    w->fail_cohorts = 0;
    w->cohort_limit = cohort_limit > 0 ? cohort_limit : 1;
    w->dead = 0;
}

/*
 * qmgr_window_success - positive feedback for one delivery whose hop was
 * fine: grow by one per unit of feedback while window < busy + initial and
 * below the limit; a success resets the failed cohorts.
 */
void qmgr_window_success(QMGR_WINDOW *w)
{
    if (w->dead)
        return;
    w->fail_cohorts = 0;
    w->success += 1.0;
    while (w->success >= 1.0) {
        w->success -= 1.0;
        if (w->window < w->busy + w->initial && (w->limit <= 0 || w->window < w->limit))
            w->window++;
    }
}

/*
 * qmgr_window_failure - negative feedback (non-empty hop reason). Returns 1
 * when the queue must be throttled (and marks it so), else 0.
 */
int qmgr_window_failure(QMGR_WINDOW *w)
{
    if (w->dead)
        return 1;
    w->success = 0;
    w->fail_cohorts += 1.0 / (w->window > 0 ? w->window : 1);
    if (w->window > 1)
        w->window--;
    if (w->fail_cohorts >= w->cohort_limit) {
        w->window = 0;
        w->dead = 1;
        return 1;
    }
    return 0;
}

/*
 * qmgr_window_unthrottle - end of a throttle: window back to the busy count
 * or the initial concurrency, whichever is larger.
 */
void qmgr_window_unthrottle(QMGR_WINDOW *w)
{
    int init = min_limit(w->initial, w->limit);

    w->window = w->busy > init ? w->busy : init;
    w->dead = 0;
    w->fail_cohorts = 0;
    w->success = 0;
}

/*
 * qmgr_window_ready - 1 if another delivery may start now.
 */
int qmgr_window_ready(const QMGR_WINDOW *w)
{
    return !w->dead && w->busy < w->window;
}

/*
 * qmgr_backoff - seconds until the next retry: age clamped to
 * [min_backoff, max_backoff] (max wins if they conflict).
 */
long qmgr_backoff(long age, long min_backoff, long max_backoff)
{
    long d = age;

    if (d < min_backoff)
        d = min_backoff;
    if (d > max_backoff)
        d = max_backoff;
    if (d < 0)
        d = 0;
    return d;
}
