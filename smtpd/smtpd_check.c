/*
 * NAME
 *	smtpd_check - SMTP server access restrictions
 *
 * SYNOPSIS
 *	#include "smtpd.h"
 *
 * DESCRIPTION
 *	Evaluates smtpd_client_restrictions, smtpd_helo_restrictions,
 *	smtpd_sender_restrictions, smtpd_relay_restrictions,
 *	smtpd_recipient_restrictions and smtpd_data_restrictions as Postfix
 *	does (reference 9.3, traps 11-13):
 *
 *	Each list is read left to right. A permit ends only that list; a
 *	reject ends everything; DUNNO continues; the end of a list permits.
 *	With smtpd_delay_reject = yes the client, helo and sender lists run at
 *	RCPT time. At RCPT: a bare "postmaster" is accepted at once; then
 *	(delayed) client, helo, sender; then relay and recipient (relay first
 *	when smtpd_relay_before_recipient_restrictions = yes); then the
 *	implicit reject_unlisted_recipient (smtpd_reject_unlisted_recipient).
 *
 *	Restrictions: permit, reject, defer, warn_if_reject,
 *	permit_mynetworks, permit_sasl_authenticated (never true: no SASL yet),
 *	reject_unauth_destination, defer_unauth_destination,
 *	permit_auth_destination, reject_unlisted_recipient,
 *	check_recipient_maps, reject_unlisted_sender, reject_non_fqdn_sender,
 *	reject_non_fqdn_recipient, reject_non_fqdn_helo_hostname (and the old
 *	name reject_non_fqdn_hostname), reject_invalid_helo_hostname
 *	(reject_invalid_hostname), check_client_access, check_helo_access,
 *	check_sender_access, check_recipient_access, and restriction classes
 *	(smtpd_restriction_classes). access(5) results: OK, an all-numeric
 *	value, REJECT [text], DEFER [text], DUNNO, "4xx/5xx [d.s.n] text",
 *	WARN text, or restriction names; HOLD, DISCARD, FILTER, REDIRECT,
 *	PREPEND and BCC are logged as unsupported and ignored.
 *
 *	Replies: "<code> <dsn> <<name>>: <Class> rejected: <reason>"; the
 *	first DSN digit follows the SMTP code; soft_bounce = yes turns 5xx
 *	into 4xx. Each reject is logged as "QID|NOQUEUE: reject: STAGE from
 *	name[addr]: reply; from=<s> to=<r> proto=P helo=<h>" (reference 10.2).
 *
 * DIAGNOSTICS
 *	An unknown restriction logs 'warning: unknown smtpd restriction:
 *	"name"' and replies "451 4.3.5 Server configuration error". A table
 *	error replies "451 4.3.0 <x>: Temporary lookup failure" (never "not
 *	found", trap 13).
 */
#include <ctype.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "argv.h"
#include "config.h"
#include "dict.h"
#include "maps.h"
#include "msg.h"
#include "mymalloc.h"
#include "resolve.h"
#include "smtpd.h"
#include "vstr.h"

#define CLASS_CLIENT "Client host"
#define CLASS_HELO "Helo command"
#define CLASS_SENDER "Sender address"
#define CLASS_RCPT "Recipient address"
#define CLASS_DATA "Data command"

#define MAX_DEPTH 20 /* nesting of restriction classes / access results */

static MAPS *virt_alias_maps;
static MAPS *virt_mailbox_maps;
static MAPS *relay_rcpt_maps;
static MAPS *local_rcpt_maps; /* local_recipient_maps minus passwd entries */
static int local_rcpt_passwd; /* local_recipient_maps has unix:passwd.byname */
static int local_rcpt_any;    /* local_recipient_maps is not empty */

/* Access tables opened by check_*_access, by spec. */
static ARGV *access_specs;
static MAPS **access_maps;

static ARGV *client_list, *helo_list, *sender_list, *relay_list, *rcpt_list, *data_list;
static ARGV *restriction_classes;

static int check_list(SMTPD_STATE *state, ARGV *list, const char *reply_name,
                      const char *reply_class, int depth);

/*
 * restriction_split - a restriction list split at commas and white space,
 * "{...}" groups (inline:{ a=b, c=d }) kept whole: the shared
 * cfg_split_list() (Postfix's mystrtokq); the name stays for callers
 * (tests/unit/test_smtpd_check.c).
 */
static ARGV *restriction_split(const char *value)
{
    return cfg_split_list(value);
}

/* A restriction list parameter: cfg_list() keeps "{...}" groups whole. */
static ARGV *restriction_list(const char *param)
{
    return cfg_list(param);
}

