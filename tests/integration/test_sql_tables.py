"""mysql: and pgsql: tables against real servers, with Postfix as the oracle.

For each table type a seed-like schema (seed 002 for MariaDB, seed 000 for
PostgreSQL) is loaded into a private server (peers.py), a set of .cf files
exercises query expansion (%s %u %d %1 %2), result_format (%s %u %d %S %U
%D), domain, expansion_limit, the legacy select_field syntax, several
columns and rows, and host fail-over; Postern's `postmap -q` must print
exactly what /usr/sbin/postmap -q prints (stdout, exit status, warnings)
for many keys, SQL injection attempts included. A stopped server must be a
temporary failure for postmap and a 451 4.3.0 at RCPT time in a running
instance, and the same RCPT must be accepted once the server is back.
"""
import os
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from peers import mariadb, postgres  # noqa: F401  (pytest fixtures)
from postern import BIN, Instance

ORACLE = "/usr/sbin/postmap"
pytestmark = pytest.mark.skipif(not os.path.exists(ORACLE), reason="no Postfix postmap")

KEYS = [
    "example.com", "EXAMPLE.COM", "example.org", "mail.example.com", "example",
    "email1@example.com", "Email1@Example.COM", "email2@example.com",
    "alias@example.com", "multi@example.com", "alias@example.net",
    "nobody@example.com", "@example.com", "alias", "email1",
    "x' OR '1'='1", "alias@example.com' OR '1'='1", "' OR 1=1 -- @example.com",
    "x\\' OR 1=1 -- @example.com", "a%b@example.com", "null@example.com",
    "empty@example.com", "",
    "j\u00f6rg@example.com", "j\udcf6rg@example.com",  # UTF-8, and a raw Latin-1 byte
]

CF = {
    # name: body (connection settings are prepended)
    "domains": "query = SELECT 1 FROM virtual_domains WHERE name='%s'\n",
    "mailbox": "query = SELECT 1 FROM virtual_users WHERE email='%s'\n",
    "aliases": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n",
    "userdom": "query = SELECT destination FROM virtual_aliases\n"
               "  WHERE source='%u@%d'\n",
    "user_only": "query = SELECT email FROM virtual_users WHERE email LIKE '%u@%%'"
                 " ORDER BY email\n",
    "labels": "query = SELECT name FROM virtual_domains WHERE name='%2.%1'\n",
    "restricted": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
                  "domain = example.com\n",
    "fmt_smtp": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
                "result_format = smtp:[%s]\n",
    "fmt_parts": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
                 "result_format = %d/%u/ for %U at %D (%S) tld %1\n",
    "fmt_domain": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
                  "result_format = %d\n",
    "limit": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
             "expansion_limit = 1\n",
    "limit2": "query = SELECT destination FROM virtual_aliases WHERE source='%s'\n"
              "expansion_limit = 2\n",
    "legacy": "select_field = destination\ntable = virtual_aliases\n"
              "where_field = source\nadditional_conditions = AND id > 0\n",
    "columns": "# two columns, all rows\n"
               "query = SELECT source, destination\n"
               "    FROM virtual_aliases WHERE source='%s'\n",
    "percent": "query = SELECT destination FROM virtual_aliases WHERE source='%s'"
               " AND '%%'='%%'\n",
}

ROWS = [
    # (source, destination) in virtual_aliases
    ("alias@example.com", "email1@example.com"),
    ("multi@example.com", "email1@example.com"),
    ("multi@example.com", "email2@example.com"),
    ("multi@example.com", "remote@example.org"),
    ("alias@example.net", "email2@example.com"),
    ("empty@example.com", ""),
    ("a%b@example.com", "percent@example.com"),
]


def run_postmap(prog, confdir, key, spec):
    r = subprocess.run([prog, "-c", confdir, "-q", key, spec],
                       capture_output=True, text=True, timeout=60)
    warnings = [l for l in r.stderr.splitlines() if ": warning: " in l]
    return r.returncode, r.stdout, warnings, r.stderr


