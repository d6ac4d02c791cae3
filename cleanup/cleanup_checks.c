/*
 * NAME
 *     cleanup_checks - header_checks and body_checks actions
 * DESCRIPTION
 *     The table-driven content inspection of cleanup(8), after Postfix's
 *     header_checks(5) and cleanup_act.c. cleanup.c looks each primary
 *     message header (continuation lines joined with "\n") up in
 *     mime_header_checks when it is a MIME header (MIME-Version,
 *     Content-*) and in header_checks otherwise, and each body line in
 *     body_checks, only while the client's CLEANUP_FLAG_FILTER is set
 *     (smtpd and pickup set it unless receive_override_options has
 *     no_header_body_checks). The helpers here are pure, so the unit test
 *     can use them:
 *
 *     cleanup_check_parse() splits a table result "ACTION optional text"
 *     into a CLEANUP_ACT_* code (case-insensitive: REJECT, DISCARD, HOLD,
 *     WARN, INFO, IGNORE, PREPEND, REPLACE, DUNNO, OK; anything else is
 *     CLEANUP_ACT_UNKNOWN, which Postfix logs and treats as DUNNO).
 *     cleanup_check_reject_reason() is Postfix's dsn_prepend("5.7.1", text):
 *     the REJECT text with an RFC 3463 status code, "5.7.1 message content
 *     rejected" without text. cleanup_is_mime_header() tells which table a
 *     primary header goes to. cleanup_check_log_format() formats Postfix's
 *     action log line "QID: ACTION: CLASS CONTENT(200 bytes max) from
 *     ORIGIN; from=<S> to=<R> proto=P helo=<H>: TEXT" (each of the from,
 *     to, proto and helo parts only when known, ": TEXT" only with text).
 *     cleanup_mime_content_type() and cleanup_mime_boundary_match() give
 *     cleanup.c the little MIME structure it follows (RFC 2046): multipart
 *     boundaries and message/rfc822 parts, so that the headers of MIME parts
 *     go to mime_header_checks and those of attached messages to
 *     nested_header_checks (MIME headers there: mime_header_checks), not
 *     to body_checks, as Postfix's mime_state does.
 * DIAGNOSTICS
 *     None here; cleanup.c logs the action lines and table failures.
 * SEE ALSO
 *     Postfix header_checks(5), cleanup(8); reference sections 4.4, 10.2.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"

/*
 * cleanup_check_parse - map a header/body_checks result to CLEANUP_ACT_*;
 * *text points at the optional text after the action word (leading blanks
 * skipped, "" when none).
 */
int cleanup_check_parse(const char *value, const char **text)
{
    static const struct {
        const char *name;
        int act;
    } table[] = {
        {"REJECT", CLEANUP_ACT_REJECT},   {"DISCARD", CLEANUP_ACT_DISCARD},
        {"HOLD", CLEANUP_ACT_HOLD},       {"WARN", CLEANUP_ACT_WARN},
        {"INFO", CLEANUP_ACT_INFO},       {"IGNORE", CLEANUP_ACT_IGNORE},
        {"PREPEND", CLEANUP_ACT_PREPEND}, {"REPLACE", CLEANUP_ACT_REPLACE},
        {"DUNNO", CLEANUP_ACT_DUNNO},     {"OK", CLEANUP_ACT_DUNNO},
    };
    size_t len = strcspn(value, " \t\r\n");
    const char *cp = value + len;
    size_t i;

    while (*cp && isspace((unsigned char)*cp))
        cp++;
    *text = cp;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strlen(table[i].name) == len && strncasecmp(value, table[i].name, len) == 0)
            return table[i].act;
    return CLEANUP_ACT_UNKNOWN;
}

/*
 * cleanup_check_reject_reason - the reason for REJECT text into out: text
 * as is when it starts with a status code "[245].d.d " (up to three digits
 * per part), else "5.7.1 " text; "5.7.1 message content rejected" for an
 * empty text. Returns the class digit of the result ('4' or '5'); a code
 * starting with '2' is changed to '4', as Postfix does.
 */
int cleanup_check_reject_reason(const char *text, VSTR *out)
{
    const char *cp = text;
    int part;

    if (*text == 0) {
        vstr_strcpy(out, "5.7.1 message content rejected");
        return '5';
    }
    if (*cp == '2' || *cp == '4' || *cp == '5') {
        for (part = 0; part < 3; part++) {
            size_t n = strspn(cp, "0123456789");

            if (part == 0 && n != 1)
                break;
            if (n < 1 || n > 3)
                break;
            cp += n;
            if (part < 2) {
                if (*cp != '.')
                    break;
                cp++;
            }
        }
        if (part == 3 && (*cp == ' ' || *cp == 0)) {
            vstr_strcpy(out, text);
            if (out->buf[0] == '2')
                out->buf[0] = '4';
            return out->buf[0];
        }
    }
    vstr_sprintf(out, "5.7.1 %s", text);
    return '5';
}

