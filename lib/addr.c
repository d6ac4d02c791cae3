/*
 * NAME
 *	addr - RFC 5321 envelope address parsing and RFC 5322 quoting
 *
 * SYNOPSIS
 *	#include "addr.h"
 *
 * DESCRIPTION
 *	This module parses the path argument of MAIL FROM: and RCPT TO:
 *	(RFC 5321 section 4.1.2) into the internal, unquoted form that Postfix
 *	keeps in queue files ("a b"@x.test is stored as a b@x.test), and
 *	produces the external (quoted) form for replies, logs and headers
 *	(RFC 5322 section 3.4.1).
 *
 *	Source routes (<@a,@b:user@domain>, RFC 5321 section 4.1.1.3 and
 *	appendix C) are stripped, as Postfix does. Without strict mode
 *	(strict_rfc821_envelopes = no, the default) a path without <> is
 *	accepted, as Postfix does ("MAIL FROM: user@x").
 *
 * DIAGNOSTICS
 *	None: parse errors are returned to the caller, which chooses the SMTP
 *	reply (501 5.1.7 / 501 5.1.3).
 *
 * BUGS
 *	8-bit addresses (SMTPUTF8, RFC 6531) are refused: Postern does not
 *	announce SMTPUTF8 yet.
 */
#include <ctype.h>
#include <string.h>

#include "addr.h"
#include "vstr.h"

#define ADDR_MAX_LEN 1000 /* longest address accepted (bytes) */

/* RFC 5322 "specials" plus blanks: a local part with any of these must be
 * quoted in the external form. */
static int addr_needs_quote(const char *local, size_t len)
{
    size_t i;

    if (len == 0)
        return 0;
    if (local[0] == '.' || local[len - 1] == '.')
        return 1;
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)local[i];
        if (ch <= ' ' || ch == 0x7f || strchr("()<>@,;:\\\".[]", ch) != 0)
            if (ch != '.')
                return 1;
        if (ch == '.' && i + 1 < len && local[i + 1] == '.')
            return 1;
    }
    return 0;
}

/*
 * addr_quote_external - produce the RFC 5322 form of an internal address
 *
 * Takes the unquoted internal form; stores in out the address with the
 * local part (everything before the last '@') enclosed in double quotes
 * when it contains specials, blanks or misplaced dots; '"' and '\' are
 * backslash-escaped inside the quotes. The empty address stays empty;
 * an empty local part before "@" is written "" ("\"\"@x").
 */
void addr_quote_external(const char *internal, VSTR *out)
{
    const char *at = strrchr(internal, '@');
    size_t local_len = at ? (size_t)(at - internal) : strlen(internal);
    size_t i;

    vstr_reset(out);
    /* An empty local part before '@' is written "" (as Postfix does), else
     * "@domain" would read back as a source route. */
    if (addr_needs_quote(internal, local_len) || (at && local_len == 0)) {
        vstr_addch(out, '"');
        for (i = 0; i < local_len; i++) {
            if (internal[i] == '"' || internal[i] == '\\')
                vstr_addch(out, '\\');
            vstr_addch(out, internal[i]);
        }
        vstr_addch(out, '"');
    } else {
        vstr_addmem(out, internal, local_len);
    }
    if (at)
        vstr_addstr(out, at);
}

/* Skip a source route "@a,@b:" at p (within [p, end)); returns the pointer
 * after the ':' or NULL when malformed. */
static const char *addr_skip_route(const char *p, const char *end)
{
    while (p < end && *p == '@') {
        p++;
        while (p < end && *p != ',' && *p != ':' && *p != '>' && *p != '"')
            p++;
        if (p >= end)
            return 0;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ':')
            return p + 1;
        return 0;
    }
    return 0;
}

/*
 * addr_parse_path - parse an RFC 5321 Path / Reverse-path
 *
 * text starts after "FROM:"/"TO:" (leading blanks allowed). On success
 * (0) addr holds the unquoted address and *rest points at the ESMTP
 * parameters (leading blanks skipped; "" when none). Returns -1 for a
 * syntax error: unbalanced <> or quotes, control characters, 8-bit bytes,
 * text after the path not separated by a blank, or an address longer than
 * 1000 bytes. With strict, a path without <> is an error.
 */
