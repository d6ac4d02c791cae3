/*
 * msg - diagnostics and the mail log, in Postfix's line format.
 *
 * Lines look like "postfix/smtpd[1234]: 3E30CA77F5F: client=..." in syslog;
 * with maillog_file set they are "Nov 21 13:08:26 host postfix/smtpd[1234]:
 * text" in that file, sent as one datagram per line to the postlog service
 * (queue_directory/public/postlog, served by postlogd). The tag is
 * "$syslog_name/program" (Postfix's mail_task()), so "-o
 * syslog_name=postfix/submission" gives "postfix/submission/smtpd".
 *
 * msg_init(progname, flags) sets the program name (basename is taken) and
 * where lines go before the configuration is known: MSG_STDERR echoes every
 * line to stderr as "progname: text" (commands do this when stderr is a
 * terminal, or always with MSG_STDERR).
 * msg_logging_configure() is called after cfg_init(): it reads syslog_name,
 * syslog_facility, maillog_file and queue_directory, and selects syslog or
 * postlog. It may be called again after a reload.
 * msg_info/warn/error/fatal/panic: severity prefixes "", "warning: ",
 * "error: ", "fatal: ", "panic: " as Postfix writes them; %m works (glibc).
 * msg_fatal runs the cleanup hook (e.g. remove an unfinished queue file) and
 * exits 1; msg_panic aborts (a bug); the 13th msg_error is fatal.
 * msg_cleanup_hook() installs the function msg_fatal runs first.
 * msg_verbose is raised by -v.
 * msg_set_tag() overrides the program part of the tag (used by the master
 * to log for a service).
 */
#ifndef POSTERN_MSG_H
#define POSTERN_MSG_H

#define MSG_STDERR (1 << 0) /* also print "prog: text" on stderr */
#define MSG_SYSLOG (1 << 1) /* log to syslog/postlog (default for daemons) */

extern int msg_verbose;
extern void msg_init(const char *progname, int flags);
extern void msg_logging_configure(void);
extern const char *msg_progname(void);
extern void msg_set_tag(const char *program);
extern void msg_cleanup_hook(void (*fn)(void));
extern void msg_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void msg_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern void msg_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
extern void msg_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* msg_fatal_status: like msg_fatal, but exits with status (e.g. a sysexits
 * code for sendmail/postdrop). */
extern void msg_fatal_status(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

#endif
