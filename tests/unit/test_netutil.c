/*
 * NAME
 *      test_netutil - unit tests for lib/netutil.c
 *
 * DESCRIPTION
 *      CIDR matching as mynetworks accepts it (IPv4, IPv6 with and without
 *      brackets, negation, files, malformed entries skipped), and
 *      unix_listen/unix_connect/unix_trigger round trips (socket and FIFO)
 *      in a temporary directory, plus an inet listen/connect round trip.
 *
 * DIAGNOSTICS
 *      cmocka output; exit status non-zero when a test fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "netutil.h"
#include "vstr.h"

static void test_cidr_v4(void **state)
{
    CIDR_LIST *l = cidr_list_create("127.0.0.0/8, 192.168.1.0/24 10.1.2.3\t!172.16.5.0/24 "
                                    "172.16.0.0/12 0.0.0.0/32");

    assert_int_equal(cidr_list_match(l, "127.0.0.1"), 1);
    assert_int_equal(cidr_list_match(l, "127.255.255.255"), 1);
    assert_int_equal(cidr_list_match(l, "128.0.0.1"), 0);
    assert_int_equal(cidr_list_match(l, "192.168.1.77"), 1);
    assert_int_equal(cidr_list_match(l, "192.168.2.1"), 0);
    assert_int_equal(cidr_list_match(l, "10.1.2.3"), 1);
    assert_int_equal(cidr_list_match(l, "10.1.2.4"), 0);
    assert_int_equal(cidr_list_match(l, "172.16.5.9"), 0); /* negated first */
    assert_int_equal(cidr_list_match(l, "172.17.0.1"), 1);
    assert_int_equal(cidr_list_match(l, "::ffff:127.0.0.1"), 1); /* v4-mapped */
    assert_int_equal(cidr_list_match(l, "::1"), 0);
    assert_int_equal(cidr_list_match(l, "garbage"), 0);
    assert_int_equal(cidr_list_match(l, ""), 0);
    cidr_list_free(l);
}

static void test_cidr_v6(void **state)
{
    CIDR_LIST *l = cidr_list_create("[::1]/128 [fe80::]/10 2001:db8::/32 ::2/128 [::3]");

    assert_int_equal(cidr_list_match(l, "::1"), 1);
    assert_int_equal(cidr_list_match(l, "[::1]"), 1);
    assert_int_equal(cidr_list_match(l, "::2"), 1);
    assert_int_equal(cidr_list_match(l, "::3"), 1);
    assert_int_equal(cidr_list_match(l, "::4"), 0);
    assert_int_equal(cidr_list_match(l, "fe80::1%eth0"), 1);
    assert_int_equal(cidr_list_match(l, "febf::1"), 1);
    assert_int_equal(cidr_list_match(l, "fec0::1"), 0);
    assert_int_equal(cidr_list_match(l, "2001:db8:ffff::1"), 1);
    assert_int_equal(cidr_list_match(l, "2001:db9::1"), 0);
    assert_int_equal(cidr_list_match(l, "127.0.0.1"), 0);
    cidr_list_free(l);
}

static void test_cidr_malformed(void **state)
{
    /* Every bad entry is skipped with a warning; the good ones still work. */
    CIDR_LIST *l = cidr_list_create("1.2.3.4/33 1.2.3.4/24 300.1.1.1 1.2.3 ::1/129 [::1 "
                                    "hash:/etc/postfix/network_table example.com 1.2.3.0/x "
                                    "10.0.0.0/8 1.2.3.4/ dead:beef::/32");

    assert_int_equal(cidr_list_match(l, "1.2.3.4"), 0);
    assert_int_equal(cidr_list_match(l, "1.2.3.9"), 0);
    assert_int_equal(cidr_list_match(l, "::1"), 0);
    assert_int_equal(cidr_list_match(l, "10.9.8.7"), 1);
    assert_int_equal(cidr_list_match(l, "dead:beef::1"), 1);
    cidr_list_free(l);
    l = cidr_list_create("");
    assert_int_equal(cidr_list_match(l, "127.0.0.1"), 0);
    cidr_list_free(l);
}

static char tmpdir[64];

