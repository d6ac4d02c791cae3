/*
 * mail_date - RFC 5322 dates as Postfix writes them. See mail_date.h.
 *
 * Used by smtpd (Received:), cleanup (a missing Date:), pickup (its
 * Received:) and bounce (the DSN). The names are fixed English strings, not
 * strftime's, so a daemon's locale cannot change the header (RFC 5322
 * section 3.3 day-name and month-name).
 */
#include <time.h>

#include "mail_date.h"
#include "vstr.h"

/* mail_date - see mail_date.h */
void mail_date(VSTR *out, time_t when)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    long off;
    char sign = '+';

    localtime_r(&when, &tm);
    off = tm.tm_gmtoff / 60;
    if (off < 0) {
        sign = '-';
        off = -off;
    }
    vstr_sprintf(out, "%s, %2d %s %d %02d:%02d:%02d %c%02ld%02ld", days[tm.tm_wday % 7], tm.tm_mday,
                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, sign,
                 off / 60, off % 60);
    if (tm.tm_zone && *tm.tm_zone)
        vstr_sprintf_append(out, " (%s)", tm.tm_zone);
}
