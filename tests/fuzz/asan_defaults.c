/*
 * NAME
 *	asan_defaults - sanitizer defaults for the "make asan" build
 *
 * DESCRIPTION
 *	Linked into every program of build-asan/ (see the Makefile). The
 *	master passes only export_environment to the daemons, so ASAN_OPTIONS
 *	set by a test would not reach them: these built-in defaults do. A
 *	report goes to /tmp/postern-asan.PID (daemons have no useful stderr),
 *	leak checking is off (daemons exit through msg_fatal/exit with live
 *	allocations by design, and LeakSanitizer does not work under ptrace),
 *	and UBSan prints stack traces. ASAN_OPTIONS/UBSAN_OPTIONS in the
 *	environment still override these.
 *
 * DIAGNOSTICS
 *	Sanitizer reports in /tmp/postern-asan.PID (ASan) and
 *	/tmp/postern-ubsan.PID (UBSan).
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
    return "detect_leaks=0:log_path=/tmp/postern-asan:log_exe_name=1:handle_abort=1";
}

const char *__ubsan_default_options(void)
{
    return "print_stacktrace=1:log_path=/tmp/postern-ubsan:log_exe_name=1";
}