def compare(confdir, spec, keys):
    bad = []
    for key in keys:
        want = run_postmap(ORACLE, confdir, key, spec)
        got = run_postmap(os.path.join(BIN, "postmap"), confdir, key, spec)
        if want[:3] != got[:3]:
            bad.append("%s %r:\n  postfix: %r\n  postern: %r" % (spec, key, want, got))
    assert not bad, "\n".join(bad)


def write_cfs(dirname, conn):
    os.makedirs(dirname, exist_ok=True)
    with open(os.path.join(dirname, "main.cf"), "w") as f:
        f.write("compatibility_level = 3.6\n")
    for name, body in CF.items():
        with open(os.path.join(dirname, name + ".cf"), "w") as f:
            f.write(conn + body)


def sql_quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "''") + "'"


def pg_quote(s):
    return "'" + s.replace("'", "''") + "'"


# ---------------------------------------------------------------- MariaDB

@pytest.fixture(scope="module")
def my_env(mariadb):  # noqa: F811
    mariadb.sql("""
CREATE DATABASE mailserver;
USE mailserver;
CREATE TABLE `virtual_domains` (
  `id` int(11) NOT NULL auto_increment,
  `name` varchar(50) NOT NULL,
  PRIMARY KEY (`id`)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE `virtual_users` (
  `id` int(11) NOT NULL auto_increment,
  `domain_id` int(11) NOT NULL,
  `password` varchar(106) NOT NULL,
  `email` varchar(100) NOT NULL,
  PRIMARY KEY (`id`), UNIQUE KEY `email` (`email`),
  FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE)
  ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE `virtual_aliases` (
  `id` int(11) NOT NULL auto_increment,
  `domain_id` int(11) NOT NULL,
  `source` varchar(100) NOT NULL,
  `destination` varchar(100),
  PRIMARY KEY (`id`),
  FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE)
  ENGINE=InnoDB DEFAULT CHARSET=utf8;
INSERT INTO virtual_domains (id, name) VALUES (1, 'example.com'), (2, 'example.net'),
  (3, 'mail.example.com');
INSERT INTO virtual_users (domain_id, password, email) VALUES
  (1, 'x', 'email1@example.com'), (1, 'x', 'email2@example.com'),
  (2, 'x', 'email1@example.net');
INSERT INTO virtual_aliases (domain_id, source, destination) VALUES
  (1, 'null@example.com', NULL);
""")
    mariadb.sql("".join("INSERT INTO virtual_aliases (domain_id, source, destination) "
                        "VALUES (1, %s, %s);\n" % (sql_quote(s), sql_quote(d))
                        for s, d in ROWS), db="mailserver")
    mariadb.create_user("mailuser", "mailuserpass", db="mailserver")
    d = tempfile.mkdtemp(prefix="postern-sqlcf-", dir="/tmp")
    conn = ("user = mailuser\npassword = mailuserpass\nhosts = 127.0.0.1:%d\n"
            "dbname = mailserver\n" % mariadb.port)
    write_cfs(d, conn)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("name", sorted(CF))
def test_mysql_postmap_matches_postfix(my_env, name):
    compare(my_env, "mysql:%s/%s.cf" % (my_env, name), KEYS)


def test_mysql_unix_socket_and_failover(my_env, mariadb):  # noqa: F811
    cf = os.path.join(my_env, "failover.cf")
    with open(cf, "w") as f:
        f.write("user = mailuser\npassword = mailuserpass\ndbname = mailserver\n"
                "hosts = inet:127.0.0.1:1, unix:%s 127.0.0.1:%d\n"
                "query = SELECT destination FROM virtual_aliases WHERE source='%%s'\n"
                % (mariadb.socket, mariadb.port))
    for key in ("multi@example.com", "nobody@example.com"):
        want = run_postmap(ORACLE, my_env, key, "mysql:" + cf)
        got = run_postmap(os.path.join(BIN, "postmap"), my_env, key, "mysql:" + cf)
        assert want[:2] == got[:2]
    assert got[2] == [], "the UNIX socket is tried first: %r" % (got,)
    assert run_postmap(os.path.join(BIN, "postmap"), my_env, "multi@example.com",
                       "mysql:" + cf)[1] == \
        "email1@example.com,email2@example.com,remote@example.org\n"


