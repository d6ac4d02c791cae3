/*
 * qmgr_sched - the pure pieces of the qmgr scheduler, kept free of I/O so
 * that tests/unit/test_qmgr_sched.c can check them (reference 2.7, 6.3).
 *
 * QMGR_WINDOW is one destination queue's concurrency window:
 * qmgr_window_init(w, initial, limit, cohort_limit) starts at
 * min(initial, limit) (limit <= 0: no limit). qmgr_window_success(w) is
 * positive feedback (+1 per delivery with an empty hop reason): the window
 * grows by one while window < busy + initial and below the limit, and the
 * failed-cohort count is reset. qmgr_window_failure(w) is negative feedback:
 * window - 1 (not below 1) and fail_cohorts += 1/window; returns 1 when
 * fail_cohorts reached the cohort limit, in which case the queue is now
 * throttled (window 0, dead). qmgr_window_unthrottle(w) restores the window
 * to max(busy, min(initial, limit)). qmgr_window_ready(w) tells whether one
 * more delivery may start (busy < window).
 *
 * qmgr_backoff(age, min, max) is the deferred-queue retry delay in seconds:
 * age clamped to [min, max] (reference 2.7, trap 6).
 */
#ifndef POSTERN_QMGR_SCHED_H
#define POSTERN_QMGR_SCHED_H

typedef struct QMGR_WINDOW {
    int window;          /* concurrency now; 0 = throttled */
    int busy;            /* deliveries in progress */
    int initial;         /* initial_destination_concurrency */
    int limit;           /* <t>_destination_concurrency_limit, <= 0: none */
    double success;      /* positive feedback accumulator */
    double fail_cohorts; /* negative feedback accumulator */
    double cohort_limit; /* <t>_destination_concurrency_failed_cohort_limit */
    int dead;            /* throttled */
} QMGR_WINDOW;

extern void qmgr_window_init(QMGR_WINDOW *w, int initial, int limit, double cohort_limit);
extern void qmgr_window_success(QMGR_WINDOW *w);
extern int qmgr_window_failure(QMGR_WINDOW *w);
extern void qmgr_window_unthrottle(QMGR_WINDOW *w);
extern int qmgr_window_ready(const QMGR_WINDOW *w);
extern long qmgr_backoff(long age, long min_backoff, long max_backoff);

#endif
