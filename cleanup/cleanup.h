/*
 * cleanup.h - internal interfaces of cleanup(8): the pure helpers for
 * header scanning (cleanup_header.c), address mapping (cleanup_addr.c) and
 * header/body_checks actions (cleanup_checks.c) that the server
 * (cleanup.c) and the unit tests share.
 */
#ifndef POSTERN_CLEANUP_H
#define POSTERN_CLEANUP_H
#include <stddef.h>
#include <time.h>

#include "argv.h"
#include "maps.h"
#include "vstr.h"

/* Header classes that cleanup cares about (bit numbers in a seen-mask). */
#define CLN_HDR_OTHER 0
#define CLN_HDR_FROM 1
#define CLN_HDR_DATE 2
#define CLN_HDR_MESSAGE_ID 3
#define CLN_HDR_RECEIVED 4
#define CLN_HDR_RESENT_FROM 5
#define CLN_HDR_RESENT_DATE 6
#define CLN_HDR_RESENT_MESSAGE_ID 7
#define CLN_HDR_RESENT_OTHER 8 /* any other Resent-* header */

/* cleanup_header.c */
extern size_t cleanup_header_name_len(const char *line, size_t len);
extern int cleanup_header_class(const char *line, size_t len);
extern void cleanup_header_value(const char *line, size_t len, VSTR *out);
extern void cleanup_msgid_format(VSTR *out, time_t when, const char *qid, const char *host);
extern void cleanup_date_format(VSTR *out, time_t when);
extern void cleanup_from_format(VSTR *out, const char *prefix, const char *sender,
                                const char *fullname);

/* cleanup_addr.c */
typedef struct CLEANUP_ADDR_CFG {
    const char *myorigin;  /* appended to addresses without '@' */
    int recursion_limit;   /* virtual_alias_recursion_limit */
    int expansion_limit;   /* virtual_alias_expansion_limit */
    int propagate_virtual; /* propagate_unmatched_extensions has "virtual" */
    int propagate_canon;   /* ... has "canonical" */
} CLEANUP_ADDR_CFG;

#define CLEANUP_MAP_OK 0
#define CLEANUP_MAP_ERROR (-1) /* table error: defer, reason 4.3.0 */
#define CLEANUP_MAP_LIMIT (-2) /* expansion/recursion limit: defer, 4.6.0 */

extern void cleanup_qualify(const char *addr, const char *myorigin, VSTR *out);
extern int cleanup_map11(MAPS *maps, const char *addr, const CLEANUP_ADDR_CFG *cfg, int propagate,
                         VSTR *out);
extern int cleanup_map1n(MAPS *maps, const char *addr, const CLEANUP_ADDR_CFG *cfg, ARGV **result);

/* cleanup_checks.c: header_checks(5) actions */
#define CLEANUP_ACT_DUNNO 0 /* also OK */
#define CLEANUP_ACT_REJECT 1
#define CLEANUP_ACT_DISCARD 2
#define CLEANUP_ACT_HOLD 3
#define CLEANUP_ACT_WARN 4
#define CLEANUP_ACT_INFO 5
#define CLEANUP_ACT_IGNORE 6
#define CLEANUP_ACT_PREPEND 7
#define CLEANUP_ACT_REPLACE 8
#define CLEANUP_ACT_UNKNOWN 9

#define CLEANUP_MIME_OTHER 0
#define CLEANUP_MIME_MULTIPART 1
#define CLEANUP_MIME_RFC822 2

extern int cleanup_mime_content_type(const char *hdr, size_t len, VSTR *boundary);
extern int cleanup_mime_boundary_match(const char *line, size_t len, const char *b);
extern int cleanup_check_parse(const char *value, const char **text);
extern int cleanup_check_reject_reason(const char *text, VSTR *out);
extern int cleanup_is_mime_header(const char *line, size_t len);
extern void cleanup_check_log_format(VSTR *out, const char *qid, const char *action,
                                     const char *klass, const char *content, const char *origin,
                                     const char *sender, const char *recip, const char *proto,
                                     const char *helo, const char *text);

#endif
