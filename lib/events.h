/*
 * events - a small single-threaded event loop (epoll) with timers.
 *
 * event_enable_read(fd, fn, ctx) / event_enable_write(fd, fn, ctx) call
 * fn(EVENT_READ or EVENT_WRITE, ctx) when fd is ready; a fd has at most one
 * read and one write callback. event_disable_readwrite(fd) removes both
 * (call it before closing fd). event_request_timer(fn, ctx, delay_ms)
 * arranges one call fn(EVENT_TIME, ctx) after delay_ms milliseconds; asking
 * again for the same (fn, ctx) moves the deadline. event_cancel_timer(fn,
 * ctx) removes it (returns 1 if one was pending). event_loop(timeout_ms)
 * waits at most timeout_ms (-1: until something happens), then runs every
 * ready callback and due timer once. Callbacks may add or remove events.
 * event_now_ms() is the loop's monotonic clock in milliseconds.
 * Failures of epoll itself are fatal.
 */
#ifndef POSTERN_EVENTS_H
#define POSTERN_EVENTS_H

#define EVENT_READ (1 << 0)
#define EVENT_WRITE (1 << 1)
#define EVENT_XCPT (1 << 2)
#define EVENT_TIME (1 << 3)

typedef void (*EVENT_FN)(int event, void *ctx);

extern void event_enable_read(int fd, EVENT_FN fn, void *ctx);
extern void event_enable_write(int fd, EVENT_FN fn, void *ctx);
extern void event_disable_readwrite(int fd);
extern void event_request_timer(EVENT_FN fn, void *ctx, long delay_ms);
extern int event_cancel_timer(EVENT_FN fn, void *ctx);
extern void event_loop(long timeout_ms);
extern long long event_now_ms(void);

#endif
