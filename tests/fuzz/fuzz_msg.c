/*
 * NAME
 *	fuzz_msg - lib/msg.c replacement for the libFuzzer targets
 *
 * DESCRIPTION
 *	Defines every symbol of lib/msg.h, so that the linker does not pull
 *	msg.o from the archive. Output is discarded unless FUZZ_VERBOSE is set
 *	(then it goes to stderr). msg_fatal() longjmps back into the target
 *	when the target armed fuzz_fatal_jmp (see fuzz_common.h), else it
 *	aborts; msg_panic() always aborts: both are findings. Also: helpers
 *	that present fuzz input as a file descriptor or a file.
 *
 * DIAGNOSTICS
 *	"fuzz: unexpected fatal: TEXT" on stderr before an abort.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "msg.h"

int msg_verbose;
jmp_buf fuzz_fatal_jmp;
int fuzz_fatal_armed;
int fuzz_fatal_count;

static const char *fuzz_progname = "fuzz";

static void fuzz_vlog(const char *sev, const char *fmt, va_list ap)
{
    static int verbose = -1;

    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (!verbose)
        return;
    fprintf(stderr, "%s: %s", fuzz_progname, sev);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void msg_init(const char *progname, int flags)
{
    fuzz_progname = progname;
}

void msg_logging_configure(void)
{
}

const char *msg_progname(void)
{
    return fuzz_progname;
}

void msg_set_tag(const char *program)
{
}

void msg_cleanup_hook(void (*fn)(void))
{
}

#define FUZZ_LOGFN(name, sev)                                                                      \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        fuzz_vlog(sev, fmt, ap);                                                                   \
        va_end(ap);                                                                                \
    }
FUZZ_LOGFN(msg_info, "")
FUZZ_LOGFN(msg_warn, "warning: ")
FUZZ_LOGFN(msg_error, "error: ")

static void fuzz_fatal(const char *fmt, va_list ap)
{
    if (fuzz_fatal_armed) {
        fuzz_vlog("fatal: ", fmt, ap);
        fuzz_fatal_armed = 0;
        fuzz_fatal_count++;
        longjmp(fuzz_fatal_jmp, 1);
    }
    fprintf(stderr, "fuzz: unexpected fatal: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    abort();
}

void msg_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fuzz_fatal(fmt, ap);
    va_end(ap);
    abort();
}

void msg_fatal_status(int status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fuzz_fatal(fmt, ap);
    va_end(ap);
    abort();
}

void msg_panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "fuzz: panic: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* fuzz_memfd - a seekable fd holding data, positioned at 0 */
int fuzz_memfd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz", 0);
    size_t done = 0;
    ssize_t n;

    if (fd < 0) {
        perror("memfd_create");
        abort();
    }
    while (done < size) {
        if ((n = write(fd, data + done, size - done)) <= 0) {
            perror("write memfd");
            abort();
        }
        done += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    return fd;
}

/* fuzz_tmpfile - write data to $TMPDIR/fuzz-PID/name; returns the directory */
char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *name)
{
    static char *dir;
    char *path;
    FILE *fp;

    if (dir == NULL) {
        const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        if (asprintf(&dir, "%s/postern-fuzz-%ld", tmp, (long)getpid()) < 0)
            abort();
        if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
            perror(dir);
            abort();
        }
    }
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    if ((fp = fopen(path, "w")) == NULL) {
        perror(path);
        abort();
    }
    if (size > 0 && fwrite(data, 1, size, fp) != size)
        abort();
    if (fclose(fp) != 0)
        abort();
    free(path);
    return dir;
}

/* fuzz_close_fds_from - close descriptors a fatal path left open */
void fuzz_close_fds_from(int lowfd)
{
    int fd;

    for (fd = lowfd; fd < lowfd + 64; fd++)
        (void)close(fd);
}