/* Open (once) the table of a check_*_access restriction. */
static MAPS *access_table(const char *spec)
{
    int i;

    for (i = 0; i < access_specs->argc; i++)
        if (strcmp(access_specs->argv[i], spec) == 0)
            return access_maps[i];
    access_maps = myrealloc(access_maps, sizeof(MAPS *) * (size_t)(access_specs->argc + 1));
    access_maps[access_specs->argc] = maps_create("smtpd access table", spec, DICT_FLAGS_DEFAULT);
    argv_add(access_specs, spec, (char *)0);
    return access_maps[access_specs->argc - 1];
}

/* Pre-open the check_*_access tables of a list (while still root). */
static void preopen_tables(ARGV *list)
{
    int i;

    for (i = 0; i + 1 < list->argc; i++)
        if (strncasecmp(list->argv[i], "check_", 6) == 0 && strlen(list->argv[i]) > 7 &&
            strcasecmp(list->argv[i] + strlen(list->argv[i]) - 7, "_access") == 0)
            (void)access_table(list->argv[i + 1]);
}

/*
 * smtpd_check_init - read the restriction lists and open tables
 *
 * Called once per process, as root (pre_init), so that root-only table
 * files can be opened before privileges are dropped.
 */
void smtpd_check_init(void)
{
    ARGV *words;
    VSTR *rest = vstr_alloc(128);
    int i;

    access_specs = argv_alloc(4);
    access_maps = 0;
    client_list = restriction_list("smtpd_client_restrictions");
    helo_list = restriction_list("smtpd_helo_restrictions");
    sender_list = restriction_list("smtpd_sender_restrictions");
    relay_list = restriction_list("smtpd_relay_restrictions");
    rcpt_list = restriction_list("smtpd_recipient_restrictions");
    data_list = restriction_list("smtpd_data_restrictions");
    restriction_classes = cfg_list("smtpd_restriction_classes");
    preopen_tables(client_list);
    preopen_tables(helo_list);
    preopen_tables(sender_list);
    preopen_tables(relay_list);
    preopen_tables(rcpt_list);
    preopen_tables(data_list);
    for (i = 0; i < restriction_classes->argc; i++) {
        ARGV *cl = restriction_list(restriction_classes->argv[i]);
        preopen_tables(cl);
        argv_free(cl);
    }

    virt_alias_maps =
        maps_create("virtual_alias_maps", cfg_str("virtual_alias_maps"), DICT_FLAGS_DEFAULT);
    virt_mailbox_maps =
        maps_create("virtual_mailbox_maps", cfg_str("virtual_mailbox_maps"), DICT_FLAGS_DEFAULT);
    relay_rcpt_maps =
        maps_create("relay_recipient_maps", cfg_str("relay_recipient_maps"), DICT_FLAGS_DEFAULT);

    /*
     * local_recipient_maps: "unix:passwd.byname" (also behind proxy:) is
     * done with getpwnam(); "nis:" tables are dropped (NIS is not configured
     * on these hosts, where Postfix's dict_nis answers "not found").
     */
    words = restriction_split(cfg_str("local_recipient_maps"));
    local_rcpt_any = words->argc > 0;
    local_rcpt_passwd = 0;
    for (i = 0; i < words->argc; i++) {
        const char *w = words->argv[i];
        if (strncmp(w, "proxy:", 6) == 0 && strcmp(w + 6, "unix:passwd.byname") == 0)
            local_rcpt_passwd = 1;
        else if (strcmp(w, "unix:passwd.byname") == 0)
            local_rcpt_passwd = 1;
        else if (strncmp(w, "nis:", 4) == 0 || strncmp(w, "proxy:nis:", 10) == 0)
            continue;
        else {
            if (rest->len)
                vstr_addch(rest, ' ');
            vstr_addstr(rest, w);
        }
    }
    argv_free(words);
    local_rcpt_maps = maps_create("local_recipient_maps", rest->buf, DICT_FLAGS_DEFAULT);
    vstr_free(rest);
    resolve_init();
}

/* The external (quoted) form of an address, in a static buffer per slot. */
static const char *ext_addr(const char *addr, int slot)
{
    static VSTR *buf[3];

    if (buf[slot] == 0)
        buf[slot] = vstr_alloc(64);
    addr_quote_external(addr, buf[slot]);
    return buf[slot]->buf;
}

/*
 * smtpd_log_reject - log a reject/warn line (reference 10.2)
 *
 * "QID|NOQUEUE: action: STAGE from name[addr]: reply; from=<s> to=<r>
 * proto=P helo=<h>"; optional fields are omitted when unknown.
 */
