/*
 * mail_date - the RFC 5322 date-time Postfix writes in the headers it adds
 * (Received:, Date:, the DSN report), Postfix's mail_date() format.
 *
 * mail_date(out, when) replaces out with the local time of when (seconds
 * since the epoch) as "Sat, 21 Nov 2026 13:08:16 +0000 (UTC)": English day
 * and month names whatever the locale (RFC 5322 section 3.3), the day of the
 * month blank-padded as strftime %e gives, the numeric zone offset, and the
 * zone abbreviation in parentheses when the system knows one. Cannot fail.
 */
#ifndef POSTERN_MAIL_DATE_H
#define POSTERN_MAIL_DATE_H
#include <time.h>

#include "vstr.h"

extern void mail_date(VSTR *out, time_t when);

#endif
