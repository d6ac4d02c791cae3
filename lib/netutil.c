/*
 * NAME
 *      netutil - sockets, triggers and CIDR address matching
 *
 * DESCRIPTION
 *      See netutil.h. Listening and connecting sockets are close-on-exec.
 *      unix_trigger() follows Postfix's mail_trigger(): a FIFO path gets
 *      the bytes written with a non-blocking open, a socket path gets a
 *      connect/write/close, bounded by trigger_timeout (10 s).
 *      sane_accept() maps the transient errors Postfix's sane_accept()
 *      lists (ECONNRESET, ECONNABORTED, EHOSTUNREACH, ENETUNREACH, ...) to
 *      EAGAIN so that a server simply goes back to waiting.
 *      peer_addr() reports IPv4-mapped IPv6 addresses as IPv4, and a
 *      unix-domain peer as "127.0.0.1" port "0" (Postfix's smtpd shows a
 *      non-inet client as localhost[127.0.0.1]).
 *
 *      CIDR lists implement the address part of Postfix's mynetworks
 *      syntax (postconf(5) mynetworks, cidr_match.c): "a.b.c.d",
 *      "a.b.c.d/n", "ipv6", "ipv6/n", "[ipv6]", "[ipv6]/n", "!pattern"
 *      (negation: the first matching entry decides), and "/file/name"
 *      whose contents (white-space separated, '#' comments) are more
 *      entries. Network entries must have all host bits zero, as Postfix
 *      requires.
 *
 * DIAGNOSTICS
 *      Socket functions return -1 with errno. cidr_list_create() warns
 *      about and skips malformed entries (bad address, bad prefix length,
 *      non-null host bits), "type:table" entries and host names, and
 *      unreadable files.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "argv.h"
#include "msg.h"
#include "mymalloc.h"
#include "netutil.h"

#define TRIGGER_TIMEOUT 10

/*
 * non_blocking - set (on != 0) or clear O_NONBLOCK: 0 or -1.
 */
int non_blocking(int fd, int on)
{
    int flags = fcntl(fd, F_GETFL, 0);

    if (flags < 0)
        return -1;
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, flags) < 0 ? -1 : 0;
}

/*
 * close_on_exec - set (on != 0) or clear FD_CLOEXEC: 0 or -1.
 */
int close_on_exec(int fd, int on)
{
    int flags = fcntl(fd, F_GETFD, 0);

    if (flags < 0)
        return -1;
    flags = on ? (flags | FD_CLOEXEC) : (flags & ~FD_CLOEXEC);
    return fcntl(fd, F_SETFD, flags) < 0 ? -1 : 0;
}