void smtpd_log_reject(SMTPD_STATE *state, const char *action, const char *stage, const char *reply)
{
    VSTR *line = vstr_alloc(256);

    vstr_sprintf(line, "%s: %s: %s from %s: %s;",
                 state->queue_id->len ? state->queue_id->buf : "NOQUEUE", action, stage,
                 state->namaddr, reply);
    if (state->sender)
        vstr_sprintf_append(line, " from=<%s>", ext_addr(state->sender, 0));
    if (state->recipient)
        vstr_sprintf_append(line, " to=<%s>", ext_addr(state->recipient, 1));
    vstr_sprintf_append(line, " proto=%s", state->protocol);
    if (state->helo_name)
        vstr_sprintf_append(line, " helo=<%s>", state->helo_name);
    msg_info("%s", line->buf);
    vstr_free(line);
}

/*
 * Format a reject: the DSN class follows the reply code, soft_bounce
 * turns 5xx into 4xx (trap 12). Logs it. With warn_if_reject pending the
 * reject is only logged ("reject_warning") and DUNNO is returned.
 */
static int check_reject(SMTPD_STATE *state, int code, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int check_reject(SMTPD_STATE *state, int code, const char *dsn, const char *fmt, ...)
{
    va_list ap;
    char cls;

    if (cfg_bool("soft_bounce") && code >= 500 && code < 600)
        code -= 100;
    cls = (char)('0' + code / 100);
    vstr_sprintf(state->reply, "%d %c%s ", code, cls, dsn + 1);
    va_start(ap, fmt);
    vstr_vsprintf_append(state->reply, fmt, ap);
    va_end(ap);
    if (state->warn_if_reject) {
        state->warn_if_reject = 0;
        smtpd_log_reject(state, "reject_warning", state->where, state->reply->buf);
        return SMTPD_CHECK_DUNNO;
    }
    smtpd_log_reject(state, "reject", state->where, state->reply->buf);
    return SMTPD_CHECK_REJECT;
}

/* "451 4.3.0 <x>: Temporary lookup failure" (trap 13). */
static int check_tempfail(SMTPD_STATE *state, const char *name)
{
    int saved = state->warn_if_reject;
    int r;

    state->warn_if_reject = 0;
    r = check_reject(state, 451, "4.3.0", "<%s>: Temporary lookup failure", name);
    state->warn_if_reject = saved;
    return r;
}

/* "451 4.3.5 Server configuration error" with a warning. */
static int check_config_error(SMTPD_STATE *state, const char *name)
{
    msg_warn("unknown smtpd restriction: \"%s\"", name);
    state->warn_if_reject = 0;
    return check_reject(state, 451, "4.3.5", "Server configuration error");
}

/*
 * smtpd_valid_hostname - RFC 1035 host name check (Postfix valid_hostname)
 *
 * Letters, digits, '-' and '_'; labels of 1-63 characters that neither
 * start nor end with '-'; at most 255 bytes; not all-numeric. Returns 1 if
 * valid.
 */
int smtpd_valid_hostname(const char *name)
{
    size_t len = strlen(name);
    size_t label = 0;
    int non_numeric = 0;
    size_t i;

    if (len == 0 || len > 255)
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (isalnum(ch) || ch == '_') {
            if (!isdigit(ch))
                non_numeric = 1;
            if (++label > 63)
                return 0;
        } else if (ch == '-') {
            non_numeric = 1;
            if (label == 0 || i + 1 == len || name[i + 1] == '.')
                return 0;
            label++;
        } else if (ch == '.') {
            if (label == 0 || i + 1 == len)
                return 0;
            label = 0;
        } else {
            return 0;
        }
    }
    return non_numeric;
}

/* A numeric address, or "[numeric]" / "[IPv6:numeric]". */
static int valid_hostaddr(const char *name)
{
    unsigned char bin[16];
    VSTR *tmp;
    int ok;
    size_t len = strlen(name);

    if (len >= 2 && name[0] == '[' && name[len - 1] == ']') {
        tmp = vstr_alloc(len);
        vstr_memcpy(tmp, name + 1, len - 2);
        if (strncasecmp(tmp->buf, "IPv6:", 5) == 0)
            ok = inet_pton(AF_INET6, tmp->buf + 5, bin) == 1;
        else
            ok = inet_pton(AF_INET, tmp->buf, bin) == 1;
        vstr_free(tmp);
        return ok;
    }
    return inet_pton(AF_INET, name, bin) == 1 || inet_pton(AF_INET6, name, bin) == 1;
}

