/*
 * NAME
 *      stream - buffered I/O on a file descriptor, with timeouts
 *
 * DESCRIPTION
 *      See stream.h. A STREAM has independent 8 KiB read and write buffers
 *      (Postfix's double-buffered VSTREAM): reading never flushes pending
 *      output implicitly, so a protocol engine must stream_flush() before
 *      it waits for the peer. With a timeout set, poll(2) runs before every
 *      read(2)/write(2); a wait longer than the timeout fails with errno
 *      ETIMEDOUT and sets the sticky error and timeout flags, as Postfix's
 *      vstream_control(VSTREAM_CTL_TIMEOUT) does. Non-blocking descriptors
 *      are handled (EAGAIN waits in poll). Writes to sockets use
 *      MSG_NOSIGNAL so a vanished peer gives EPIPE instead of SIGPIPE.
 *
 * DIAGNOSTICS
 *      Errors are reported through return values and the eof/error/timeout
 *      flags, with errno set by the failing system call; nothing is logged.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "stream.h"

#define STREAM_BUFSIZE 8192

#define STREAM_F_EOF (1 << 0)
#define STREAM_F_ERR (1 << 1)
#define STREAM_F_TIMEOUT (1 << 2)
#define STREAM_F_SOCKTIMEO (1 << 3) /* blocking socket with SO_RCVTIMEO/SNDTIMEO */

struct STREAM {
    int fd;
    char *path;
    int is_socket;
    int timeout;    /* seconds, 0 = forever */
    int flags;      /* STREAM_F_* */
    char *rbuf;     /* read buffer */
    size_t rpos;    /* next unread byte */
    size_t rlen;    /* bytes valid in rbuf */
    char *wbuf;     /* write buffer */
    size_t wlen;    /* pending output bytes */
    off_t koff;     /* kernel file offset (regular files), -1 = not known yet */
    int sock_timeo; /* SO_RCVTIMEO/SO_SNDTIMEO seconds set on fd, -1 = none */
};

/*
 * stream_fdopen - wrap fd (file, pipe or socket); path labels diagnostics.
 * Returns a new STREAM (never NULL).
 */
STREAM *stream_fdopen(int fd, const char *path)
{
    STREAM *st = mymalloc(sizeof(*st));
    struct stat sb;

    st->fd = fd;
    st->path = mystrdup(path ? path : "unknown_stream");
    st->is_socket = (fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode));
    st->timeout = 0;
    st->flags = 0;
    st->rbuf = mymalloc(STREAM_BUFSIZE);
    st->rpos = st->rlen = 0;
    st->koff = -1;
    st->sock_timeo = -1;
    st->wbuf = mymalloc(STREAM_BUFSIZE);
    st->wlen = 0;
    return st;
}

/*
 * stream_free - release the STREAM without flushing or closing the fd.
 */
void stream_free(STREAM *st)
{
    if (st == NULL)
        return;
    myfree(st->path);
    myfree(st->rbuf);
    myfree(st->wbuf);
    myfree(st);
}

/*
 * stream_close - flush, close the fd, free. Returns 0, or -1 when the flush
 * or close failed (errno set).
 */
int stream_close(STREAM *st)
{
    int ret = 0;
    int saved_errno = 0;

    if (stream_flush(st) < 0) {
        ret = -1;
        saved_errno = errno;
    }
    if (close(st->fd) < 0 && ret == 0) {
        ret = -1;
        saved_errno = errno;
    }
    stream_free(st);
    if (ret < 0)
        errno = saved_errno;
    return ret;
}

/* stream_fileno - the wrapped descriptor. */
int stream_fileno(const STREAM *st)
{
    return st->fd;
}

/* stream_path - the label given to stream_fdopen(). */
const char *stream_path(const STREAM *st)
{
    return st->path;
}

