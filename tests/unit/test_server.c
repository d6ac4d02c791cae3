/*
 * NAME
 *     test_server - unit tests for the daemon skeleton and master helpers
 *
 * DESCRIPTION
 *     master_child_argv(), master_inet_addrs() and master_child_env()
 *     (master/master_argv.c, included here because daemon objects are not
 *     in the library archive) are checked against the argv layout of the
 *     reference, section 5.3. single_server_main() and trigger_server_main()
 *     are run in a child process with a listening socket on fd 6 and a
 *     status socket on fd 5, as the master would start them: the test
 *     checks the reply, the status messages (avail 0 then 1, with the
 *     GENERATION from the environment) and that the child exits when the
 *     status channel reports EOF. A trigger client that waits for the
 *     server to close must not wait for the 10 s read limit.
 *
 * DIAGNOSTICS
 *     cmocka; exit status non-zero on failure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../master/master_argv.c"
#include "server.h"
#include "stream.h"

/* join - an ARGV as one space-separated string (static buffer for tests) */
static const char *join(const ARGV *a)
{
    static char buf[1024];
    int i;

    buf[0] = 0;
    for (i = 0; i < a->argc; i++) {
        if (i)
            strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, a->argv[i], sizeof(buf) - strlen(buf) - 1);
    }
    return buf;
}

static void test_argv_smtpd(void **state)
{
    ARGV *user = argv_split("-o smtpd_tls_wrappermode=yes", " ");
    int idx;
    ARGV *a = master_child_argv("smtp", "inet", "smtpd", 100, 1, 1, 2, 1, 0, user, &idx);

    (void)state;
    assert_string_equal(join(a),
                        "smtpd -n smtp -t inet -u -c -o stress= -s 2 -o smtpd_tls_wrappermode=yes");
    assert_int_equal(idx, 8);
    assert_string_equal(a->argv[idx], "stress=");
    argv_free(a);
    argv_free(user);
}

static void test_argv_qmgr_cleanup(void **state)
{
    int idx;
    ARGV *a = master_child_argv("qmgr", "unix", "qmgr", 1, 1, 0, 1, 1, 0, 0, &idx);

    (void)state;
    assert_string_equal(join(a), "qmgr -l -t unix -u");
    assert_int_equal(idx, -1);
    argv_free(a);
    a = master_child_argv("cleanup", "unix", "cleanup", 0, 1, 1, 1, 0, 2, 0, &idx);
    assert_string_equal(join(a), "cleanup -z -t unix -d -v -v -u -c");
    argv_free(a);
    /* root daemons (unpriv=n) get no -u; the basename decides about -n */
    a = master_child_argv("virtual", "unix", "/opt/x/virtual", 100, 0, 0, 1, 1, 0, 0, &idx);
    assert_string_equal(join(a), "/opt/x/virtual -t unix");
    argv_free(a);
    /* an unlimited inet service gets no stress override either */
    a = master_child_argv("smtp", "inet", "smtpd", 0, 1, 0, 1, 1, 0, 0, &idx);
    assert_string_equal(join(a), "smtpd -z -n smtp -t inet -u");
    assert_int_equal(idx, -1);
    argv_free(a);
    /* a solitary inet service gets no stress override */
    a = master_child_argv("2525", "inet", "smtpd", 1, 1, 0, 1, 1, 0, 0, &idx);
    assert_string_equal(join(a), "smtpd -l -n 2525 -t inet -u");
    assert_int_equal(idx, -1);
    argv_free(a);
}

static void test_inet_addrs(void **state)
{
    ARGV *a;

    (void)state;
    a = master_inet_addrs("smtp", "all", "all");
    assert_string_equal(join(a), ":smtp");
    argv_free(a);
    a = master_inet_addrs("25", "loopback-only", "ipv4");
    assert_string_equal(join(a), "127.0.0.1:25");
    argv_free(a);
    a = master_inet_addrs("25", "loopback-only", "all");
    assert_string_equal(join(a), "127.0.0.1:25 [::1]:25");
    argv_free(a);
    a = master_inet_addrs("2525", "127.0.0.1, 192.0.2.1 2001:db8::1", "all");
    assert_string_equal(join(a), "127.0.0.1:2525 192.0.2.1:2525 [2001:db8::1]:2525");
    argv_free(a);
    a = master_inet_addrs("127.0.0.1:10025", "all", "all");
    assert_string_equal(join(a), "127.0.0.1:10025");
    argv_free(a);
    a = master_inet_addrs("[::1]:10025", "all", "all");
    assert_string_equal(join(a), "[::1]:10025");
    argv_free(a);
}