/* Is the domain of an address fully qualified? */
static int fqdn_address(const char *addr)
{
    const char *dom = addr_domain(addr);

    if (dom == 0 || *dom == 0)
        return 0;
    if (*dom == '[')
        return valid_hostaddr(dom);
    return strchr(dom, '.') != 0 && smtpd_valid_hostname(dom);
}

/* Interpret an access(5) table result (Postfix check_table_result). */
static int check_table_result(SMTPD_STATE *state, const char *table, const char *value,
                              const char *reply_name, const char *reply_class, int depth)
{
    const char *text;
    size_t wlen = strcspn(value, " \t");

    text = value + wlen;
    while (*text == ' ' || *text == '\t')
        text++;
    if ((wlen == 2 && strncasecmp(value, "OK", 2) == 0) ||
        (wlen > 0 && strspn(value, "0123456789") == strlen(value)))
        return SMTPD_CHECK_OK;
    if (wlen == 5 && strncasecmp(value, "DUNNO", 5) == 0)
        return SMTPD_CHECK_DUNNO;
    if (wlen == 6 && strncasecmp(value, "REJECT", 6) == 0)
        return check_reject(state, (int)cfg_long("access_map_reject_code"), "5.7.1",
                            "<%s>: %s rejected: %s", reply_name, reply_class,
                            *text ? text : "Access denied");
    if (wlen == 5 && strncasecmp(value, "DEFER", 5) == 0)
        return check_reject(state, (int)cfg_long("access_map_defer_code"), "4.7.1",
                            "<%s>: %s rejected: %s", reply_name, reply_class,
                            *text ? text : "Access denied");
    if (wlen == 4 && strncasecmp(value, "WARN", 4) == 0) {
        smtpd_log_reject(state, "warn", state->where, text);
        return SMTPD_CHECK_DUNNO;
    }
    if (wlen == 3 && (value[0] == '4' || value[0] == '5') && isdigit((unsigned char)value[1]) &&
        isdigit((unsigned char)value[2])) {
        int code = atoi(value);
        char dsn[16];
        size_t dlen = strspn(text, "0123456789.");
        if (dlen >= 5 && dlen < sizeof(dsn) && text[0] == value[0] && text[1] == '.' &&
            (text[dlen] == ' ' || text[dlen] == 0)) {
            memcpy(dsn, text, dlen);
            dsn[dlen] = 0;
            text += dlen;
            while (*text == ' ')
                text++;
        } else {
            snprintf(dsn, sizeof(dsn), "%c.7.1", value[0]);
        }
        return check_reject(state, code, dsn, "<%s>: %s rejected: %s", reply_name, reply_class,
                            *text ? text : "Access denied");
    }
    if ((wlen == 4 && strncasecmp(value, "HOLD", 4) == 0) ||
        (wlen == 7 && strncasecmp(value, "DISCARD", 7) == 0) ||
        (wlen == 6 && strncasecmp(value, "FILTER", 6) == 0) ||
        (wlen == 8 && strncasecmp(value, "REDIRECT", 8) == 0) ||
        (wlen == 7 && strncasecmp(value, "PREPEND", 7) == 0) ||
        (wlen == 3 && strncasecmp(value, "BCC", 3) == 0)) {
        msg_warn("access table %s: action %.*s is not supported; ignored", table, (int)wlen, value);
        return SMTPD_CHECK_DUNNO;
    }
    /* Restriction names or classes. */
    if (depth >= MAX_DEPTH) {
        msg_warn("access table %s: restriction nesting too deep", table);
        return check_config_error(state, value);
    }
    {
        ARGV *list = restriction_split(value);
        int r = check_list(state, list, reply_name, reply_class, depth + 1);
        argv_free(list);
        return r;
    }
}

/* One table lookup: returns 1 and the result in *status when found. */
static int access_lookup(SMTPD_STATE *state, MAPS *maps, const char *table, const char *key,
                         int flags, const char *reply_name, const char *reply_class, int depth,
                         int *status)
{
    const char *value = maps_find(maps, key, flags);

    if (value) {
        *status = check_table_result(state, table, value, reply_name, reply_class, depth);
        return 1;
    }
    if (maps->error) {
        *status = check_tempfail(state, reply_name);
        return 1;
    }
    return 0;
}

