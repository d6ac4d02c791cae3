/*
 * NAME
 *      test_record - unit tests for lib/record.c
 *
 * DESCRIPTION
 *      Checks the base-128 little-endian length encoding against known
 *      bytes (reference 3.1, trap 1: 18 -> 0x12, 200 -> 0xC8 0x01), the
 *      decoder's refusal of truncated records, overflowing lengths and
 *      lengths above the caller's limit, pointer following with the
 *      10000-jump loop limit, 'w' skipping and END positioning.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "record.h"
#include "stream.h"
#include "vstr.h"

/* tmp_stream - a stream on an anonymous temporary file holding data */
static STREAM *tmp_stream(const void *data, size_t len)
{
    char path[] = "/tmp/test_recordXXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    unlink(path);
    if (len)
        assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    return stream_fdopen(fd, "test");
}

/* file_bytes - everything written to the stream's file */
static size_t file_bytes(STREAM *st, unsigned char *out, size_t max)
{
    ssize_t n;

    assert_int_equal(stream_flush(st), 0);
    n = pread(stream_fileno(st), out, max, 0);
    assert_true(n >= 0);
    return (size_t)n;
}

static void test_encode_known(void **state)
{
    STREAM *st = tmp_stream(NULL, 0);
    unsigned char out[512];
    char data[200];
    size_t n;

    memset(data, 'x', sizeof(data));
    assert_int_equal(rec_put(st, 'N', data, 18), 'N');
    n = file_bytes(st, out, sizeof(out));
    assert_int_equal(n, 20);
    assert_int_equal(out[0], 'N');
    assert_int_equal(out[1], 0x12);

    assert_int_equal(rec_put(st, 'N', data, 200), 'N');
    n = file_bytes(st, out, sizeof(out));
    assert_int_equal(n, 20 + 3 + 200);
    assert_int_equal(out[20], 'N');
    assert_int_equal(out[21], 0xC8);
    assert_int_equal(out[22], 0x01);

    assert_int_equal(rec_put(st, 'M', "", 0), 'M');
    n = file_bytes(st, out, sizeof(out));
    assert_int_equal(n, 225);
    assert_int_equal(out[223], 'M');
    assert_int_equal(out[224], 0x00);
    stream_close(st);
}

static void test_decode_known(void **state)
{
    static const unsigned char bytes[] = {'S', 0x03, 'a', 0, 'c', 'N', 0xC8, 0x01};
    unsigned char big[3 + 200];
    VSTR *buf = vstr_alloc(10);
    STREAM *st;

    st = tmp_stream(bytes, 5);
    assert_int_equal(rec_get_raw(st, buf, 0), 'S');
    assert_int_equal(VSTR_LEN(buf), 3);
    assert_memory_equal(VSTR_STR(buf), "a\0c", 3);
    assert_int_equal(VSTR_STR(buf)[3], 0);
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_EOF);
    stream_close(st);

    memcpy(big, bytes + 5, 3);
    memset(big + 3, 'y', 200);
    st = tmp_stream(big, sizeof(big));
    assert_int_equal(rec_get_raw(st, buf, 0), 'N');
    assert_int_equal(VSTR_LEN(buf), 200);
    stream_close(st);

    /* Round trip of a long record through rec_fprintf. */
    st = tmp_stream(NULL, 0);
    assert_int_equal(rec_fprintf(st, 'A', "name=%s", "value"), 'A');
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    assert_int_equal(rec_get(st, buf, 0), 'A');
    assert_string_equal(VSTR_STR(buf), "name=value");
    stream_close(st);
    vstr_free(buf);
}

static void test_truncated(void **state)
{
    static const unsigned char data_short[] = {'N', 0x05, 'a', 'b'};
    static const unsigned char len_short[] = {'N', 0x85};
    static const unsigned char type_only[] = {'N'};
    VSTR *buf = vstr_alloc(10);
    STREAM *st;

    st = tmp_stream(data_short, sizeof(data_short));
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(len_short, sizeof(len_short));
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(type_only, sizeof(type_only));
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(NULL, 0);
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_EOF);
    stream_close(st);
    vstr_free(buf);
}