def test_mysql_injection_finds_nothing(my_env):
    for key in ("x' OR '1'='1", "alias@example.com' OR '1'='1"):
        rc, out, warnings, _ = run_postmap(os.path.join(BIN, "postmap"), my_env, key,
                                           "mysql:%s/aliases.cf" % my_env)
        assert (rc, out) == (1, ""), (key, rc, out, warnings)


def test_mysql_bad_sql_is_temporary(my_env):
    cf = os.path.join(my_env, "badsql.cf")
    with open(cf, "w") as f:
        f.write(open(os.path.join(my_env, "aliases.cf")).read().replace(
            "FROM virtual_aliases", "FROM no_such_table"))
    want = run_postmap(ORACLE, my_env, "alias@example.com", "mysql:" + cf)
    got = run_postmap(os.path.join(BIN, "postmap"), my_env, "alias@example.com", "mysql:" + cf)
    assert got[:3] == want[:3]
    assert got[0] == 1 and "query failed: Table 'mailserver.no_such_table' doesn't exist" \
        in got[3]


def _connections(mariadb):  # noqa: F811
    return int(mariadb.sql("SHOW GLOBAL STATUS LIKE 'Connections'").split()[1])


def test_mysql_keeps_and_reopens_connection(my_env, mariadb):  # noqa: F811
    """One connection serves many lookups; a server restart under a
    long-lived client costs one reconnect, not a temporary failure."""
    p = subprocess.Popen(["stdbuf", "-oL", os.path.join(BIN, "postmap"), "-c", my_env, "-q",
                          "-", "mysql:%s/aliases.cf" % my_env],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, bufsize=1)
    try:
        before = _connections(mariadb)
        for key in ("alias@example.com", "nobody@example.com", "alias@example.net",
                    "alias@example.com"):
            p.stdin.write(key + "\n")
            p.stdin.flush()
        for want in ("alias@example.com\temail1@example.com\n",
                     "alias@example.net\temail2@example.com\n",
                     "alias@example.com\temail1@example.com\n"):
            assert p.stdout.readline() == want
        # Our SHOW STATUS client counts one; postmap's one connection the other.
        assert _connections(mariadb) - before == 2
        mariadb.stop()
        mariadb.start()
        p.stdin.write("alias@example.net\n")
        p.stdin.flush()
        assert p.stdout.readline() == "alias@example.net\temail2@example.com\n"
        p.stdin.close()
        assert p.wait(timeout=30) == 0
        err = p.stderr.read()
        assert "connect to mysql server" not in err
        # The stale connection was noticed and reopened.
        assert "aliases.cf: query failed: " in err, err
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def smtp_rcpt(port, rcpt):
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        return s.rcpt(rcpt)


def test_mysql_down_is_temporary_failure(my_env, mariadb):  # noqa: F811
    spec = "mysql:%s/mailbox.cf" % my_env
    inst = Instance(extra_main={
        "virtual_mailbox_domains": "mysql:%s/domains.cf" % my_env,
        "virtual_mailbox_maps": spec,
        "virtual_alias_maps": "mysql:%s/aliases.cf" % my_env,
        "max_use": "1",
    })
    try:
        inst.start()
        code, msg = smtp_rcpt(inst.port, "email1@example.com")
        assert code == 250, (code, msg)
        code, msg = smtp_rcpt(inst.port, "nobody@example.com")
        assert code == 550, (code, msg)
        mariadb.stop()
        try:
            want = run_postmap(ORACLE, my_env, "email1@example.com", spec)
            got = run_postmap(os.path.join(BIN, "postmap"), my_env, "email1@example.com", spec)
            assert got[:3] == want[:3]
            assert got[0] != 0 and "connect to mysql server" in got[3]
            code, msg = smtp_rcpt(inst.port, "email1@example.com")
            assert (code, msg) == (451, b"4.3.0 <email1@example.com>: "
                                   b"Temporary lookup failure"), inst.log()
        finally:
            mariadb.start()
        code, msg = smtp_rcpt(inst.port, "email1@example.com")
        assert code == 250, (code, msg, inst.log())
    finally:
        inst.destroy()