/* Domain lookups: the name, then parent domains ("parent" and ".parent"). */
static int access_domain(SMTPD_STATE *state, MAPS *maps, const char *table, const char *domain,
                         const char *reply_name, const char *reply_class, int depth, int *status)
{
    const char *p = domain;

    if (access_lookup(state, maps, table, domain, 0, reply_name, reply_class, depth, status))
        return 1;
    while ((p = strchr(p + 1, '.')) != 0) {
        if (access_lookup(state, maps, table, p + 1, MAPS_FIND_FIXED_ONLY, reply_name, reply_class,
                          depth, status))
            return 1;
        if (access_lookup(state, maps, table, p, MAPS_FIND_FIXED_ONLY, reply_name, reply_class,
                          depth, status))
            return 1;
    }
    return 0;
}

/* check_client_access: name, parent domains, address, network prefixes. */
static int check_client_access(SMTPD_STATE *state, const char *table, const char *reply_name,
                               const char *reply_class, int depth)
{
    MAPS *maps = access_table(table);
    VSTR *key;
    int status;
    char sep = strchr(state->addr, ':') ? ':' : '.';

    if (strcmp(state->name, "unknown") != 0 &&
        access_domain(state, maps, table, state->name, reply_name, reply_class, depth, &status))
        return status;
    if (access_lookup(state, maps, table, state->addr, 0, reply_name, reply_class, depth, &status))
        return status;
    key = vstr_alloc(64);
    vstr_strcpy(key, state->addr);
    for (;;) {
        char *cut = strrchr(key->buf, sep);
        if (cut == 0)
            break;
        vstr_truncate(key, (size_t)(cut - key->buf));
        if (key->len == 0)
            break;
        if (access_lookup(state, maps, table, key->buf, MAPS_FIND_FIXED_ONLY, reply_name,
                          reply_class, depth, &status)) {
            vstr_free(key);
            return status;
        }
    }
    vstr_free(key);
    return SMTPD_CHECK_DUNNO;
}

/* check_sender/recipient_access: address, domain (+parents), localpart@. */
static int check_mail_access(SMTPD_STATE *state, const char *table, const char *addr,
                             const char *reply_class, int depth)
{
    MAPS *maps = access_table(table);
    const char *reply_name = ext_addr(addr, 2);
    const char *dom;
    VSTR *key;
    int status;

    if (*addr == 0) {
        const char *null_key = cfg_str("smtpd_null_access_lookup_key");
        if (access_lookup(state, maps, table, null_key, 0, reply_name, reply_class, depth, &status))
            return status;
        return SMTPD_CHECK_DUNNO;
    }
    if (access_lookup(state, maps, table, addr, 0, reply_name, reply_class, depth, &status))
        return status;
    dom = addr_domain(addr);
    if (dom && *dom &&
        access_domain(state, maps, table, dom, reply_name, reply_class, depth, &status))
        return status;
    key = vstr_alloc(64);
    if (dom)
        vstr_memcpy(key, addr, (size_t)(dom - addr));
    else
        vstr_sprintf(key, "%s@", addr);
    if (access_lookup(state, maps, table, key->buf, MAPS_FIND_FIXED_ONLY, reply_name, reply_class,
                      depth, &status)) {
        vstr_free(key);
        return status;
    }
    vstr_free(key);
    return SMTPD_CHECK_DUNNO;
}

/*
 * smtpd_check_rcpt_maps - reject_unlisted_recipient / _sender
 *
 * Looks addr up in the table of its address class (reference 9.3):
 * virtual_alias_maps accepts any class; local: local_recipient_maps
 * (getpwnam for unix:passwd.byname) unless empty; alias: reject; virtual:
 * virtual_mailbox_maps; relay: relay_recipient_maps unless empty; default:
 * accept. Returns SMTPD_CHECK_DUNNO or SMTPD_CHECK_REJECT (reply set).
 */