static int mk_tmpdir(void **state)
{
    strcpy(tmpdir, "/tmp/test_netutil.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_tmpdir(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_cidr_file(void **state)
{
    char path[128];
    FILE *fp;
    CIDR_LIST *l;

    mk_tmpdir(state);
    snprintf(path, sizeof(path), "%s/networks", tmpdir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fputs("# my networks\n192.0.2.0/24   # documentation\n[2001:db8::]/48\n", fp);
    fclose(fp);
    l = cidr_list_create(path);
    assert_int_equal(cidr_list_match(l, "192.0.2.200"), 1);
    assert_int_equal(cidr_list_match(l, "2001:db8:0:1::1"), 1);
    assert_int_equal(cidr_list_match(l, "2001:db8:1::1"), 0);
    cidr_list_free(l);
    rm_tmpdir(state);
}

static void test_unix_round_trip(void **state)
{
    char path[128];
    int lfd;
    int cfd;
    int afd;
    char buf[16];
    struct stat sb;
    VSTR *addr = vstr_alloc(8);
    VSTR *port = vstr_alloc(8);

    mk_tmpdir(state);
    snprintf(path, sizeof(path), "%s/sock", tmpdir);
    lfd = unix_listen(path, 10, 0);
    assert_true(lfd >= 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(S_ISSOCK(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0666);
    assert_true(fcntl(lfd, F_GETFD) & FD_CLOEXEC);

    cfd = unix_connect(path, 0, 5);
    assert_true(cfd >= 0);
    afd = sane_accept(lfd);
    assert_true(afd >= 0);
    assert_int_equal(write(cfd, "ping", 4), 4);
    assert_int_equal(read(afd, buf, sizeof(buf)), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(peer_addr(afd, addr, port), 0);
    assert_string_equal(VSTR_STR(addr), "127.0.0.1");
    close(cfd);
    close(afd);

    /* Trigger through the socket. */
    assert_int_equal(unix_trigger(path, "W", 1), 0);
    afd = sane_accept(lfd);
    assert_true(afd >= 0);
    assert_int_equal(read(afd, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'W');
    assert_int_equal(read(afd, buf, sizeof(buf)), 0); /* closed after writing */
    close(afd);
    close(lfd);

    /* Nobody listening any more. */
    assert_int_equal(unix_trigger(path, "W", 1), -1);
    assert_int_equal(unix_connect(path, 0, 1), -1);
    snprintf(path, sizeof(path), "%s/missing", tmpdir);
    assert_int_equal(unix_trigger(path, "W", 1), -1);

    /* A FIFO trigger. */
    snprintf(path, sizeof(path), "%s/fifo", tmpdir);
    assert_int_equal(mkfifo(path, 0622), 0);
    lfd = open(path, O_RDWR | O_NONBLOCK);
    assert_true(lfd >= 0);
    assert_int_equal(unix_trigger(path, "AD", 2), 0);
    assert_int_equal(read(lfd, buf, sizeof(buf)), 2);
    assert_memory_equal(buf, "AD", 2);
    close(lfd);
    vstr_free(addr);
    vstr_free(port);
    rm_tmpdir(state);
}

static void test_dgram(void **state)
{
    char path[128];
    int fd;

    mk_tmpdir(state);
    snprintf(path, sizeof(path), "%s/dgram", tmpdir);
    fd = unix_dgram_listen(path);
    assert_true(fd >= 0);
    close(fd);
    rm_tmpdir(state);
}

static void test_inet_round_trip(void **state)
{
    int lfd = inet_listen("127.0.0.1:0", 10, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char port[16];
    int cfd;
    int afd;
    VSTR *addr = vstr_alloc(8);
    VSTR *pstr = vstr_alloc(8);

    assert_true(lfd >= 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    snprintf(port, sizeof(port), "%d", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    cfd = inet_connect("127.0.0.1", port, 5);
    assert_true(cfd >= 0);
    afd = sane_accept(lfd);
    assert_true(afd >= 0);
    assert_int_equal(peer_addr(afd, addr, pstr), 0);
    assert_string_equal(VSTR_STR(addr), "127.0.0.1");
    assert_true(atoi(VSTR_STR(pstr)) > 0);
    close(cfd);
    close(afd);
    close(lfd);
    assert_int_equal(inet_listen("127.0.0.1:", 10, 0), -1);
    vstr_free(addr);
    vstr_free(pstr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cidr_v4),         cmocka_unit_test(test_cidr_v6),
        cmocka_unit_test(test_cidr_malformed),  cmocka_unit_test(test_cidr_file),
        cmocka_unit_test(test_unix_round_trip), cmocka_unit_test(test_dgram),
        cmocka_unit_test(test_inet_round_trip),
    };
    msg_init("test_netutil", MSG_STDERR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