# ------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="module")
def pg_env(postgres):  # noqa: F811
    postgres.create_db("mailserver")
    postgres.sql("""
CREATE TABLE virtual_domains (id bigserial primary key, name text NOT NULL);
CREATE TABLE virtual_users (id bigserial primary key,
  domain_id bigint NOT NULL references virtual_domains(id),
  password text NOT NULL, email text NOT NULL unique);
CREATE TABLE virtual_aliases (id bigserial primary key,
  domain_id bigint NOT NULL references virtual_domains(id),
  source text NOT NULL, destination text);
INSERT INTO virtual_domains (name) VALUES ('example.com'), ('example.net'),
  ('mail.example.com');
INSERT INTO virtual_users (domain_id, password, email) VALUES
  (1, 'x', 'email1@example.com'), (1, 'x', 'email2@example.com'),
  (2, 'x', 'email1@example.net');
INSERT INTO virtual_aliases (domain_id, source, destination) VALUES
  (1, 'null@example.com', NULL);
""", db="mailserver")
    postgres.sql("".join("INSERT INTO virtual_aliases (domain_id, source, destination) "
                         "VALUES (1, %s, %s);\n" % (pg_quote(s), pg_quote(dd))
                         for s, dd in ROWS), db="mailserver")
    postgres.create_user("mailserver", "mailserverpass", db="mailserver")
    d = tempfile.mkdtemp(prefix="postern-pgcf-", dir="/tmp")
    conn = ("user = mailserver\npassword = mailserverpass\nhosts = 127.0.0.1:%d\n"
            "dbname = mailserver\n" % postgres.port)
    write_cfs(d, conn)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("name", sorted(set(CF) - {"user_only"}))
def test_pgsql_postmap_matches_postfix(pg_env, name):
    compare(pg_env, "pgsql:%s/%s.cf" % (pg_env, name), KEYS)


def test_pgsql_unix_socket_and_select_function(pg_env, postgres):  # noqa: F811
    postgres.sql("CREATE FUNCTION alias_of(text) RETURNS SETOF text AS "
                 "$$ SELECT destination FROM virtual_aliases WHERE source = $1 $$ "
                 "LANGUAGE SQL;\nGRANT EXECUTE ON FUNCTION alias_of(text) TO mailserver;",
                 db="mailserver")
    cf = os.path.join(pg_env, "func.cf")
    with open(cf, "w") as f:
        f.write("user = mailserver\npassword = mailserverpass\ndbname = mailserver\n"
                "hosts = unix:%s\nselect_function = alias_of\n" % postgres.sockdir)
    # The socket directory's server listens on its own port: use a URI-free
    # spelling Postfix accepts too: host directory plus the port via PGPORT.
    env_port = str(postgres.port)
    for key in ("multi@example.com", "nobody@example.com", "x' OR '1'='1"):
        res = []
        for prog in (ORACLE, os.path.join(BIN, "postmap")):
            r = subprocess.run([prog, "-c", pg_env, "-q", key, "pgsql:" + cf],
                               capture_output=True, text=True, timeout=60,
                               env=dict(os.environ, PGPORT=env_port))
            res.append((r.returncode, r.stdout))
        assert res[0] == res[1], (key, res)
    assert res[0][0] == 1
    r = subprocess.run([os.path.join(BIN, "postmap"), "-c", pg_env, "-q", "multi@example.com",
                        "pgsql:" + cf], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, PGPORT=env_port))
    assert r.stdout == "email1@example.com,email2@example.com,remote@example.org\n", r


def test_pgsql_down_is_temporary(pg_env, postgres):  # noqa: F811
    spec = "pgsql:%s/aliases.cf" % pg_env
    postgres.stop()
    try:
        want = run_postmap(ORACLE, pg_env, "alias@example.com", spec)
        got = run_postmap(os.path.join(BIN, "postmap"), pg_env, "alias@example.com", spec)
        assert got[:3] == want[:3]
        assert got[0] == 1 and got[1] == "" and "connect to pgsql server" in got[3]
    finally:
        postgres.start()
    got = run_postmap(os.path.join(BIN, "postmap"), pg_env, "alias@example.com", spec)
    assert got[:2] == (0, "email1@example.com\n")