int smtpd_check_rcpt_maps(SMTPD_STATE *state, const char *addr, const char *reply_class)
{
    const char *reply_name = ext_addr(addr, 2);
    const char *dsn = strcmp(reply_class, CLASS_SENDER) == 0 ? "5.1.0" : "5.1.1";
    int show = cfg_bool("show_user_unknown_table_name");
    const char *what;
    const char *code_param;

    if (*addr == 0)
        return SMTPD_CHECK_DUNNO;
    if (resolve_addr(addr, state->resolve) < 0)
        return check_tempfail(state, reply_name);
    if (mail_addr_find(virt_alias_maps, addr, 0, MAIL_ADDR_VIRTUAL))
        return SMTPD_CHECK_DUNNO;
    if (virt_alias_maps->error)
        return check_tempfail(state, reply_name);

    switch (state->resolve->klass) {
    case RESOLVE_CLASS_LOCAL:
        if (!local_rcpt_any)
            return SMTPD_CHECK_DUNNO;
        if (local_rcpt_passwd) {
            VSTR *local = vstr_alloc(64), *dom = vstr_alloc(64);
            VSTR *base = vstr_alloc(64), *ext = vstr_alloc(16), *low = vstr_alloc(64);
            int found;
            addr_split(addr, local, dom);
            addr_lowercase(local->buf, low);
            addr_strip_extension(low->buf, cfg_str("recipient_delimiter"), base, ext);
            found = getpwnam(base->buf) != 0;
            vstr_free(local);
            vstr_free(dom);
            vstr_free(base);
            vstr_free(ext);
            vstr_free(low);
            if (found)
                return SMTPD_CHECK_DUNNO;
        }
        if (mail_addr_find(local_rcpt_maps, addr, 0, MAIL_ADDR_VIRTUAL))
            return SMTPD_CHECK_DUNNO;
        if (local_rcpt_maps->error)
            return check_tempfail(state, reply_name);
        what = "local recipient table";
        code_param = "unknown_local_recipient_reject_code";
        break;
    case RESOLVE_CLASS_ALIAS:
        what = "virtual alias table";
        code_param = "unknown_virtual_alias_reject_code";
        break;
    case RESOLVE_CLASS_VIRTUAL:
        if (mail_addr_find(virt_mailbox_maps, addr, 0, MAIL_ADDR_MAILBOX))
            return SMTPD_CHECK_DUNNO;
        if (virt_mailbox_maps->error)
            return check_tempfail(state, reply_name);
        what = "virtual mailbox table";
        code_param = "unknown_virtual_mailbox_reject_code";
        break;
    case RESOLVE_CLASS_RELAY:
        if (relay_rcpt_maps->count == 0)
            return SMTPD_CHECK_DUNNO;
        if (mail_addr_find(relay_rcpt_maps, addr, 0, MAIL_ADDR_MAILBOX))
            return SMTPD_CHECK_DUNNO;
        if (relay_rcpt_maps->error)
            return check_tempfail(state, reply_name);
        what = "relay recipient table";
        code_param = "unknown_relay_recipient_reject_code";
        break;
    default:
        return SMTPD_CHECK_DUNNO;
    }
    return check_reject(state, (int)cfg_long(code_param), dsn,
                        "<%s>: %s rejected: User unknown%s%s", reply_name, reply_class,
                        show ? " in " : "", show ? what : "");
}

/* reject/defer/permit_auth_destination. mode: 0 permit, 1 reject, 2 defer */
static int check_auth_destination(SMTPD_STATE *state, int mode)
{
    const char *rcpt = state->recipient;
    int code;

    if (rcpt == 0)
        return SMTPD_CHECK_DUNNO;
    if (resolve_addr(rcpt, state->resolve) < 0)
        return check_tempfail(state, ext_addr(rcpt, 2));
    if (state->resolve->klass != RESOLVE_CLASS_DEFAULT)
        return mode == 0 ? SMTPD_CHECK_OK : SMTPD_CHECK_DUNNO;
    if (mode == 0)
        return SMTPD_CHECK_DUNNO;
    code = (int)cfg_long("relay_domains_reject_code");
    if (mode == 2)
        code -= 100;
    return check_reject(state, code, "5.7.1", "<%s>: Relay access denied", ext_addr(rcpt, 2));
}

/* Is name one of the smtpd_restriction_classes? */
static int is_restriction_class(const char *name)
{
    int i;

    for (i = 0; i < restriction_classes->argc; i++)
        if (strcmp(restriction_classes->argv[i], name) == 0)
            return 1;
    return 0;
}

/*
 * Evaluate one restriction list. reply_name/reply_class describe what the
 * list is about (for permit/reject/defer). Returns SMTPD_CHECK_*.
 */