/* stream_set_timeout - per-operation timeout in seconds (0 = none). */
void stream_set_timeout(STREAM *st, int seconds)
{
    struct timeval tv;
    int fl;

    st->timeout = seconds > 0 ? seconds : 0;
    st->flags &= ~STREAM_F_SOCKTIMEO;
    /*
     * On a blocking socket the kernel enforces the timeout (SO_RCVTIMEO,
     * SO_SNDTIMEO): no poll(2) before every read and write. This is the SMTP
     * and IPC hot path. Other descriptors are polled first.
     */
    if (st->is_socket && st->sock_timeo == st->timeout) {
        if (st->timeout > 0)
            st->flags |= STREAM_F_SOCKTIMEO;
        return;
    }
    if (st->is_socket && (fl = fcntl(st->fd, F_GETFL)) >= 0 && (fl & O_NONBLOCK) == 0) {
        st->sock_timeo = st->timeout;
        tv.tv_sec = st->timeout;
        tv.tv_usec = 0;
        if (setsockopt(st->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
            setsockopt(st->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0 && st->timeout > 0)
            st->flags |= STREAM_F_SOCKTIMEO;
    }
}

/* stream_kernel_timeout - a SO_RCVTIMEO/SO_SNDTIMEO expiry: set the flags. */
static int stream_kernel_timeout(STREAM *st)
{
    st->flags |= STREAM_F_TIMEOUT | STREAM_F_ERR;
    errno = ETIMEDOUT;
    return -1;
}

/*
 * stream_wait - wait until fd is ready for events; 0 when ready, -1 with
 * errno ETIMEDOUT (flags set) or another poll error.
 */
static int stream_wait(STREAM *st, short events)
{
    struct pollfd pfd;
    int n;

    for (;;) {
        pfd.fd = st->fd;
        pfd.events = events;
        pfd.revents = 0;
        n = poll(&pfd, 1, st->timeout > 0 ? st->timeout * 1000 : -1);
        if (n > 0)
            return 0;
        if (n == 0) {
            st->flags |= STREAM_F_TIMEOUT | STREAM_F_ERR;
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR) {
            st->flags |= STREAM_F_ERR;
            return -1;
        }
    }
}

/*
 * stream_sysread - one read(2) with timeout handling. Returns bytes read,
 * 0 at EOF, -1 on error/timeout; sets flags.
 */
static ssize_t stream_sysread(STREAM *st, void *buf, size_t len)
{
    ssize_t n;

    for (;;) {
        if (st->timeout > 0 && !(st->flags & STREAM_F_SOCKTIMEO) && stream_wait(st, POLLIN) < 0)
            return -1;
        n = read(st->fd, buf, len);
        if (n > 0) {
            if (st->koff >= 0)
                st->koff += n;
            return n;
        }
        if (n == 0) {
            st->flags |= STREAM_F_EOF;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (st->flags & STREAM_F_SOCKTIMEO)
                return stream_kernel_timeout(st);
            if (stream_wait(st, POLLIN) < 0)
                return -1;
            continue;
        }
        st->flags |= STREAM_F_ERR;
        return -1;
    }
}

/* stream_fill - refill the empty read buffer; 1 if data, 0 EOF/error. */
static int stream_fill(STREAM *st)
{
    ssize_t n;

    if (st->flags & (STREAM_F_ERR | STREAM_F_EOF))
        return 0;
    /* A file or pipe is single-buffered: pending output goes out first. */
    if (st->wlen > 0 && !st->is_socket && stream_flush(st) < 0)
        return 0;
    n = stream_sysread(st, st->rbuf, STREAM_BUFSIZE);
    if (n <= 0)
        return 0;
    st->rpos = 0;
    st->rlen = (size_t)n;
    return 1;
}

/*
 * stream_getc - next byte (0..255), or STREAM_EOF on end of file, error or
 * timeout.
 */
int stream_getc(STREAM *st)
{
    if (st->rpos >= st->rlen && !stream_fill(st))
        return STREAM_EOF;
    return (unsigned char)st->rbuf[st->rpos++];
}

/*
 * stream_read - read exactly len bytes unless EOF/error/timeout comes
 * first; returns the number of bytes stored in buf.
 */
size_t stream_read(STREAM *st, void *buf, size_t len)
{
    char *cp = buf;
    size_t done = 0;
    size_t avail;
    ssize_t n;

    while (done < len) {
        avail = st->rlen - st->rpos;
        if (avail > 0) {
            if (avail > len - done)
                avail = len - done;
            memcpy(cp + done, st->rbuf + st->rpos, avail);
            st->rpos += avail;
            done += avail;
            continue;
        }
        if (st->flags & (STREAM_F_ERR | STREAM_F_EOF))
            break;
        if (len - done >= STREAM_BUFSIZE) {
            n = stream_sysread(st, cp + done, len - done);
            if (n <= 0)
                break;
            done += (size_t)n;
        } else if (!stream_fill(st)) {
            break;
        }
    }
    return done;
}

/*
 * stream_get_line - reset v, then read bytes up to and including '\n' but
 * at most limit bytes. Returns the last byte stored ('\n' for a complete
 * line), or STREAM_EOF when nothing was read.
 */
int stream_get_line(STREAM *st, VSTR *v, size_t limit)
{
    size_t avail;
    size_t take;
    const char *nl;

    vstr_reset(v);
    while (VSTR_LEN(v) < limit) {
        if (st->rpos >= st->rlen && !stream_fill(st))
            break;
        avail = st->rlen - st->rpos;
        take = limit - VSTR_LEN(v);
        if (take > avail)
            take = avail;
        if ((nl = memchr(st->rbuf + st->rpos, '\n', take)) != NULL)
            take = (size_t)(nl - (st->rbuf + st->rpos)) + 1;
        vstr_addmem(v, st->rbuf + st->rpos, take);
        st->rpos += take;
        if (nl)
            break;
    }
    if (VSTR_LEN(v) == 0)
        return STREAM_EOF;
    return (unsigned char)VSTR_STR(v)[VSTR_LEN(v) - 1];
}

/* stream_bufcount - input bytes already buffered. */
size_t stream_bufcount(const STREAM *st)
{
    return st->rlen - st->rpos;
}

/* stream_syswrite - write all of buf; 0 or -1 (flags set). */
static int stream_syswrite(STREAM *st, const char *buf, size_t len)
{
    ssize_t n;

    while (len > 0) {
        if (st->timeout > 0 && !(st->flags & STREAM_F_SOCKTIMEO) && stream_wait(st, POLLOUT) < 0)
            return -1;
        if (st->is_socket)
            n = send(st->fd, buf, len, MSG_NOSIGNAL);
        else
            n = write(st->fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            if (st->koff >= 0)
                st->koff += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (st->flags & STREAM_F_SOCKTIMEO)
                return stream_kernel_timeout(st);
            if (stream_wait(st, POLLOUT) < 0)
                return -1;
            continue;
        }
        if (n == 0)
            errno = EIO;
        st->flags |= STREAM_F_ERR;
        return -1;
    }
    return 0;
}

/*
 * stream_flush - write out buffered output: 0, or -1 (sticky error).
 */
int stream_flush(STREAM *st)
{
    if (st->wlen == 0)
        return (st->flags & STREAM_F_ERR) ? -1 : 0;
    if (st->flags & STREAM_F_ERR)
        return -1;
    if (stream_syswrite(st, st->wbuf, st->wlen) < 0)
        return -1;
    st->wlen = 0;
    return 0;
}

/*
 * stream_write - buffer len bytes of output: 0, or -1 once in error.
 */
int stream_write(STREAM *st, const void *buf, size_t len)
{
    const char *cp = buf;

    if (st->flags & STREAM_F_ERR)
        return -1;
    /* Writing a file after reading: write at the logical position. */
    if (st->rpos < st->rlen && !st->is_socket &&
        (st->koff = lseek(st->fd, -(off_t)(st->rlen - st->rpos), SEEK_CUR)) >= 0)
        st->rpos = st->rlen = 0;
    if (st->wlen + len <= STREAM_BUFSIZE) {
        memcpy(st->wbuf + st->wlen, cp, len);
        st->wlen += len;
        return 0;
    }
    if (stream_flush(st) < 0)
        return -1;
    if (len >= STREAM_BUFSIZE)
        return stream_syswrite(st, cp, len);
    memcpy(st->wbuf, cp, len);
    st->wlen = len;
    return 0;
}

/* stream_puts - buffer a C string (no newline added): 0 or -1. */
int stream_puts(STREAM *st, const char *str)
{
    return stream_write(st, str, strlen(str));
}

/* stream_putc - buffer one byte: 0 or -1. */
int stream_putc(STREAM *st, int ch)
{
    char c = (char)ch;

    return stream_write(st, &c, 1);
}

/* stream_printf - buffer printf-style output (%m works): 0 or -1. */
int stream_printf(STREAM *st, const char *fmt, ...)
{
    VSTR *v = vstr_alloc(128);
    va_list ap;
    int ret;

    va_start(ap, fmt);
    vstr_vsprintf_append(v, fmt, ap);
    va_end(ap);
    ret = stream_write(st, VSTR_STR(v), VSTR_LEN(v));
    vstr_free(v);
    return ret;
}

/*
 * stream_seek - flush output, drop buffered input, lseek(2). Returns the
 * new offset or -1. Regular files only.
 */
off_t stream_seek(STREAM *st, off_t offset, int whence)
{
    off_t res;

    if (stream_flush(st) < 0)
        return -1;
    if (whence == SEEK_CUR)
        offset -= (off_t)(st->rlen - st->rpos);
    st->rpos = st->rlen = 0;
    st->flags &= ~STREAM_F_EOF;
    if ((res = lseek(st->fd, offset, whence)) < 0)
        st->flags |= STREAM_F_ERR;
    st->koff = res;
    return res;
}

/*
 * stream_tell - the logical position: the kernel offset minus unread
 * buffered input plus unwritten buffered output. -1 on error.
 */
off_t stream_tell(STREAM *st)
{
    /* The kernel offset is asked once, then tracked: readers call this per
     * record (queue-file offsets), and an lseek per record showed up as a
     * third of qmgr's and virtual's system calls. */
    if (st->koff < 0 && (st->koff = lseek(st->fd, 0, SEEK_CUR)) < 0)
        return -1;
    return st->koff - (off_t)(st->rlen - st->rpos) + (off_t)st->wlen;
}

/* stream_eof - nonzero after end of file was read. */
int stream_eof(const STREAM *st)
{
    return (st->flags & STREAM_F_EOF) != 0;
}

/* stream_error - nonzero after an I/O error or timeout. */
int stream_error(const STREAM *st)
{
    return (st->flags & STREAM_F_ERR) != 0;
}

/* stream_timedout - nonzero after a timeout. */
int stream_timedout(const STREAM *st)
{
    return (st->flags & STREAM_F_TIMEOUT) != 0;
}

/* stream_clearerr - reset the eof, error and timeout flags. */
void stream_clearerr(STREAM *st)
{
    st->flags = 0;
}

/* write_all - see stream.h */
int write_all(int fd, const void *buf, size_t len)
{
    const char *cp = buf;
    ssize_t n;

    while (len > 0) {
        n = write(fd, cp, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        cp += n;
        len -= (size_t)n;
    }
    return 0;
}
