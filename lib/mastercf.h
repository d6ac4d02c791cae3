/*
 * mastercf - master.cf parsing (master(5)).
 *
 * mastercf_load(path) reads the file with the main.cf line rules (comments,
 * continuation lines) and splits each logical line into the eight columns
 * "service type private unpriv chroot wakeup maxproc command [args]" plus the
 * command's arguments, where "{ text with blanks }" groups one argument (the
 * braces and the blanks just inside them go). "-" means the default:
 * private y, unpriv y, chroot n, wakeup 0, maxproc $default_process_limit
 * (stored as -1 here; the master resolves it). wakeup "N?" sets
 * wakeup_conditional. A line with fewer than 8 fields, an unknown type
 * (inet unix unix-dgram fifo pass), a bad y/n or number, or a private inet
 * service is fatal: "FILE, line N: ..." naming the field. The same
 * (service, type) twice: the later entry wins, with a warning.
 * "-o name=value" and "-o { name = value }" arguments are collected in
 * overrides (as "name=value" strings; "$name" kept unexpanded) and also left
 * in args, since daemons parse -o themselves.
 * Returns the list; mastercf_free() releases it. A missing file is fatal
 * ("open FILE: ..."). raw[] keeps the seven columns as written, "-"
 * included, so postconf -M can print them.
 */
#ifndef POSTERN_MASTERCF_H
#define POSTERN_MASTERCF_H

#include "argv.h"

typedef struct MASTER_ENT {
    char *service;          /* "smtp", "127.0.0.1:2525", "cleanup" */
    char *type;             /* inet unix unix-dgram fifo pass */
    int private_;           /* 1 = private/, 0 = public/ */
    int unpriv;             /* 1 = run as mail_owner */
    int chroot;             /* 1 = chroot to queue_directory */
    int wakeup;             /* seconds, 0 = none */
    int wakeup_conditional; /* "N?" */
    int maxproc;            /* -1 = $default_process_limit, 0 = unlimited */
    char *command;          /* first word of the command column */
    ARGV *args;             /* the words after the command */
    ARGV *overrides;        /* "name=value" from -o */
    char *raw[7];           /* the first seven columns as written (postconf -M) */
    char *file;             /* for diagnostics */
    int line;
} MASTER_ENT;

typedef struct MASTER_CF {
    int count;
    MASTER_ENT **ents;
} MASTER_CF;

extern MASTER_CF *mastercf_load(const char *path);
extern void mastercf_free(MASTER_CF *cf);

#endif
