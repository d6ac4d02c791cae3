/*
 * NAME
 *     cleanup_header - message header scanning and generated headers
 * DESCRIPTION
 *     Pure helpers used by cleanup(8) while it copies the primary message
 *     headers: recognising a header line (RFC 5322 section 2.2: a field name
 *     of printable characters other than ':' followed by ':'; like Postfix's
 *     is_header() blanks are tolerated between the name and the colon),
 *     classifying the headers cleanup acts on (From, Date, Message-ID,
 *     Received and their Resent- forms), and formatting the headers cleanup
 *     adds in the local rewrite context (Postfix cleanup_message.c):
 *     "Message-Id: <YYYYMMDDhhmmss.QID@myhostname>" (UTC time stamp),
 *     "Date: Sat, 21 Nov 2026 13:08:16 +0000 (UTC)" (Postfix mail_date(),
 *     strftime "%a, %e %b %Y %H:%M:%S " plus the numeric zone and its name)
 *     and "From: Full Name <sender>" or "From: sender" (Postfix 3.7).
 * DIAGNOSTICS
 *     None: these functions cannot fail (allocation failure is fatal in
 *     mymalloc).
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cleanup.h"
#include "mail_date.h"

/*
 * cleanup_header_name_len - length of the field name when line (len bytes,
 * one physical line without terminator) starts a header, else 0. The name is
 * 1*(33..126 except ':'), optionally followed by blanks, then ':'.
 */
size_t cleanup_header_name_len(const char *line, size_t len)
{
    size_t i = 0;
    size_t name_len;

    while (i < len) {
        unsigned char c = (unsigned char)line[i];
        if (c < 33 || c > 126 || c == ':')
            break;
        i++;
    }
    if (i == 0)
        return 0;
    name_len = i;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i >= len || line[i] != ':')
        return 0;
    return name_len;
}

/*
 * cleanup_header_class - classify a header line: one of CLN_HDR_* (case
 * insensitive field name). CLN_HDR_OTHER for a header cleanup ignores and for
 * a line that is not a header at all.
 */
int cleanup_header_class(const char *line, size_t len)
{
    static const struct {
        const char *name;
        int klass;
    } table[] = {
        {"from", CLN_HDR_FROM},
        {"date", CLN_HDR_DATE},
        {"message-id", CLN_HDR_MESSAGE_ID},
        {"received", CLN_HDR_RECEIVED},
        {"resent-from", CLN_HDR_RESENT_FROM},
        {"resent-date", CLN_HDR_RESENT_DATE},
        {"resent-message-id", CLN_HDR_RESENT_MESSAGE_ID},
    };
    size_t n = cleanup_header_name_len(line, len);
    size_t i;

    if (n == 0)
        return CLN_HDR_OTHER;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strlen(table[i].name) == n && strncasecmp(line, table[i].name, n) == 0)
            return table[i].klass;
    if (n > 7 && strncasecmp(line, "resent-", 7) == 0)
        return CLN_HDR_RESENT_OTHER;
    return CLN_HDR_OTHER;
}

/*
 * cleanup_header_value - out = the value of a (possibly folded) header in
 * line/len: the text after the colon with leading blanks removed and the
 * folding newlines dropped; trailing blanks removed.
 */
void cleanup_header_value(const char *line, size_t len, VSTR *out)
{
    const char *colon = memchr(line, ':', len);
    size_t i;

    vstr_reset(out);
    if (colon == 0)
        return;
    i = (size_t)(colon - line) + 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n'))
        i++;
    for (; i < len; i++)
        if (line[i] != '\n' && line[i] != '\r')
            vstr_addch(out, line[i]);
    while (out->len > 0 && (out->buf[out->len - 1] == ' ' || out->buf[out->len - 1] == '\t'))
        vstr_truncate(out, out->len - 1);
}

/*
 * cleanup_msgid_format - out = "<YYYYMMDDhhmmss.QID@host>", the time stamp
 * in UTC (Postfix cleanup_message.c uses gmtime).
 */
void cleanup_msgid_format(VSTR *out, time_t when, const char *qid, const char *host)
{
    struct tm tm;

    gmtime_r(&when, &tm);
    vstr_sprintf(out, "<%04d%02d%02d%02d%02d%02d.%s@%s>", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, qid, host);
}

/*
 * cleanup_date_format - out = an RFC 5322 date in Postfix's mail_date()
 * format, local time: "Sat, 21 Nov 2026 13:08:16 +0000 (UTC)" (the day of
 * the month is blank-padded, as strftime %e gives).
 */
void cleanup_date_format(VSTR *out, time_t when)
{
    mail_date(out, when);
}

/*
 * cleanup_from_format - out = "PREFIXFrom: " header text for a sender
 * (prefix is "" or "Resent-"), as Postfix 3.7 writes it (checked against
 * Debian's 3.7.11): "From: Name <addr>" with the full name quoted when it
 * contains RFC 5322 specials, or "From: addr" without a full name. The null
 * sender is MAILER-DAEMON.
 * Control characters in the full name (it comes from "sendmail -F" or the
 * GECOS field, i.e. from a local user) are written as blanks, so that a
 * CR or LF cannot start a new header line.
 */
void cleanup_from_format(VSTR *out, const char *prefix, const char *sender, const char *fullname)
{
    const char *addr = (sender && *sender) ? sender : "MAILER-DAEMON";
    const char *cp;

    vstr_sprintf(out, "%sFrom: ", prefix);
    if (sender && *sender && fullname && *fullname) {
        int quote = strpbrk(fullname, "()<>@,;:\\\".[]") != 0;

        if (quote)
            vstr_addch(out, '"');
        for (cp = fullname; *cp; cp++) {
            unsigned char ch = (unsigned char)*cp;

            if (quote && (ch == '"' || ch == '\\'))
                vstr_addch(out, '\\');
            vstr_addch(out, (ch < ' ' && ch != '\t') || ch == 0x7f ? ' ' : ch);
        }
        if (quote)
            vstr_addch(out, '"');
        vstr_sprintf_append(out, " <%s>", addr);
        return;
    }
    vstr_addstr(out, addr);
}