static int check_list(SMTPD_STATE *state, ARGV *list, const char *reply_name,
                      const char *reply_class, int depth)
{
    int i;
    int status;

    state->warn_if_reject = 0;
    for (i = 0; i < list->argc; i++) {
        const char *name = list->argv[i];
        const char *arg = i + 1 < list->argc ? list->argv[i + 1] : 0;
        int saved_warn = state->warn_if_reject;

        status = SMTPD_CHECK_DUNNO;
        if (strcasecmp(name, "warn_if_reject") == 0) {
            state->warn_if_reject = 1;
            continue;
        } else if (strcasecmp(name, "permit") == 0) {
            status = SMTPD_CHECK_OK;
        } else if (strcasecmp(name, "reject") == 0) {
            status = check_reject(state, (int)cfg_long("reject_code"), "5.7.1",
                                  "<%s>: %s rejected: Access denied", reply_name, reply_class);
        } else if (strcasecmp(name, "defer") == 0) {
            status = check_reject(state, (int)cfg_long("defer_code"), "4.3.2",
                                  "<%s>: %s rejected: Try again later", reply_name, reply_class);
        } else if (strcasecmp(name, "permit_mynetworks") == 0) {
            if (state->in_mynetworks)
                status = SMTPD_CHECK_OK;
        } else if (strcasecmp(name, "permit_sasl_authenticated") == 0) {
            /* No SASL yet: never authenticated. */
        } else if (strcasecmp(name, "reject_unauth_destination") == 0) {
            status = check_auth_destination(state, 1);
        } else if (strcasecmp(name, "defer_unauth_destination") == 0) {
            status = check_auth_destination(state, 2);
        } else if (strcasecmp(name, "permit_auth_destination") == 0) {
            status = check_auth_destination(state, 0);
        } else if (strcasecmp(name, "reject_unlisted_recipient") == 0 ||
                   strcasecmp(name, "check_recipient_maps") == 0) {
            if (state->recipient) {
                state->unlisted_rcpt_done = 1;
                status = smtpd_check_rcpt_maps(state, state->recipient, CLASS_RCPT);
            }
        } else if (strcasecmp(name, "reject_unlisted_sender") == 0) {
            if (state->sender)
                status = smtpd_check_rcpt_maps(state, state->sender, CLASS_SENDER);
        } else if (strcasecmp(name, "reject_non_fqdn_sender") == 0) {
            if (state->sender && *state->sender && !fqdn_address(state->sender))
                status = check_reject(state, (int)cfg_long("non_fqdn_reject_code"), "5.5.2",
                                      "<%s>: %s rejected: need fully-qualified address",
                                      ext_addr(state->sender, 2), CLASS_SENDER);
        } else if (strcasecmp(name, "reject_non_fqdn_recipient") == 0) {
            if (state->recipient && !fqdn_address(state->recipient))
                status = check_reject(state, (int)cfg_long("non_fqdn_reject_code"), "5.5.2",
                                      "<%s>: %s rejected: need fully-qualified address",
                                      ext_addr(state->recipient, 2), CLASS_RCPT);
        } else if (strcasecmp(name, "reject_non_fqdn_helo_hostname") == 0 ||
                   strcasecmp(name, "reject_non_fqdn_hostname") == 0) {
            const char *h = state->helo_name;
            if (h && !(h[0] == '[' && valid_hostaddr(h)) &&
                (!smtpd_valid_hostname(h) || strchr(h, '.') == 0))
                status =
                    check_reject(state, (int)cfg_long("non_fqdn_reject_code"), "5.5.2",
                                 "<%s>: %s rejected: need fully-qualified hostname", h, CLASS_HELO);
        } else if (strcasecmp(name, "reject_invalid_helo_hostname") == 0 ||
                   strcasecmp(name, "reject_invalid_hostname") == 0) {
            const char *h = state->helo_name;
            if (h &&
                !(h[0] == '[' ? valid_hostaddr(h) : (smtpd_valid_hostname(h) || valid_hostaddr(h))))
                status = check_reject(state, (int)cfg_long("invalid_hostname_reject_code"), "5.5.2",
                                      "<%s>: %s rejected: Invalid name", h, CLASS_HELO);
        } else if (strcasecmp(name, "check_client_access") == 0) {
            if (arg == 0)
                return check_config_error(state, name);
            i++;
            status = check_client_access(state, arg, state->namaddr, CLASS_CLIENT, depth);
        } else if (strcasecmp(name, "check_helo_access") == 0) {
            if (arg == 0)
                return check_config_error(state, name);
            i++;
            if (state->helo_name) {
                MAPS *maps = access_table(arg);
                if (!access_domain(state, maps, arg, state->helo_name, state->helo_name, CLASS_HELO,
                                   depth, &status))
                    status = SMTPD_CHECK_DUNNO;
            }
        } else if (strcasecmp(name, "check_sender_access") == 0) {
            if (arg == 0)
                return check_config_error(state, name);
            i++;
            if (state->sender)
                status = check_mail_access(state, arg, state->sender, CLASS_SENDER, depth);
        } else if (strcasecmp(name, "check_recipient_access") == 0) {
            if (arg == 0)
                return check_config_error(state, name);
            i++;
            if (state->recipient)
                status = check_mail_access(state, arg, state->recipient, CLASS_RCPT, depth);
        } else if (is_restriction_class(name) && depth < MAX_DEPTH) {
            ARGV *cl = restriction_list(name);
            status = check_list(state, cl, reply_name, reply_class, depth + 1);
            argv_free(cl);
        } else {
            return check_config_error(state, name);
        }
        if (saved_warn)
            state->warn_if_reject = 0;
        if (status != SMTPD_CHECK_DUNNO)
            return status;
    }
    return SMTPD_CHECK_DUNNO;
}

