/*
 * config - main.cf, with Postfix's syntax and semantics (postconf(5)).
 *
 * cfg_init(dir) reads DIR/main.cf, where DIR is the argument, else
 * $MAIL_CONFIG, else the compiled-in DEF_CONFIG_DIR (/etc/postfix). A
 * missing main.cf is not an error (all defaults). Logical lines: a line
 * starting with white space continues the previous one (the newline goes,
 * the leading blanks stay); '#' starts a comment only as the first non-blank
 * character, and a comment line may sit inside a continued line. "name =
 * value": blanks around '=' and at the end are dropped; the last definition
 * wins. A line without '=' is fatal, naming file, line and text. An unknown
 * parameter name that nothing refers to is stored (postconf -n prints it);
 * cfg_warn_unused(), called only by postconf (Postfix's daemons do not
 * warn), then logs "warning: FILE, line N: unused parameter: NAME=VALUE"
 * for each (Postfix's postconf text, plus the line number). Per-transport names
 * (TRANSPORT_SUFFIX where default_SUFFIX is known) and names used as $NAME
 * in another setting are not warned about. config_directory is set to DIR
 * (and counts as set when DIR came from the argument or $MAIL_CONFIG).
 * cfg_init may be called again (reload): the old values are dropped.
 *
 * Expansion is lazy, at lookup: cfg_str(name) returns the value expanded
 * with $name, ${name}, $(name), $$, ${name?value}, ${name:value},
 * ${name?{a}:{b}}, the relational forms ${{a} == {b}?{x}:{y}} (== != < <= >
 * >=; numeric if both sides are digits) and the compatibility-level forms
 * <level <=level >level >=level. An undefined name expands to "". Nesting
 * deeper than 100 is fatal ("recursion"). The result stays valid until the
 * configuration changes (cfg_init/cfg_override). cfg_str of a parameter that
 * is neither set nor known returns "".
 * cfg_expand(text) expands arbitrary text the same way; the result is
 * mymalloc'ed.
 * cfg_raw(name) is the unexpanded setting, else the unexpanded default,
 * else NULL. cfg_default(name) is the built-in default (unexpanded) or NULL
 * for unknown names; cfg_is_set(name) tells whether main.cf or an override
 * set it.
 *
 * Typed getters; a malformed value is fatal with "bad numerical
 * configuration: name = value" as Postfix says (they are only called for
 * known parameters):
 * cfg_long(name) (decimal, may be negative), cfg_bool(name) ("yes"/"no",
 * case-insensitive), cfg_time(name) (seconds; units s m h d w; the default
 * unit is the one in the parameter table, usually s), cfg_list(name) (the
 * expanded value split with cfg_split_list(); caller frees with argv_free).
 * cfg_split_list(value) splits any text at runs of ", \t\r\n" but never
 * inside a "{...}" group (nested groups too), as Postfix's mystrtokq(): so
 * "inline:{ a=b, c=d }, hash:/x" is two elements; the braces are kept.
 *
 * Per-transport parameters (reference 5.1): cfg_transport_long(transport,
 * suffix, fallback) returns TRANSPORT_SUFFIX if set (e.g.
 * "virtual_destination_recipient_limit"), else the fallback parameter
 * ("default_destination_recipient_limit"), else -1 is never returned:
 * fallback must be a known parameter.
 *
 * cfg_override(name, value) applies a master.cf "-o name=value" or a
 * command-line -o; the value may contain $name (expanded lazily).
 * cfg_set_service(name) sets $service_name (and $process_name) for
 * expansions such as "syslog_name=postfix/$service_name".
 *
 * For postconf: cfg_foreach_known(fn, ctx) visits every known parameter
 * in name order with its default (unexpanded); cfg_foreach_set(fn, ctx)
 * visits every parameter set in main.cf or by override, in name order, with
 * its unexpanded value. cfg_main_cf_path() is the file read.
 *
 * The compiled-in defaults come from the Makefile: DEF_CONFIG_DIR,
 * DEF_QUEUE_DIR, DEF_DAEMON_DIR, DEF_COMMAND_DIR, DEF_DATA_DIR.
 */
#ifndef POSTERN_CONFIG_H
#define POSTERN_CONFIG_H

#include "argv.h"

#ifndef DEF_CONFIG_DIR
#define DEF_CONFIG_DIR "/etc/postfix"
#endif
#ifndef DEF_QUEUE_DIR
#define DEF_QUEUE_DIR "/var/spool/postfix"
#endif
#ifndef DEF_DAEMON_DIR
#define DEF_DAEMON_DIR "/usr/libexec/postern"
#endif
#ifndef DEF_COMMAND_DIR
#define DEF_COMMAND_DIR "/usr/sbin"
#endif
#ifndef DEF_DATA_DIR
#define DEF_DATA_DIR "/var/lib/postfix"
#endif

#define POSTERN_VERSION "0.1"
/* What "mail_version" reports; the log lines quote it ("version X"). */
#define POSTERN_MAIL_VERSION "3.7.11-postern-0.1"

extern void cfg_init(const char *config_dir);
extern void cfg_warn_unused(void);
extern const char *cfg_main_cf_path(void);
extern const char *cfg_str(const char *name);
extern char *cfg_expand(const char *text);
extern const char *cfg_raw(const char *name);
extern const char *cfg_default(const char *name);
extern int cfg_is_set(const char *name);
extern int cfg_is_known(const char *name);
/* Whether name is known, a per-transport name (TRANSPORT_SUFFIX with
 * default_SUFFIX known), or referenced as $name by a setting or by
 * master.cf: what postconf treats as a parameter ("unused" otherwise). */
extern int cfg_is_used(const char *name);
extern long cfg_long(const char *name);
extern int cfg_bool(const char *name);
extern long cfg_time(const char *name);
extern ARGV *cfg_list(const char *name);
extern ARGV *cfg_split_list(const char *value);
extern long cfg_transport_long(const char *transport, const char *suffix, const char *fallback);
extern void cfg_override(const char *name, const char *value);
extern void cfg_set_service(const char *service_name);
extern void cfg_foreach_known(void (*fn)(const char *name, const char *defval, void *ctx),
                              void *ctx);
extern void cfg_foreach_set(void (*fn)(const char *name, const char *value, void *ctx), void *ctx);

/* The built-in parameter table (lib/params.c, generated by
 * tools/gen-params.sh): sorted by strcmp() on name. defval NULL means
 * "computed at run time" (myhostname, mydomain, mynetworks, process_id,
 * process_name); unit is the default time unit for cfg_time(). */
typedef struct CFG_PARAM {
    const char *name;
    const char *defval;
    char unit;
} CFG_PARAM;

extern const CFG_PARAM cfg_params[];
extern const int cfg_param_count;

/* Parse a time value "10s", "5m", "1h", "2d", "1w" or a bare number in
 * unit def_unit ('s', 'm', 'h', 'd', 'w'). Returns seconds, or -1 if
 * malformed. */
extern long cfg_parse_time(const char *value, int def_unit);

#endif
