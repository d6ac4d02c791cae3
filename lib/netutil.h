/*
 * netutil - sockets, triggers and address matching.
 *
 * unix_listen(path, backlog, nonblock) unlinks path, creates a stream socket
 * there with mode 0666, listens; returns the fd (close-on-exec) or -1/errno.
 * unix_dgram_listen(path) the same for a datagram socket.
 * unix_connect(path, nonblock, timeout_s) connects a stream socket: fd, or
 * -1 with errno.
 * inet_listen(addr, backlog, nonblock) listens on "host:port", "[v6]:port"
 * or ":port"/"port" (all addresses); returns the fd or -1.
 * inet_connect(host, port, timeout_s): fd or -1.
 * sane_accept(fd) accepts, retrying EINTR; returns fd or -1 (EAGAIN when
 * another process took the connection).
 * non_blocking(fd, on) and close_on_exec(fd, on) set the flags.
 * unix_trigger(path, buf, len) connects to a unix socket (or writes to a
 * FIFO, whichever the path is, as Postfix's mail_trigger does), writes len
 * bytes, closes. Returns 0 or -1; never blocks more than 10 s
 * (trigger_timeout).
 * peer_addr(fd, addr, port) stores the numeric peer address ("127.0.0.1",
 * "::1"; IPv4-mapped IPv6 shown as IPv4) and port; returns 0 or -1.
 *
 * CIDR matching for mynetworks (IPv4 and IPv6):
 * cidr_list_create(text) parses a list of "a.b.c.d", "a.b.c.d/n",
 * "[ipv6]/n", "ipv6/n" entries (commas/white space between; "/file" entries
 * are read as more entries; type:table entries are ignored with a warning);
 * a malformed entry is reported with msg_warn and skipped.
 * cidr_list_match(list, addr) returns 1 if the numeric address matches.
 */
#ifndef POSTERN_NETUTIL_H
#define POSTERN_NETUTIL_H
#include <stddef.h>

#include "vstr.h"

extern int unix_listen(const char *path, int backlog, int nonblock);
extern int unix_dgram_listen(const char *path);
extern int unix_connect(const char *path, int nonblock, int timeout_s);
extern int inet_listen(const char *addr, int backlog, int nonblock);
extern int inet_connect(const char *host, const char *port, int timeout_s);
extern int sane_accept(int fd);
extern int non_blocking(int fd, int on);
extern int close_on_exec(int fd, int on);
extern int unix_trigger(const char *path, const char *buf, size_t len);
extern int peer_addr(int fd, VSTR *addr, VSTR *port);

typedef struct CIDR_LIST CIDR_LIST;
extern CIDR_LIST *cidr_list_create(const char *text);
extern int cidr_list_match(const CIDR_LIST *list, const char *addr);
extern void cidr_list_free(CIDR_LIST *list);

#endif