static void test_child_env(void **state)
{
    char *env_in[] = {(char *)"TZ=UTC", (char *)"PATH=/bin", (char *)"MAIL_CONFIG=/old",
                      (char *)"LANGUAGE=x", 0};
    ARGV *a = master_child_env(env_in, "TZ MAIL_CONFIG LANG FOO=bar", "/etc/pt", 8);

    (void)state;
    assert_string_equal(join(a), "TZ=UTC FOO=bar MAIL_CONFIG=/etc/pt GENERATION=10");
    argv_free(a);
}

static void test_flow_without_master(void **state)
{
    (void)state;
    /* Not started by a master: the flow pipe is not ours to touch. */
    assert_int_equal(mail_flow_get(1), -1);
    assert_int_equal(mail_flow_put(1), -1);
    assert_int_equal(mail_flow_count(), -1);
}

/* Fixture: a config dir and queue dir in a temp dir. */
static char tmpdir[] = "/tmp/test_serverXXXXXX";

static void make_config(void)
{
    char path[512];
    FILE *fp;

    assert_non_null(mkdtemp(tmpdir));
    snprintf(path, sizeof(path), "%s/main.cf", tmpdir);
    assert_non_null(fp = fopen(path, "w"));
    fprintf(fp, "queue_directory = %s\nmax_idle = 30s\nmax_use = 2\n", tmpdir);
    fclose(fp);
}

static void echo_service(STREAM *st, const char *service, char **argv)
{
    VSTR *v = vstr_alloc(64);

    if (stream_get_line(st, v, 100) != STREAM_EOF)
        stream_printf(st, "%s:%s:%s", service, argv[0] ? argv[0] : "-", VSTR_STR(v));
    stream_flush(st);
    vstr_free(v);
}

/* trigger_service - append "service:arg:bytes\n" to TMPDIR/trigger.out */
static void trigger_service(const char *buf, size_t len, const char *service, char **argv)
{
    char path[512];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/trigger.out", tmpdir);
    if ((fp = fopen(path, "a")) != NULL) {
        fprintf(fp, "%s:%s:%.*s\n", service, argv[0] ? argv[0] : "-", (int)len, buf);
        fclose(fp);
    }
}