int addr_parse_path(const char *text, VSTR *addr, const char **rest, int strict)
{
    const char *p = text;
    const char *start;
    const char *end;
    int bracketed = 0;
    int in_quote = 0;

    vstr_reset(addr);
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p == '<') {
        bracketed = 1;
        p++;
        /* Find the closing '>' outside quotes. */
        for (end = p; *end; end++) {
            if (*end == '\\' && in_quote) {
                if (end[1] == 0)
                    return -1;
                end++;
                continue;
            }
            if (*end == '"')
                in_quote = !in_quote;
            else if (*end == '>' && !in_quote)
                break;
        }
        if (*end != '>')
            return -1;
    } else {
        if (strict)
            return -1;
        for (end = p; *end; end++) {
            if (*end == '\\' && in_quote) {
                if (end[1] == 0)
                    return -1;
                end++;
                continue;
            }
            if (*end == '"')
                in_quote = !in_quote;
            else if ((*end == ' ' || *end == '\t') && !in_quote)
                break;
        }
        if (in_quote)
            return -1;
        if (end == p)
            return -1;
    }
    start = p;
    if (start < end && *start == '@') {
        start = addr_skip_route(start, end);
        if (start == 0)
            return -1;
    }
    if ((size_t)(end - start) > ADDR_MAX_LEN)
        return -1;
    /* Unquote into addr, rejecting control and 8-bit characters. */
    in_quote = 0;
    for (p = start; p < end; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < ' ' || ch >= 0x7f)
            return -1;
        if (ch == '"') {
            in_quote = !in_quote;
            continue;
        }
        if (ch == '\\' && in_quote) {
            p++;
            ch = (unsigned char)*p;
            if (ch < ' ') /* RFC 5321 quoted-pairSMTP is %d92 %d32-126 */
                return -1;
            if (ch >= 0x7f)
                return -1;
            vstr_addch(addr, ch);
            continue;
        }
        if (!in_quote && (ch == '<' || ch == '>' || ch == ' ' || ch == '\t'))
            return -1;
        vstr_addch(addr, ch);
    }
    if (in_quote)
        return -1;
    if (bracketed)
        end++; /* past '>' */
    if (*end != 0 && *end != ' ' && *end != '\t')
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    if (rest)
        *rest = end;
    return 0;
}

/*
 * addr_split - split an address at its last '@'
 *
 * local gets the part before the last '@' (the whole address when there is
 * none), domain the part after it ("" when there is no '@').
 */
void addr_split(const char *addr, VSTR *local, VSTR *domain)
{
    const char *at = strrchr(addr, '@');

    if (at) {
        vstr_memcpy(local, addr, (size_t)(at - addr));
        vstr_strcpy(domain, at + 1);
    } else {
        vstr_strcpy(local, addr);
        vstr_reset(domain);
    }
}

/*
 * addr_domain - the domain part of an address
 *
 * Returns a pointer into addr just after the last '@', or NULL when the
 * address has no '@'.
 */
const char *addr_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');

    return at ? at + 1 : 0;
}

/*
 * addr_lowercase - ASCII lower-case copy of an address into out.
 */
void addr_lowercase(const char *addr, VSTR *out)
{
    vstr_reset(out);
    for (; *addr; addr++)
        vstr_addch(out, tolower((unsigned char)*addr));
}

/*
 * addr_strip_extension - split an address extension off a local part
 *
 * Splits local at the first character found in delims (the
 * recipient_delimiter set): base gets the part before, ext the delimiter
 * and the rest. Nothing is split (returns 0, base = local, ext = "") when
 * delims is empty, no delimiter occurs, the delimiter is the first
 * character, or the local part is postmaster, MAILER-DAEMON, owner-* or
 * *-request (Postfix's split_addr()). Returns 1 when split.
 */
int addr_strip_extension(const char *local, const char *delims, VSTR *base, VSTR *ext)
{
    size_t len = strlen(local);
    size_t pos;

    vstr_strcpy(base, local);
    vstr_reset(ext);
    if (delims == 0 || *delims == 0 || len == 0)
        return 0;
    if (strcasecmp(local, "postmaster") == 0 || strcasecmp(local, "MAILER-DAEMON") == 0)
        return 0;
    if (strncasecmp(local, "owner-", 6) == 0)
        return 0;
    if (len > 8 && strcasecmp(local + len - 8, "-request") == 0)
        return 0;
    pos = strcspn(local, delims);
    if (pos == 0 || pos == len)
        return 0;
    vstr_memcpy(base, local, pos);
    vstr_strcpy(ext, local + pos);
    return 1;
}
