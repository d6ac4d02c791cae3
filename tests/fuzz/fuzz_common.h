/*
 * fuzz_common.h - shared helpers of the libFuzzer targets in tests/fuzz/.
 *
 * fuzz_msg.c replaces lib/msg.c in every fuzz binary: diagnostics are
 * discarded (set FUZZ_VERBOSE=1 in the environment to see them), msg_panic
 * aborts (a bug: the fuzzer reports it), and msg_fatal/msg_fatal_status
 * longjmp to fuzz_fatal_jmp when a target armed it with FUZZ_TRY (a fatal
 * rejection of bad input, as main.cf/master.cf parsing does, is not a
 * crash); unarmed, msg_fatal aborts so that the fuzzer reports it.
 *
 * fuzz_memfd(data, size) returns a seekable fd (memfd) positioned at 0
 * that holds the bytes; fuzz_tmpfile(data, size) writes them to a file in
 * $TMPDIR (default /tmp) and returns its malloc'ed path.
 */
#ifndef POSTERN_FUZZ_COMMON_H
#define POSTERN_FUZZ_COMMON_H
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

extern jmp_buf fuzz_fatal_jmp;
extern int fuzz_fatal_armed;
extern int fuzz_fatal_count;

/* Run stmt; returns 0 normally, 1 when it ended in msg_fatal. */
#define FUZZ_TRY(stmt)                                                                             \
    (fuzz_fatal_armed = 1,                                                                         \
     setjmp(fuzz_fatal_jmp) == 0 ? ((stmt), fuzz_fatal_armed = 0, 0) : (fuzz_fatal_armed = 0, 1))

extern int fuzz_memfd(const uint8_t *data, size_t size);
extern char *fuzz_tmpfile(const uint8_t *data, size_t size, const char *name);
extern void fuzz_close_fds_from(int lowfd);

#endif
