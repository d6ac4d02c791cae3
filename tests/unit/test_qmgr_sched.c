/*
 * NAME
 *   test_qmgr_sched - unit tests for qmgr/qmgr_sched.c
 *
 * DESCRIPTION
 *   The deferred-queue backoff clamp (reference 2.7, trap 6) and the
 *   concurrency window: initial value, slow-start growth bounded by
 *   busy + initial and the limit, negative feedback, failed-cohort
 *   throttling and unthrottling (reference 6.3). The module is compiled
 *   into this program directly (qmgr objects are not in the library).
 *
 * DIAGNOSTICS
 *   cmocka output; non-zero exit status on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../qmgr/qmgr_sched.c"

static void test_backoff(void **state)
{
    assert_int_equal(qmgr_backoff(0, 300, 4000), 300);
    assert_int_equal(qmgr_backoff(299, 300, 4000), 300);
    assert_int_equal(qmgr_backoff(301, 300, 4000), 301);
    assert_int_equal(qmgr_backoff(1800, 300, 4000), 1800);
    assert_int_equal(qmgr_backoff(4001, 300, 4000), 4000);
    assert_int_equal(qmgr_backoff(5 * 86400, 300, 4000), 4000);
    assert_int_equal(qmgr_backoff(-5, 300, 4000), 300);
}

static void test_window_init(void **state)
{
    QMGR_WINDOW w;

    qmgr_window_init(&w, 5, 20, 1);
    assert_int_equal(w.window, 5);
    assert_false(w.dead);
    qmgr_window_init(&w, 5, 2, 1); /* local: limit 2 */
    assert_int_equal(w.window, 2);
    qmgr_window_init(&w, 5, 0, 1); /* no limit */
    assert_int_equal(w.window, 5);
}

static void test_window_growth(void **state)
{
    QMGR_WINDOW w;
    int i;

    qmgr_window_init(&w, 5, 20, 1);
    /* Idle queue: window may not exceed busy + initial. */
    qmgr_window_success(&w);
    assert_int_equal(w.window, 5);
    /* Busy queue: grows by one per success. */
    w.busy = 5;
    qmgr_window_success(&w);
    assert_int_equal(w.window, 6);
    qmgr_window_success(&w);
    assert_int_equal(w.window, 7);
    /* Capped by the transport limit. */
    w.busy = 20;
    for (i = 0; i < 50; i++)
        qmgr_window_success(&w);
    assert_int_equal(w.window, 20);
    assert_true(qmgr_window_ready(&w) == 0); /* busy 20, window 20 */
    w.busy = 19;
    assert_true(qmgr_window_ready(&w));
}

static void test_window_failure_throttle(void **state)
{
    QMGR_WINDOW w;
    int i, throttled = 0;

    qmgr_window_init(&w, 5, 20, 1);
    /* fail_cohorts += 1/window per failure: 1/5+1/4+1/3 < 1, +1/2 >= 1 */
    assert_int_equal(qmgr_window_failure(&w), 0);
    assert_int_equal(w.window, 4);
    assert_int_equal(qmgr_window_failure(&w), 0);
    assert_int_equal(w.window, 3);
    assert_int_equal(qmgr_window_failure(&w), 0);
    assert_int_equal(w.window, 2);
    assert_int_equal(qmgr_window_failure(&w), 1);
    assert_int_equal(w.window, 0);
    assert_true(w.dead);
    assert_false(qmgr_window_ready(&w));
    /* Success does not revive a dead queue; the timer does. */
    qmgr_window_success(&w);
    assert_int_equal(w.window, 0);
    qmgr_window_unthrottle(&w);
    assert_false(w.dead);
    assert_int_equal(w.window, 5);
    assert_true(qmgr_window_ready(&w));

    /* A success in between resets the cohort count. */
    qmgr_window_init(&w, 1, 20, 2);
    for (i = 0; i < 10; i++) {
        throttled |= qmgr_window_failure(&w);
        qmgr_window_success(&w);
    }
    assert_int_equal(throttled, 0);
    /* With cohort limit 2 and window 1, two failures in a row throttle. */
    assert_int_equal(qmgr_window_failure(&w), 0);
    assert_int_equal(qmgr_window_failure(&w), 1);
    assert_int_equal(w.window, 0);
    /* Never below 1 before throttling; unthrottle honours busy. */
    w.busy = 7;
    qmgr_window_unthrottle(&w);
    assert_int_equal(w.window, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_window_init),
        cmocka_unit_test(test_window_growth),
        cmocka_unit_test(test_window_failure_throttle),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