/*
 * cleanup_is_mime_header - 1 when the header (len bytes, starting with its
 * name) is MIME-Version or Content-*: those go to mime_header_checks.
 */
int cleanup_is_mime_header(const char *line, size_t len)
{
    size_t n = cleanup_header_name_len(line, len);

    if (n == 12 && strncasecmp(line, "MIME-Version", 12) == 0)
        return 1;
    return n > 8 && strncasecmp(line, "Content-", 8) == 0;
}

/*
 * cleanup_check_log_format - the action log line (see the module comment)
 * into out. sender, recip, proto, helo and text may be NULL (omitted);
 * origin NULL is "unknown". content is cut at 200 bytes. Control characters (the
 * line breaks of a folded header) become '?', as Postfix's logger does.
 */
void cleanup_check_log_format(VSTR *out, const char *qid, const char *action, const char *klass,
                              const char *content, const char *origin, const char *sender,
                              const char *recip, const char *proto, const char *helo,
                              const char *text)
{
    size_t i;

    vstr_sprintf(out, "%s: %s: %s %.200s from %s;", qid, action, klass, content,
                 origin ? origin : "unknown");
    if (sender)
        vstr_sprintf_append(out, " from=<%s>", sender);
    if (recip)
        vstr_sprintf_append(out, " to=<%s>", recip);
    if (proto)
        vstr_sprintf_append(out, " proto=%s", proto);
    if (helo)
        vstr_sprintf_append(out, " helo=<%s>", helo);
    if (text && *text)
        vstr_sprintf_append(out, ": %s", text);
    /* Postfix's msg_output() logs printable(text, '?'): one log line */
    for (i = 0; i < out->len; i++)
        if (!isprint((unsigned char)out->buf[i]) && !((unsigned char)out->buf[i] & 0x80))
            out->buf[i] = '?';
}

/*
 * cleanup_mime_content_type - inspect a header (len bytes, continuation
 * lines included) for the MIME structure that decides which table later
 * lines go to: CLEANUP_MIME_MULTIPART for "Content-Type: multipart/...;
 * boundary=B" (B, unquoted, stored in boundary; RFC 2046 section 5.1.1),
 * CLEANUP_MIME_RFC822 for "Content-Type: message/rfc822", else
 * CLEANUP_MIME_OTHER (also for a multipart type without a boundary).
 */
int cleanup_mime_content_type(const char *hdr, size_t len, VSTR *boundary)
{
    size_t n = cleanup_header_name_len(hdr, len);
    const char *cp = hdr + n;
    const char *end = hdr + len;
    const char *p;

    if (n != 12 || strncasecmp(hdr, "Content-Type", 12) != 0)
        return CLEANUP_MIME_OTHER;
    while (cp < end && *cp != ':')
        cp++;
    if (cp < end)
        cp++;
    while (cp < end && isspace((unsigned char)*cp))
        cp++;
    if ((size_t)(end - cp) >= 14 && strncasecmp(cp, "message/rfc822", 14) == 0)
        return CLEANUP_MIME_RFC822;
    if ((size_t)(end - cp) < 10 || strncasecmp(cp, "multipart/", 10) != 0)
        return CLEANUP_MIME_OTHER;
    for (p = cp; p + 9 <= end; p++) {
        const char *v;

        if (strncasecmp(p, "boundary=", 9) != 0 ||
            (p > cp && !isspace((unsigned char)p[-1]) && p[-1] != ';'))
            continue;
        v = p + 9;
        vstr_reset(boundary);
        if (v < end && *v == '"') {
            for (v++; v < end && *v != '"'; v++)
                vstr_addch(boundary, *v);
        } else {
            for (; v < end && *v != ';' && !isspace((unsigned char)*v); v++)
                vstr_addch(boundary, *v);
        }
        return boundary->len > 0 ? CLEANUP_MIME_MULTIPART : CLEANUP_MIME_OTHER;
    }
    return CLEANUP_MIME_OTHER;
}

/*
 * cleanup_mime_boundary_match - a body line (len bytes) against boundary
 * b: 0 when it is not "--b...", 1 for a part delimiter "--b", 2 for the
 * close delimiter "--b--".
 */
int cleanup_mime_boundary_match(const char *line, size_t len, const char *b)
{
    size_t blen = strlen(b);

    if (len < blen + 2 || line[0] != '-' || line[1] != '-' || memcmp(line + 2, b, blen) != 0)
        return 0;
    if (len >= blen + 4 && line[blen + 2] == '-' && line[blen + 3] == '-')
        return 2;
    return 1;
}
