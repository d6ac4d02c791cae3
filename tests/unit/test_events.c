/*
 * NAME
 *      test_events - unit tests for lib/events.c
 *
 * DESCRIPTION
 *      Read and write callbacks on a socketpair, disabling, timer order,
 *      moving and cancelling timers, and a timer re-requested from its own
 *      callback with delay 0 not running twice in one event_loop() call.
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "events.h"

static int reads;
static int writes;
static char order[16];
static int norder;

static void on_read(int event, void *ctx)
{
    char buf[16];
    int fd = *(int *)ctx;

    assert_int_equal(event, EVENT_READ);
    if (read(fd, buf, sizeof(buf)) > 0)
        reads++;
}

static void on_write(int event, void *ctx)
{
    assert_int_equal(event, EVENT_WRITE);
    writes++;
    event_disable_readwrite(*(int *)ctx);
}

static void test_io(void **state)
{
    int fds[2];

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    event_enable_read(fds[1], on_read, &fds[1]);
    event_loop(50);
    assert_int_equal(reads, 0);
    assert_int_equal(write(fds[0], "x", 1), 1);
    event_loop(1000);
    assert_int_equal(reads, 1);
    event_enable_write(fds[1], on_write, &fds[1]);
    event_loop(1000);
    assert_int_equal(writes, 1);
    /* on_write disabled both callbacks: nothing fires any more. */
    assert_int_equal(write(fds[0], "y", 1), 1);
    event_loop(50);
    assert_int_equal(reads, 1);
    assert_int_equal(writes, 1);
    close(fds[0]);
    close(fds[1]);
}

static void on_timer(int event, void *ctx)
{
    assert_int_equal(event, EVENT_TIME);
    order[norder++] = *(char *)ctx;
}

static void test_timers(void **state)
{
    static char a = 'a', b = 'b', c = 'c';
    long long start = event_now_ms();

    norder = 0;
    event_request_timer(on_timer, &a, 60);
    event_request_timer(on_timer, &b, 20);
    event_request_timer(on_timer, &c, 40);
    assert_int_equal(event_cancel_timer(on_timer, &c), 1);
    assert_int_equal(event_cancel_timer(on_timer, &c), 0);
    event_request_timer(on_timer, &b, 80); /* moved after a */
    while (norder < 2 && event_now_ms() - start < 2000)
        event_loop(-1);
    order[norder] = 0;
    assert_string_equal(order, "ab");
    assert_true(event_now_ms() - start >= 80);
}

static int again_count;

static void on_again(int event, void *ctx)
{
    again_count++;
    event_request_timer(on_again, ctx, 0);
}

static void test_timer_rearm(void **state)
{
    event_request_timer(on_again, NULL, 0);
    event_loop(0);
    assert_int_equal(again_count, 1);
    event_loop(0);
    assert_int_equal(again_count, 2);
    assert_int_equal(event_cancel_timer(on_again, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io),
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_timer_rearm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
