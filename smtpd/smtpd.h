/*
 * smtpd.h - internal interfaces of the Postern SMTP server (smtpd(8)).
 *
 * SMTPD_STATE is one client session. smtpd.c drives the protocol;
 * smtpd_check.c evaluates the access restrictions (reference 9.3);
 * smtpd_data.c is the DATA content state machine (reference 9.7).
 */
#ifndef POSTERN_SMTPD_H
#define POSTERN_SMTPD_H

#include <stddef.h>

#include "argv.h"
#include "cleanup_proto.h"
#include "msg.h"
#include "resolve.h"
#include "stream.h"
#include "vstr.h"

/* DATA state machine (smtpd_data.c). */
typedef void (*SMTPD_DATA_OUT_FN)(void *ctx, int type, const char *buf, size_t len);

typedef struct SMTPD_DATA {
    SMTPD_DATA_OUT_FN out;
    void *ctx;
    int at_line_start; /* the next piece starts a new line */
    int prev_crlf;     /* the previous line ended in CR LF */
    int pending_cr;    /* a '\r' held back from a partial piece */
    long bytes;        /* content octets + one per line end */
} SMTPD_DATA;

extern void smtpd_data_init(SMTPD_DATA *d, SMTPD_DATA_OUT_FN out, void *ctx);
extern int smtpd_data_feed(SMTPD_DATA *d, const char *buf, size_t len);

/* One SMTP session. */
typedef struct SMTPD_STATE {
    STREAM *client;
    char *name;           /* verified client name or "unknown" */
    char *reverse_name;   /* unverified reverse name or "unknown" */
    char *addr;           /* numeric address */
    char *rfc_addr;       /* address as in Received: ("IPv6:..." for v6) */
    char *port;           /* client port */
    char *namaddr;        /* name[addr] or name[addr]:port, for logging */
    char *helo_name;      /* HELO/EHLO argument, or NULL */
    const char *protocol; /* "SMTP" or "ESMTP" */
    const char *where;    /* "CONNECT", "HELO", "DATA", "END-OF-MESSAGE" ... */
    int in_mynetworks;    /* client matches mynetworks */
    int error_count;
    int junk_cmds;
    /* Transaction. */
    char *sender;     /* MAIL FROM address (internal form) or NULL */
    char *recipient;  /* recipient being checked / last one, or NULL */
    char *first_rcpt; /* first accepted recipient */
    int rcpt_count;   /* accepted recipients */
    VSTR *queue_id;   /* empty until the first accepted RCPT */
    int cleanup_open; /* cleanup_begin done for this transaction */
    long msg_size;    /* SIZE= value or 0 */
    long data_bytes;  /* DATA octets so far (for "lost connection") */
    /* Restriction evaluation. */
    int unlisted_rcpt_done; /* reject_unlisted_recipient ran for this RCPT */
    int warn_if_reject;     /* the next reject is only a warning */
    VSTR *reply;            /* the reject reply (without CRLF) */
    RESOLVE_REPLY *resolve;
} SMTPD_STATE;

/* Results of a restriction evaluation. */
#define SMTPD_CHECK_DUNNO 0  /* no decision: continue */
#define SMTPD_CHECK_OK 1     /* permit: ends this list only */
#define SMTPD_CHECK_REJECT 2 /* state->reply holds the reply */

extern void smtpd_check_init(void);
extern int smtpd_check_client(SMTPD_STATE *state);
extern int smtpd_check_helo(SMTPD_STATE *state);
extern int smtpd_check_mail(SMTPD_STATE *state);
extern int smtpd_check_rcpt(SMTPD_STATE *state);
extern int smtpd_check_data(SMTPD_STATE *state);
extern int smtpd_check_vrfy(SMTPD_STATE *state);
extern int smtpd_check_rcpt_maps(SMTPD_STATE *state, const char *addr, const char *reply_class);
extern void smtpd_log_reject(SMTPD_STATE *state, const char *action, const char *stage,
                             const char *reply);
extern int smtpd_valid_hostname(const char *name);

/* smtpd.c */
extern int smtpd_client_in_mynetworks(const char *addr);

#endif