/* unix_addr - fill sun from path; -1 (ENAMETOOLONG) if it does not fit. */
static int unix_addr(struct sockaddr_un *sun, const char *path)
{
    size_t len = strlen(path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (len >= sizeof(sun->sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

/* unix_bind - socket of type at path, mode 0666; fd or -1. */
static int unix_bind(const char *path, int type)
{
    struct sockaddr_un sun;
    int fd;
    int saved_errno;

    if (unix_addr(&sun, path) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (unlink(path) < 0 && errno != ENOENT)
        goto bad;
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
        goto bad;
    if (chmod(path, 0666) < 0)
        goto bad;
    return fd;
bad:
    saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return -1;
}

/*
 * unix_listen - unlink path, create a listening stream socket there with
 * mode 0666. Returns the fd (close-on-exec, non-blocking if asked) or -1.
 */
int unix_listen(const char *path, int backlog, int nonblock)
{
    int fd;
    int saved_errno;

    if ((fd = unix_bind(path, SOCK_STREAM)) < 0)
        return -1;
    if (listen(fd, backlog) < 0 || (nonblock && non_blocking(fd, 1) < 0)) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return fd;
}

/*
 * unix_dgram_listen - unlink path, bind a datagram socket there (0666).
 * Returns the fd or -1.
 */
int unix_dgram_listen(const char *path)
{
    return unix_bind(path, SOCK_DGRAM);
}

/*
 * connect_wait - connect fd with a timeout (seconds, 0 = block). With a
 * timeout the fd must already be non-blocking (created with SOCK_NONBLOCK:
 * no fcntl round trips on this per-message path). A unix socket with a full
 * backlog answers EAGAIN; that is retried with a back-off that starts at 1 ms
 * (a fixed 100 ms sleep here once put 100 ms into the p99 of the 250 reply)
 * until the deadline. Returns 0 or -1 (ETIMEDOUT on timeout).
 */
static int connect_wait(int fd, const struct sockaddr *sa, socklen_t salen, int timeout_s)
{
    struct pollfd pfd;
    long long deadline;
    long long left;
    struct timespec ts;
    int err;
    socklen_t errlen = sizeof(err);
    int n;

    if (timeout_s <= 0) {
        while (connect(fd, sa, salen) < 0) {
            if (errno != EINTR)
                return -1;
        }
        return 0;
    }
    int backoff_ms = 1;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + timeout_s * 1000LL;
    for (;;) {
        if (connect(fd, sa, salen) == 0)
            break;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        left = deadline - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN) {
            if (left <= 0) {
                errno = ETIMEDOUT;
                return -1;
            }
            poll(NULL, 0, left < backoff_ms ? (int)left : backoff_ms);
            if (backoff_ms < 100)
                backoff_ms *= 2;
            continue;
        }
        if (errno != EINPROGRESS)
            return -1;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        do {
            n = poll(&pfd, 1, left > 0 ? (int)left : 0);
        } while (n < 0 && errno == EINTR);
        if (n == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (n < 0)
            return -1;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
            return -1;
        if (err != 0) {
            errno = err;
            return -1;
        }
        break;
    }
    return non_blocking(fd, 0);
}

/*
 * unix_connect - connect a stream socket to path within timeout_s seconds
 * (0 = block). Returns the fd (close-on-exec; non-blocking if asked) or -1
 * with errno.
 */
int unix_connect(const char *path, int nonblock, int timeout_s)
{
    struct sockaddr_un sun;
    int fd;
    int saved_errno;

    if (unix_addr(&sun, path) < 0)
        return -1;
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (timeout_s > 0 ? SOCK_NONBLOCK : 0),
                     0)) < 0)
        return -1;
    if (connect_wait(fd, (struct sockaddr *)&sun, sizeof(sun), timeout_s) < 0 ||
        (timeout_s > 0 && !nonblock && non_blocking(fd, 0) < 0) ||
        (timeout_s <= 0 && nonblock && non_blocking(fd, 1) < 0)) {
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return fd;
}

/*
 * inet_split - split "host:port", "[v6]:port", ":port" or "port" into a
 * host (NULL for all addresses) and port. Returns 0 or -1 (EINVAL).
 */
static int inet_split(const char *addr, VSTR *host, VSTR *port, int *any)
{
    const char *cp;
    const char *end;

    *any = 0;
    vstr_reset(host);
    vstr_reset(port);
    if (*addr == '[') {
        if ((end = strchr(addr, ']')) == NULL || end[1] != ':') {
            errno = EINVAL;
            return -1;
        }
        vstr_addmem(host, addr + 1, (size_t)(end - addr - 1));
        vstr_strcpy(port, end + 2);
    } else if ((cp = strrchr(addr, ':')) != NULL) {
        vstr_addmem(host, addr, (size_t)(cp - addr));
        vstr_strcpy(port, cp + 1);
    } else {
        vstr_strcpy(port, addr);
    }
    if (VSTR_LEN(host) == 0 || strcmp(VSTR_STR(host), "*") == 0)
        *any = 1;
    if (VSTR_LEN(port) == 0) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

/*
 * inet_listen - listen on "host:port", "[v6]:port", ":port" or "port"
 * (all addresses: IPv6 dual-stack when available, else IPv4). Returns
 * the fd (close-on-exec, SO_REUSEADDR) or -1 with errno.
 */
int inet_listen(const char *addr, int backlog, int nonblock)
{
    VSTR *host = vstr_alloc(64);
    VSTR *port = vstr_alloc(16);
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    int any;
    int fd = -1;
    int on = 1;
    int off = 0;
    int saved_errno = EINVAL;
    int rc;

    if (inet_split(addr, host, port, &any) < 0)
        goto done;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    if (any)
        hints.ai_family = AF_INET6;
    rc = getaddrinfo(any ? NULL : VSTR_STR(host), VSTR_STR(port), &hints, &res);
    if (rc != 0 && any) {
        hints.ai_family = AF_INET;
        rc = getaddrinfo(NULL, VSTR_STR(port), &hints, &res);
    }
    if (rc == EAI_NONAME || rc == EAI_SERVICE) {
        hints.ai_flags &= ~AI_NUMERICSERV;
        rc = getaddrinfo(any ? NULL : VSTR_STR(host), VSTR_STR(port), &hints, &res);
    }
    if (rc != 0) {
        saved_errno = (rc == EAI_SYSTEM) ? errno : EADDRNOTAVAIL;
        goto done;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) < 0) {
            saved_errno = errno;
            if (any && ai->ai_family == AF_INET6) {
                /* No IPv6 here: fall back to IPv4. */
                struct sockaddr_in sin;
                memset(&sin, 0, sizeof(sin));
                sin.sin_family = AF_INET;
                sin.sin_port = ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port;
                if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
                    continue;
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
                if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(fd, backlog) == 0)
                    break;
                saved_errno = errno;
                close(fd);
                fd = -1;
            }
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
        if (ai->ai_family == AF_INET6 && any)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
            break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    if (fd >= 0 && nonblock && non_blocking(fd, 1) < 0) {
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
done:
    if (res)
        freeaddrinfo(res);
    vstr_free(host);
    vstr_free(port);
    if (fd < 0)
        errno = saved_errno;
    return fd;
}

/*
 * inet_connect - connect to host (name or numeric, brackets allowed) and
 * port (number or service), trying each address within timeout_s seconds
 * each (0 = block). Returns the fd (close-on-exec, blocking) or -1.
 */
int inet_connect(const char *host, const char *port, int timeout_s)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    struct addrinfo *ai;
    char *h;
    size_t hl = strlen(host);
    int fd = -1;
    int saved_errno = EHOSTUNREACH;
    int rc;

    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']')
        h = mystrndup(host + 1, hl - 2);
    else
        h = mystrdup(host);
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(h, port, &hints, &res);
    myfree(h);
    if (rc != 0) {
        errno = (rc == EAI_SYSTEM) ? errno : EHOSTUNREACH;
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        if ((fd = socket(ai->ai_family,
                         ai->ai_socktype | SOCK_CLOEXEC | (timeout_s > 0 ? SOCK_NONBLOCK : 0), 0)) <
            0) {
            saved_errno = errno;
            continue;
        }
        if (connect_wait(fd, ai->ai_addr, ai->ai_addrlen, timeout_s) == 0 &&
            (timeout_s <= 0 || non_blocking(fd, 0) == 0))
            break;
        saved_errno = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        errno = saved_errno;
    return fd;
}

/*
 * sane_accept - accept a connection (close-on-exec), retrying EINTR.
 * Returns the fd, or -1; transient network errors become EAGAIN.
 */
int sane_accept(int fd)
{
    int cfd;

    for (;;) {
        if ((cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
            return cfd;
        if (errno == EINTR)
            continue;
        if (errno == ECONNREFUSED || errno == ECONNRESET || errno == ECONNABORTED ||
            errno == EHOSTDOWN || errno == EHOSTUNREACH || errno == ENETDOWN ||
            errno == ENETUNREACH || errno == ENOTCONN || errno == EWOULDBLOCK || errno == EPROTO ||
            errno == ENONET)
            errno = EAGAIN;
        return -1;
    }
}

/*
 * unix_trigger - write len bytes to the FIFO or unix socket at path and
 * close (Postfix mail_trigger/unix_trigger/fifo_trigger). Returns 0 or -1;
 * waits at most trigger_timeout (10 s).
 */
int unix_trigger(const char *path, const char *buf, size_t len)
{
    struct stat sb;
    struct pollfd pfd;
    ssize_t n;
    int fd;
    int saved_errno;

    if (stat(path, &sb) < 0)
        return -1;
    if (S_ISFIFO(sb.st_mode)) {
        if ((fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
            return -1;
    } else if ((fd = unix_connect(path, 1, TRIGGER_TIMEOUT)) < 0) {
        return -1;
    }
    while (len > 0) {
        n = S_ISFIFO(sb.st_mode) ? write(fd, buf, len) : send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pfd.fd = fd;
            pfd.events = POLLOUT;
            if (poll(&pfd, 1, TRIGGER_TIMEOUT * 1000) > 0)
                continue;
            errno = ETIMEDOUT;
        }
        saved_errno = errno;
        close(fd);
        errno = saved_errno;
        return -1;
    }
    return close(fd) < 0 && errno != EINTR ? -1 : 0;
}

/*
 * peer_addr - numeric peer address and port of a connected socket. IPv4
 * mapped IPv6 is shown as IPv4; a unix-domain peer is "127.0.0.1" port
 * "0". Returns 0, or -1 with errno.
 */
int peer_addr(int fd, VSTR *addr, VSTR *port)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char host[NI_MAXHOST];
    char serv[NI_MAXSERV];
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    struct sockaddr_in sin;

    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_UNIX) {
        vstr_strcpy(addr, "127.0.0.1");
        vstr_strcpy(port, "0");
        return 0;
    }
    if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
        memset(&sin, 0, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = sin6->sin6_port;
        memcpy(&sin.sin_addr, sin6->sin6_addr.s6_addr + 12, 4);
        memcpy(&ss, &sin, sizeof(sin));
        len = sizeof(sin);
    }
    if (getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        errno = EINVAL;
        return -1;
    }
    vstr_strcpy(addr, host);
    vstr_strcpy(port, serv);
    return 0;
}

/* CIDR lists. */

typedef struct CIDR_ENTRY {
    int family;            /* AF_INET or AF_INET6 */
    int negate;            /* "!pattern" */
    int bits;              /* prefix length */
    unsigned char net[16]; /* network address, host bits zero */
} CIDR_ENTRY;

struct CIDR_LIST {
    int count;
    int cap;
    CIDR_ENTRY *entries;
};

/* cidr_mask_ok - all bits after the prefix are zero? */
static int cidr_mask_ok(const unsigned char *a, int bytes, int bits)
{
    int i;

    for (i = 0; i < bytes; i++) {
        int keep = bits - i * 8;
        unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
        if (a[i] & ~mask)
            return 0;
    }
    return 1;
}

/* cidr_prefix_match - first bits bits of a and b equal? */
static int cidr_prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
    int full = bits / 8;
    int rest = bits % 8;

    if (memcmp(a, b, (size_t)full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((a[full] ^ b[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/*
 * cidr_parse_addr - parse a numeric address ("[v6]" allowed, "%scope"
 * dropped, IPv4-mapped IPv6 becomes IPv4) into family and 4/16 bytes.
 * Returns 0 or -1.
 */
static int cidr_parse_addr(const char *str, size_t len, int *family, unsigned char *out)
{
    char *copy;
    char *cp;
    int ret = -1;

    if (len >= 2 && str[0] == '[' && str[len - 1] == ']') {
        str++;
        len -= 2;
    }
    copy = mystrndup(str, len);
    if ((cp = strchr(copy, '%')) != NULL)
        *cp = 0;
    if (strchr(copy, ':') == NULL) {
        if (inet_pton(AF_INET, copy, out) == 1) {
            *family = AF_INET;
            ret = 0;
        }
    } else if (inet_pton(AF_INET6, copy, out) == 1) {
        *family = AF_INET6;
        ret = 0;
    }
    myfree(copy);
    return ret;
}

/* cidr_add - append one entry. */
static void cidr_add(CIDR_LIST *list, const CIDR_ENTRY *e)
{
    if (list->count >= list->cap) {
        list->cap = list->cap ? list->cap * 2 : 8;
        list->entries = myrealloc(list->entries, sizeof(CIDR_ENTRY) * (size_t)list->cap);
    }
    list->entries[list->count++] = *e;
}

static void cidr_parse_text(CIDR_LIST *list, const char *text, int depth);

/* cidr_parse_file - entries from a file, '#' comments, white space. */
static void cidr_parse_file(CIDR_LIST *list, const char *path, int depth)
{
    FILE *fp;
    char *line = NULL;
    size_t cap = 0;
    char *hash;

    if (depth > 10) {
        msg_warn("mynetworks: file %s: nesting too deep", path);
        return;
    }
    if ((fp = fopen(path, "re")) == NULL) {
        msg_warn("open %s: %m", path);
        return;
    }
    while (getline(&line, &cap, fp) >= 0) {
        if ((hash = strchr(line, '#')) != NULL)
            *hash = 0;
        cidr_parse_text(list, line, depth + 1);
    }
    free(line); /* allocated by getline(3) */
    fclose(fp);
}

/* cidr_parse_entry - one pattern. */
static void cidr_parse_entry(CIDR_LIST *list, const char *pat, int depth)
{
    CIDR_ENTRY e;
    const char *slash;
    const char *cp;
    const char *orig = pat;
    size_t alen;
    char *end;
    long bits;
    int max;

    memset(&e, 0, sizeof(e));
    while (*pat == '!') {
        e.negate = !e.negate;
        pat++;
    }
    if (*pat == '/') {
        if (e.negate)
            msg_warn("mynetworks: negated file entry \"%s\" is not supported; ignored", orig);
        else
            cidr_parse_file(list, pat, depth);
        return;
    }
    /* "type:table": a name before ':' that is not hex (IPv6 never is). */
    for (cp = pat; (*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z') ||
                   (*cp >= '0' && *cp <= '9') || *cp == '_' || *cp == '-';
         cp++)
        /* void */;
    if (*cp == ':' && cp > pat && strspn(pat, "0123456789abcdefABCDEF") < (size_t)(cp - pat)) {
        msg_warn("mynetworks: lookup table \"%s\" is not supported here; ignored", orig);
        return;
    }
    if ((slash = strrchr(pat, '/')) != NULL && slash > pat && pat[0] == '[' && slash[-1] != ']') {
        msg_warn("mynetworks: malformed network \"%s\"; ignored", orig);
        return;
    }
    alen = slash ? (size_t)(slash - pat) : strlen(pat);
    if (cidr_parse_addr(pat, alen, &e.family, e.net) < 0) {
        msg_warn("mynetworks: malformed address or unsupported host name \"%s\"; ignored", orig);
        return;
    }
    /* Entry given as IPv4-mapped IPv6 with a prefix stays IPv6. */
    max = e.family == AF_INET ? 32 : 128;
    if (slash) {
        if (slash[1] < '0' || slash[1] > '9') {
            msg_warn("mynetworks: bad mask length in \"%s\"; ignored", orig);
            return;
        }
        errno = 0;
        bits = strtol(slash + 1, &end, 10);
        if (*end != 0 || errno != 0 || bits < 0 || bits > max) {
            msg_warn("mynetworks: bad mask length in \"%s\"; ignored", orig);
            return;
        }
        e.bits = (int)bits;
    } else {
        e.bits = max;
    }
    if (!cidr_mask_ok(e.net, max / 8, e.bits)) {
        msg_warn("mynetworks: non-null host address bits in \"%s\"; ignored", orig);
        return;
    }
    cidr_add(list, &e);
}

/* cidr_parse_text - split text at ", \t\r\n" and parse each entry. */
static void cidr_parse_text(CIDR_LIST *list, const char *text, int depth)
{
    ARGV *a = argv_split(text, CFG_LIST_DELIMS);
    int i;

    for (i = 0; i < a->argc; i++)
        cidr_parse_entry(list, a->argv[i], depth);
    argv_free(a);
}

/*
 * cidr_list_create - parse a mynetworks-style list (see above). Malformed
 * entries are reported with msg_warn and skipped. Never returns NULL.
 */
CIDR_LIST *cidr_list_create(const char *text)
{
    CIDR_LIST *list = mymalloc(sizeof(*list));

    list->count = list->cap = 0;
    list->entries = NULL;
    if (text)
        cidr_parse_text(list, text, 0);
    return list;
}

/*
 * cidr_list_match - 1 if the numeric address addr (IPv4 or IPv6, brackets
 * allowed, IPv4-mapped IPv6 treated as IPv4) matches the list: the first
 * matching entry decides, a negated entry means "no". 0 otherwise
 * (including an unparsable address).
 */
int cidr_list_match(const CIDR_LIST *list, const char *addr)
{
    unsigned char a[16];
    unsigned char v4[4];
    int family;
    int i;
    const CIDR_ENTRY *e;

    if (list == NULL || addr == NULL || cidr_parse_addr(addr, strlen(addr), &family, a) < 0)
        return 0;
    if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a)) {
        memcpy(v4, a + 12, 4);
        for (i = 0; i < list->count; i++) {
            e = list->entries + i;
            if ((e->family == AF_INET && cidr_prefix_match(e->net, v4, e->bits)) ||
                (e->family == AF_INET6 && cidr_prefix_match(e->net, a, e->bits)))
                return !e->negate;
        }
        return 0;
    }
    for (i = 0; i < list->count; i++) {
        e = list->entries + i;
        if (e->family == family && cidr_prefix_match(e->net, a, e->bits))
            return !e->negate;
    }
    return 0;
}

/* cidr_list_free - release a list (NULL allowed). */
void cidr_list_free(CIDR_LIST *list)
{
    if (list == NULL)
        return;
    myfree(list->entries);
    myfree(list);
}
