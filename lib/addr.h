/*
 * addr - RFC 5321 envelope address parsing and RFC 5322 quoting.
 *
 * Internally an address is kept unquoted ("a b"@x.test is stored as
 * 'a b@x.test'), as Postfix keeps it in queue files; the external (quoted)
 * form is produced for SMTP replies, logs and headers where needed.
 *
 * addr_parse_path(text, addr, rest, strict) parses the argument of MAIL
 * FROM: or RCPT TO: (text starts after the colon, leading blanks allowed):
 * "<local@domain>", "<>", "<\"quoted local\"@domain>", and source routes
 * "<@a,@b:user@domain>" which are stripped to user@domain (RFC 5321 section
 * 4.1.1.3 says they "SHOULD" be ignored; Postfix strips them). Without
 * strict (strict_rfc821_envelopes = no) a missing <> is tolerated as Postfix
 * does ("MAIL FROM: user@x"). The unquoted address goes to addr; *rest
 * points at the ESMTP parameters after the path (may be ""). Returns 0, or -1
 * for a syntax error (unbalanced <>, bad quoting, control characters, 8-bit
 * bytes outside SMTPUTF8, an address longer than 1000 bytes).
 * addr_quote_external(internal, out): the RFC 5322 form, quoting the local
 * part when it contains specials or blanks.
 * addr_split(addr, local, domain): the part before the last '@' and after;
 * domain is empty when there is no '@'. addr_domain(addr): pointer to the
 * domain part in addr (after the last '@'), or NULL.
 * addr_lowercase(addr, out): out = lower-cased address (ASCII only).
 * addr_strip_extension(local, delims, base, ext): split a local part at the
 * first character from delims (recipient_delimiter) unless the local part
 * is postmaster, MAILER-DAEMON, owner-* or *-request; returns 1 when split.
 */
#ifndef POSTERN_ADDR_H
#define POSTERN_ADDR_H

#include "vstr.h"

extern int addr_parse_path(const char *text, VSTR *addr, const char **rest, int strict);
extern void addr_quote_external(const char *internal, VSTR *out);
extern void addr_split(const char *addr, VSTR *local, VSTR *domain);
extern const char *addr_domain(const char *addr);
extern void addr_lowercase(const char *addr, VSTR *out);
extern int addr_strip_extension(const char *local, const char *delims, VSTR *base, VSTR *ext);

#endif