/* sun_set - a unix socket address for path (must fit) */
static void sun_set(struct sockaddr_un *sun, const char *path)
{
    size_t len = strlen(path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    assert_true(len < sizeof(sun->sun_path));
    memcpy(sun->sun_path, path, len + 1);
}

/* start_child - fork a daemon with fd 5 = status, fd 6 = listener */
static pid_t start_child(int *status_fd, char *sock_path, size_t sock_len, int trigger)
{
    struct sockaddr_un sun;
    int sv[2];
    int lfd;
    pid_t pid;

    snprintf(sock_path, sock_len, "%s/sock%d", tmpdir, trigger);
    sun_set(&sun, sock_path);
    (void)unlink(sock_path);
    assert_true((lfd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(lfd, 10), 0);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char *av_single[] = {(char *)"echotest",
                             (char *)"-n",
                             (char *)"svc",
                             (char *)"-t",
                             (char *)"unix",
                             (char *)"arg1",
                             0};
        int null = fcntl(open("/dev/null", O_RDWR), F_DUPFD, 20);
        int st_fd = fcntl(sv[1], F_DUPFD, 20);
        int l_fd = fcntl(lfd, F_DUPFD, 20);

        dup2(null, 3);
        dup2(null, 4);
        dup2(st_fd, 5);
        dup2(l_fd, 6);
        dup2(null, 2); /* keep the test output clean */
        setenv("MAIL_CONFIG", tmpdir, 1);
        setenv("GENERATION", "17", 1); /* octal: 15 */
        if (trigger)
            trigger_server_main(6, av_single, trigger_service, 0);
        single_server_main(6, av_single, echo_service, 0);
    }
    close(sv[1]);
    close(lfd);
    *status_fd = sv[0];
    return pid;
}

static void read_status(int fd, struct master_status *st)
{
    struct pollfd p = {fd, POLLIN, 0};

    assert_int_equal(poll(&p, 1, 5000), 1);
    assert_int_equal(read(fd, st, sizeof(*st)), (ssize_t)sizeof(*st));
}

static void test_single_server(void **state)
{
    char path[256];
    char reply[128];
    int status_fd;
    int status;
    struct master_status st;
    struct sockaddr_un sun;
    pid_t pid;
    int fd;
    ssize_t n;

    (void)state;
    make_config();
    pid = start_child(&status_fd, path, sizeof(path), 0);

    sun_set(&sun, path);
    assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(write(fd, "ping\n", 5), 5);
    n = read(fd, reply, sizeof(reply) - 1);
    assert_true(n > 0);
    reply[n] = 0;
    assert_string_equal(reply, "svc:arg1:ping\n");
    close(fd);

    read_status(status_fd, &st);
    assert_int_equal(st.pid, pid);
    assert_int_equal(st.gen, 15);
    assert_int_equal(st.avail, 0);
    read_status(status_fd, &st);
    assert_int_equal(st.avail, 1);

    /* The master goes away: the idle child must exit 0 promptly. */
    close(status_fd);
    for (n = 0; n < 50; n++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(100 * 1000);
    }
    assert_true(n < 50);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_single_server_max_use(void **state)
{
    char path[256];
    int status_fd;
    int status;
    struct sockaddr_un sun;
    pid_t pid;
    int i;
    int n;

    (void)state;
    /* max_use = 2 in main.cf: after two clients the child exits by itself. */
    pid = start_child(&status_fd, path, sizeof(path), 0);
    sun_set(&sun, path);
    for (i = 0; i < 2; i++) {
        char reply[64];
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);

        assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
        assert_int_equal(write(fd, "x\n", 2), 2);
        assert_true(read(fd, reply, sizeof(reply)) > 0);
        close(fd);
    }
    for (n = 0; n < 50; n++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            break;
        usleep(100 * 1000);
    }
    assert_true(n < 50);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(status_fd);
}

/*
 * test_trigger_server - a client that writes a trigger and then waits for
 * the server to close (as Postfix's trigger clients may) must see the close
 * at once, not after the 10 s read limit; the service gets the bytes.
 */
static void test_trigger_server(void **state)
{
    char path[256];
    char out[512];
    char buf[64];
    int status_fd;
    int status;
    struct master_status st;
    struct sockaddr_un sun;
    struct pollfd p;
    pid_t pid;
    int fd;
    FILE *fp;

    (void)state;
    pid = start_child(&status_fd, path, sizeof(path), 1);
    sun_set(&sun, path);
    assert_true((fd = socket(AF_UNIX, SOCK_STREAM, 0)) >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(write(fd, "W", 1), 1);
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    /* The server must close within 2 s (it used to wait 10 s for EOF). */
    assert_int_equal(poll(&p, 1, 2000), 1);
    assert_int_equal(read(fd, buf, sizeof(buf)), 0);
    close(fd);
    read_status(status_fd, &st);
    assert_int_equal(st.avail, 0);
    read_status(status_fd, &st);
    assert_int_equal(st.avail, 1);
    snprintf(out, sizeof(out), "%s/trigger.out", tmpdir);
    assert_non_null(fp = fopen(out, "r"));
    assert_non_null(fgets(buf, sizeof(buf), fp));
    fclose(fp);
    assert_string_equal(buf, "svc:arg1:W\n");
    close(status_fd);
    for (status = 0; status < 50; status++) {
        if (waitpid(pid, 0, WNOHANG) == pid)
            break;
        usleep(100 * 1000);
    }
    assert_true(status < 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv_smtpd),
        cmocka_unit_test(test_argv_qmgr_cleanup),
        cmocka_unit_test(test_inet_addrs),
        cmocka_unit_test(test_child_env),
        cmocka_unit_test(test_flow_without_master),
        cmocka_unit_test(test_single_server),
        cmocka_unit_test(test_single_server_max_use),
        cmocka_unit_test(test_trigger_server),
    };
    int rc;
    char cmd[600];

    signal(SIGPIPE, SIG_IGN);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (tmpdir[strlen(tmpdir) - 1] != 'X') {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            rc = rc ? rc : 1;
    }
    return rc;
}