/* Run one top-level list: REJECT, or DUNNO for permit/end. */
static int check_top(SMTPD_STATE *state, ARGV *list, const char *reply_name,
                     const char *reply_class)
{
    int r = check_list(state, list, reply_name, reply_class, 0);

    state->warn_if_reject = 0;
    return r == SMTPD_CHECK_REJECT ? SMTPD_CHECK_REJECT : SMTPD_CHECK_DUNNO;
}

/*
 * smtpd_check_client/helo/mail/data - run one restriction list now.
 * Return SMTPD_CHECK_REJECT (state->reply holds the reply, already
 * logged) or SMTPD_CHECK_DUNNO.
 */
int smtpd_check_client(SMTPD_STATE *state)
{
    return check_top(state, client_list, state->namaddr, CLASS_CLIENT);
}

int smtpd_check_helo(SMTPD_STATE *state)
{
    return check_top(state, helo_list, state->helo_name ? state->helo_name : "", CLASS_HELO);
}

int smtpd_check_mail(SMTPD_STATE *state)
{
    return check_top(state, sender_list, state->sender ? ext_addr(state->sender, 0) : "",
                     CLASS_SENDER);
}

int smtpd_check_data(SMTPD_STATE *state)
{
    char *saved = state->recipient;
    int r;

    if (state->rcpt_count > 1)
        state->recipient = 0; /* Postfix logs no to= for many recipients */
    r = check_top(state, data_list, "DATA", CLASS_DATA);
    state->recipient = saved;
    return r;
}

/*
 * smtpd_check_rcpt - all checks for state->recipient at RCPT time
 *
 * The order of reference 9.3. Returns SMTPD_CHECK_REJECT with the reply
 * in state->reply, or SMTPD_CHECK_OK.
 */
int smtpd_check_rcpt(SMTPD_STATE *state)
{
    const char *rcpt = state->recipient;
    const char *rname = ext_addr(rcpt, 1);
    ARGV *first, *second;

    if (strcasecmp(rcpt, "postmaster") == 0)
        return SMTPD_CHECK_OK;
    state->unlisted_rcpt_done = 0;
    if (cfg_bool("smtpd_delay_reject")) {
        if (smtpd_check_client(state) == SMTPD_CHECK_REJECT)
            return SMTPD_CHECK_REJECT;
        if (smtpd_check_helo(state) == SMTPD_CHECK_REJECT)
            return SMTPD_CHECK_REJECT;
        if (smtpd_check_mail(state) == SMTPD_CHECK_REJECT)
            return SMTPD_CHECK_REJECT;
    }
    if (cfg_bool("smtpd_relay_before_recipient_restrictions")) {
        first = relay_list;
        second = rcpt_list;
    } else {
        first = rcpt_list;
        second = relay_list;
    }
    if (check_top(state, first, rname, CLASS_RCPT) == SMTPD_CHECK_REJECT)
        return SMTPD_CHECK_REJECT;
    if (check_top(state, second, rname, CLASS_RCPT) == SMTPD_CHECK_REJECT)
        return SMTPD_CHECK_REJECT;
    if (!state->unlisted_rcpt_done && cfg_bool("smtpd_reject_unlisted_recipient") &&
        smtpd_check_rcpt_maps(state, rcpt, CLASS_RCPT) == SMTPD_CHECK_REJECT)
        return SMTPD_CHECK_REJECT;
    return SMTPD_CHECK_OK;
}

/*
 * smtpd_check_vrfy - VRFY: the recipient table check only (Postfix runs
 * reject_unlisted_recipient for VRFY when smtpd_reject_unlisted_recipient
 * is on). Returns SMTPD_CHECK_REJECT or SMTPD_CHECK_OK.
 */
int smtpd_check_vrfy(SMTPD_STATE *state)
{
    if (cfg_bool("smtpd_reject_unlisted_recipient") &&
        smtpd_check_rcpt_maps(state, state->recipient, CLASS_RCPT) == SMTPD_CHECK_REJECT)
        return SMTPD_CHECK_REJECT;
    return SMTPD_CHECK_OK;
}
