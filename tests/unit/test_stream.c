/*
 * NAME
 *      test_stream - unit tests for lib/stream.c
 *
 * DESCRIPTION
 *      Line reading with limits, partial last lines, exact reads, write
 *      buffering beyond the buffer size, read timeouts on a socketpair,
 *      and seek/tell/overwrite on a temporary file.
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mymalloc.h"
#include "stream.h"

static void test_lines(void **state)
{
    int fds[2];
    STREAM *rd;
    VSTR *v = vstr_alloc(8);

    assert_int_equal(pipe(fds), 0);
    assert_int_equal(write(fds[1], "abc\nlonger line\nlast", 20), 20);
    close(fds[1]);
    rd = stream_fdopen(fds[0], "pipe");
    assert_int_equal(stream_get_line(rd, v, 100), '\n');
    assert_string_equal(VSTR_STR(v), "abc\n");
    /* The limit cuts the line; the rest comes next. */
    assert_int_equal(stream_get_line(rd, v, 6), 'r');
    assert_string_equal(VSTR_STR(v), "longer");
    assert_int_equal(stream_bufcount(rd), 10);
    assert_int_equal(stream_get_line(rd, v, 100), '\n');
    assert_string_equal(VSTR_STR(v), " line\n");
    assert_int_equal(stream_get_line(rd, v, 100), 't');
    assert_string_equal(VSTR_STR(v), "last");
    assert_int_equal(stream_get_line(rd, v, 100), STREAM_EOF);
    assert_int_equal(VSTR_LEN(v), 0);
    assert_true(stream_eof(rd));
    assert_false(stream_error(rd));
    assert_int_equal(stream_getc(rd), STREAM_EOF);
    stream_close(rd);
    vstr_free(v);
}

static void test_getc_read(void **state)
{
    int fds[2];
    STREAM *wr;
    STREAM *rd;
    char *big = mymalloc(100000);
    char *got = mymalloc(100000);
    size_t i;

    for (i = 0; i < 100000; i++)
        big[i] = (char)(i * 7);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    wr = stream_fdopen(fds[0], "w");
    rd = stream_fdopen(fds[1], "r");
    if (fork() == 0) {
        stream_free(rd);
        stream_putc(wr, 'Z');
        stream_write(wr, big, 100000);
        stream_printf(wr, "%d-%s", 12, "end");
        _exit(stream_close(wr) == 0 ? 0 : 1);
    }
    stream_free(wr);
    close(fds[0]);
    assert_int_equal(stream_getc(rd), 'Z');
    assert_int_equal(stream_read(rd, got, 100000), 100000);
    assert_memory_equal(got, big, 100000);
    assert_int_equal(stream_read(rd, got, 100), 6);
    assert_memory_equal(got, "12-end", 6);
    assert_true(stream_eof(rd));
    stream_close(rd);
    myfree(big);
    myfree(got);
}

static void test_timeout(void **state)
{
    int fds[2];
    STREAM *rd;
    VSTR *v = vstr_alloc(8);
    time_t start;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    rd = stream_fdopen(fds[1], "r");
    stream_set_timeout(rd, 1);
    assert_int_equal(write(fds[0], "partial", 7), 7);
    start = time(NULL);
    assert_int_equal(stream_get_line(rd, v, 100), 'l');
    assert_string_equal(VSTR_STR(v), "partial");
    assert_true(stream_timedout(rd));
    assert_true(stream_error(rd));
    assert_true(time(NULL) - start >= 1);
    assert_int_equal(stream_getc(rd), STREAM_EOF);
    stream_clearerr(rd);
    assert_false(stream_timedout(rd));
    assert_int_equal(write(fds[0], "x", 1), 1);
    assert_int_equal(stream_getc(rd), 'x');
    close(fds[0]);
    stream_close(rd);
    vstr_free(v);
}

static void test_write_error(void **state)
{
    int fds[2];
    STREAM *wr;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    close(fds[1]);
    wr = stream_fdopen(fds[0], "w");
    assert_int_equal(stream_puts(wr, "hello"), 0);
    assert_int_equal(stream_flush(wr), -1); /* EPIPE, no SIGPIPE */
    assert_true(stream_error(wr));
    assert_int_equal(stream_puts(wr, "more"), -1); /* sticky */
    assert_int_equal(stream_close(wr), -1);
}

static void test_seek_tell(void **state)
{
    char path[] = "/tmp/test_stream.XXXXXX";
    int fd = mkstemp(path);
    STREAM *st;
    VSTR *v = vstr_alloc(8);
    char buf[16];

    assert_true(fd >= 0);
    unlink(path);
    st = stream_fdopen(fd, path);
    assert_int_equal(stream_puts(st, "line one\nRline two\n"), 0);
    assert_int_equal(stream_tell(st), 19);
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    assert_int_equal(stream_get_line(st, v, 100), '\n');
    assert_int_equal(stream_tell(st), 9);
    /* Overwrite one byte at the logical position after reading. */
    assert_int_equal(stream_putc(st, 'D'), 0);
    assert_int_equal(stream_flush(st), 0);
    assert_int_equal(stream_tell(st), 10);
    assert_int_equal(stream_seek(st, 9, SEEK_SET), 9);
    assert_int_equal(stream_get_line(st, v, 100), '\n');
    assert_string_equal(VSTR_STR(v), "Dline two\n");
    assert_int_equal(stream_seek(st, -4, SEEK_END), 15);
    assert_int_equal(stream_read(st, buf, 4), 4);
    assert_memory_equal(buf, "two\n", 4);
    assert_int_equal(stream_seek(st, 5, SEEK_SET), 5);
    assert_int_equal(stream_getc(st), 'o');
    assert_int_equal(stream_seek(st, 1, SEEK_CUR), 7);
    assert_int_equal(stream_getc(st), 'e');
    assert_int_equal(stream_close(st), 0);
    vstr_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),     cmocka_unit_test(test_getc_read),
        cmocka_unit_test(test_timeout),   cmocka_unit_test(test_write_error),
        cmocka_unit_test(test_seek_tell),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