static void test_overflow_and_limit(void **state)
{
    static const unsigned char huge[] = {'N', 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'};
    static const unsigned char over_int[] = {'N', 0x80, 0x80, 0x80, 0x80, 0x08, 'a'};
    static const unsigned char ten[] = {'N', 10, '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'};
    VSTR *buf = vstr_alloc(10);
    STREAM *st;

    st = tmp_stream(huge, sizeof(huge));
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(over_int, sizeof(over_int)); /* 2^31 > INT_MAX */
    assert_int_equal(rec_get_raw(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(ten, sizeof(ten));
    assert_int_equal(rec_get_raw(st, buf, 5), REC_TYPE_ERROR);
    stream_close(st);
    st = tmp_stream(ten, sizeof(ten));
    assert_int_equal(rec_get_raw(st, buf, 10), 'N');
    assert_int_equal(VSTR_LEN(buf), 10);
    stream_close(st);
    vstr_free(buf);
}

static void test_pointer_padding_end(void **state)
{
    STREAM *st = tmp_stream(NULL, 0);
    VSTR *buf = vstr_alloc(10);
    VSTR *ptr = vstr_alloc(20);

    /* 0: p -> 40 (target) ; placeholder p 0 ; padding ; then target */
    vstr_sprintf(ptr, "%15ld", 40L);
    rec_put(st, 'p', VSTR_STR(ptr), VSTR_LEN(ptr)); /* 17 bytes */
    vstr_sprintf(ptr, "%15ld", 0L);
    rec_put(st, 'p', VSTR_STR(ptr), VSTR_LEN(ptr)); /* 17 bytes: 34 */
    rec_put(st, 'w', "xxxx", 4);                    /* 6 bytes: 40 */
    rec_put(st, 'S', "s@x", 3);                     /* at 40 */
    rec_put(st, 'E', "", 0);
    rec_put(st, 'N', "heap", 4); /* after END: invisible */
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    assert_int_equal(rec_get(st, buf, 0), 'S');
    assert_string_equal(VSTR_STR(buf), "s@x");
    assert_int_equal(rec_get(st, buf, 0), 'E');
    assert_int_equal(rec_get(st, buf, 0), REC_TYPE_EOF);

    /* Placeholder and padding without a jump. */
    assert_int_equal(stream_seek(st, 17, SEEK_SET), 17);
    assert_int_equal(rec_get(st, buf, 0), 'S');
    /* rec_get_raw shows them. */
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    assert_int_equal(rec_get_raw(st, buf, 0), 'p');
    stream_close(st);
    vstr_free(buf);
    vstr_free(ptr);
}

static void test_pointer_loop(void **state)
{
    STREAM *st = tmp_stream(NULL, 0);
    VSTR *buf = vstr_alloc(10);
    VSTR *ptr = vstr_alloc(20);

    rec_put(st, 'S', "s", 1); /* 3 bytes */
    vstr_sprintf(ptr, "%15ld", 3L);
    rec_put(st, 'p', VSTR_STR(ptr), VSTR_LEN(ptr)); /* at 3, jumps to itself */
    assert_int_equal(stream_seek(st, 0, SEEK_SET), 0);
    assert_int_equal(rec_get(st, buf, 0), 'S');
    assert_int_equal(rec_get(st, buf, 0), REC_TYPE_ERROR);
    stream_close(st);

    st = tmp_stream("p\003abc", 5);
    assert_int_equal(rec_get(st, buf, 0), REC_TYPE_ERROR); /* malformed pointer */
    stream_close(st);
    vstr_free(buf);
    vstr_free(ptr);
}

static void test_size_segments_names(void **state)
{
    VSTR *v = vstr_alloc(10);

    rec_size_format(v, 317, 353, 2, 0, 317, 0);
    assert_int_equal(VSTR_LEN(v), REC_SIZE_LEN);
    assert_string_equal(VSTR_STR(v), "            317             353               2"
                                     "               0             317               0");
    vstr_free(v);

    assert_true(rec_type_allowed(REC_SEG_ENV, 'L'));
    assert_true(rec_type_allowed(REC_SEG_CONT, 'L'));
    assert_true(rec_type_allowed(REC_SEG_XTRA, 'R'));
    assert_true(rec_type_allowed(REC_SEG_ENV, 'M'));
    assert_false(rec_type_allowed(REC_SEG_ENV, 'N'));
    assert_false(rec_type_allowed(REC_SEG_CONT, 'R'));
    assert_false(rec_type_allowed(REC_SEG_XTRA, 'N'));
    assert_false(rec_type_allowed(REC_SEG_XTRA, 'M'));
    assert_false(rec_type_allowed(REC_SEG_ENV, 0));

    assert_string_equal(rec_type_name('S'), "sender");
    assert_string_equal(rec_type_name('R'), "recipient");
    assert_string_equal(rec_type_name('T'), "message_arrival_time");
    assert_string_equal(rec_type_name('A'), "named_attribute");
    assert_string_equal(rec_type_name('N'), "regular_text");
    assert_string_equal(rec_type_name('E'), "message_end");
    assert_string_equal(rec_type_name('Z'), "unknown_record_type");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_known),        cmocka_unit_test(test_decode_known),
        cmocka_unit_test(test_truncated),           cmocka_unit_test(test_overflow_and_limit),
        cmocka_unit_test(test_pointer_padding_end), cmocka_unit_test(test_pointer_loop),
        cmocka_unit_test(test_size_segments_names),
    };

    msg_init("test_record", 0);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
