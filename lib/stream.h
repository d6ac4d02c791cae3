/*
 * stream - buffered I/O on a file descriptor, with timeouts.
 *
 * One STREAM wraps one fd (file, pipe or socket) for reading and/or writing,
 * with an 8 KiB read buffer and an 8 KiB write buffer. All network input
 * goes through it, so no caller needs a fixed-size buffer.
 *
 * stream_fdopen(fd, path) wraps fd; path labels diagnostics. stream_close()
 * flushes, closes the fd and frees (returns 0, or -1 if the flush or close
 * failed); stream_free() frees without closing the fd.
 * stream_set_timeout(st, seconds): every later blocking read or write that
 * waits longer than seconds fails with errno ETIMEDOUT and sets the timeout
 * flag (0 = wait forever, the default). Works on blocking and non-blocking
 * fds (poll is used before each read/write).
 * stream_getc() returns the next byte (0..255) or STREAM_EOF on end of file,
 * error or timeout (see stream_eof/stream_error/stream_timedout).
 * stream_read(st, buf, n) reads exactly n bytes unless EOF/error comes
 * first; returns the count read. stream_get_line(st, v, limit) resets v and
 * reads bytes up to and including '\n', but at most limit bytes; returns the
 * last byte stored ('\n' for a complete line), or STREAM_EOF if nothing was
 * read. stream_bufcount() tells how many input bytes are already buffered
 * (for PIPELINING decisions).
 * stream_write/puts/putc/printf buffer output; they return 0, or -1 once the
 * stream is in error (errors are sticky). stream_flush() writes the buffer
 * out: 0 or -1.
 * stream_seek(st, off, whence) flushes output, drops buffered input and
 * seeks; stream_tell() gives the logical position (accounting for buffered
 * data). Both for regular files only.
 */
#ifndef POSTERN_STREAM_H
#define POSTERN_STREAM_H
#include <stdarg.h>
#include <stddef.h>
#include <sys/types.h>

#include "vstr.h"

#define STREAM_EOF (-1)

typedef struct STREAM STREAM;

extern STREAM *stream_fdopen(int fd, const char *path);
extern int stream_close(STREAM *st);
extern void stream_free(STREAM *st);
extern int stream_fileno(const STREAM *st);
extern const char *stream_path(const STREAM *st);
extern void stream_set_timeout(STREAM *st, int seconds);
extern int stream_getc(STREAM *st);
extern size_t stream_read(STREAM *st, void *buf, size_t len);
extern int stream_get_line(STREAM *st, VSTR *v, size_t limit);
extern size_t stream_bufcount(const STREAM *st);
extern int stream_write(STREAM *st, const void *buf, size_t len);
extern int stream_puts(STREAM *st, const char *str);
extern int stream_putc(STREAM *st, int ch);
extern int stream_printf(STREAM *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int stream_flush(STREAM *st);
extern off_t stream_seek(STREAM *st, off_t offset, int whence);
extern off_t stream_tell(STREAM *st);
extern int stream_eof(const STREAM *st);
extern int stream_error(const STREAM *st);
extern int stream_timedout(const STREAM *st);
extern void stream_clearerr(STREAM *st);

/* write_all(fd, buf, len): write(2) all len bytes, retrying after EINTR and
 * short writes; 0, or -1 with errno (a write of 0 bytes is EIO). For the
 * unbuffered writers: log files, Maildir files, defer logs. */
extern int write_all(int fd, const void *buf, size_t len);

#endif
