"""Private database servers for integration tests: MariaDB and PostgreSQL.

Each server lives entirely under the directory it is given (data directory,
unix socket, pid file, log) and listens on a free 127.0.0.1 port. start()
waits a bounded time and raises RuntimeError with the server's log if it
does not come up; stop() signals only the server's own pid, waits for it,
and may be called any number of times.

    from peers import MariaDB, PostgreSQL, mariadb, postgres   # fixtures

    def test_x(mariadb):            # module-scoped, already started
        mariadb.sql("CREATE TABLE t (k TEXT)", db="mail")
        mariadb.create_user("postfix", "secret")

MariaDB: mariadb-install-db --auth-root-authentication-method=normal
--skip-test-db; mariadbd --user=root --skip-networking=0
--bind-address=127.0.0.1. The root account has no password and is used by
sql() through the socket; create_user() makes a password account for the
code under test (host '%' by default: TCP and socket both work).

PostgreSQL: initdb and postgres run as the "postgres" system user (the
server refuses root), so the directory is made traversable and the data
directory owned by postgres. Local (socket) connections are trusted,
TCP ones need a password (scram-sha-256). sql() runs psql as the database
superuser "postgres" on the socket.
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

try:
    import pytest
except ImportError:  # the benches use the peers without pytest
    pytest = None

PG_BIN = "/usr/lib/postgresql/15/bin"
START_TIMEOUT = 60


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()[-8000:]
    except OSError as e:
        return "(cannot read %s: %s)" % (path, e)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _port_open(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


class MariaDB:
    """A private MariaDB server under root_dir."""

    def __init__(self, root_dir):
        self.root = os.path.abspath(root_dir)
        os.makedirs(self.root, exist_ok=True)
        self.datadir = os.path.join(self.root, "mariadb-data")
        self.socket = os.path.join(self.root, "mariadb.sock")
        self.pidfile = os.path.join(self.root, "mariadb.pid")
        self.log = os.path.join(self.root, "mariadb.log")
        self.port = None
        self.host = "127.0.0.1"
        self.proc = None
        self.pid = None
        self._installed = False

    def _install(self):
        if self._installed:
            return
        os.makedirs(self.datadir, exist_ok=True)
        r = subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--user=root",
             "--datadir=" + self.datadir,
             "--auth-root-authentication-method=normal", "--skip-test-db"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=120)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n" + r.stdout)
        self._installed = True

    def start(self):
        """Install (first time) and start the server; returns self."""
        if self.proc is not None and self.proc.poll() is None:
            return self
        self._install()
        if self.port is None:
            self.port = free_port()
        logf = open(self.log, "a")
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--user=root",
             "--datadir=" + self.datadir, "--socket=" + self.socket,
             "--pid-file=" + self.pidfile, "--skip-networking=0",
             "--bind-address=127.0.0.1", "--port=%d" % self.port,
             "--log-error=" + self.log, "--skip-log-bin",
             "--innodb-buffer-pool-size=16M", "--skip-name-resolve"],
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        logf.close()
        self.pid = self.proc.pid
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            if os.path.exists(self.socket) and _port_open(self.port):
                r = subprocess.run(["mariadb", "--no-defaults", "-uroot",
                                    "--socket=" + self.socket, "-e", "SELECT 1"],
                                   capture_output=True, timeout=10)
                if r.returncode == 0:
                    return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("mariadbd did not start:\n" + _read(self.log))

    def stop(self):
        """Stop the server (only its own pid); idempotent."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        self.proc = None
        self.pid = None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def sql(self, statements, db=None, check=True):
        """Run SQL text as root through the socket; returns stdout (tab
        separated rows, no column names)."""
        cmd = ["mariadb", "--no-defaults", "-uroot", "--socket=" + self.socket,
               "--batch", "--skip-column-names"]
        if db:
            cmd.append(db)
        r = subprocess.run(cmd, input=statements, capture_output=True,
                           text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("mariadb: %s\n%s" % (r.stderr, statements))
        return r.stdout

    def create_user(self, user, password, host="%", db=None):
        """Create (or replace) a password account; grant it SELECT on db
        (all databases if None)."""
        on = ("`%s`.*" % db) if db else "*.*"
        self.sql("CREATE OR REPLACE USER '%s'@'%s' IDENTIFIED BY '%s';\n"
                 "GRANT SELECT ON %s TO '%s'@'%s';\nFLUSH PRIVILEGES;\n"
                 % (user, host, password, on, user, host))
        if host == "%":
            # The anonymous-free install has no ''@localhost, but make the
            # socket path explicit too.
            self.sql("CREATE OR REPLACE USER '%s'@'localhost' IDENTIFIED BY '%s';\n"
                     "GRANT SELECT ON %s TO '%s'@'localhost';\nFLUSH PRIVILEGES;\n"
                     % (user, password, on, user))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class PostgreSQL:
    """A private PostgreSQL 15 server under root_dir, run as user postgres."""

    def __init__(self, root_dir):
        self.root = os.path.abspath(root_dir)
        os.makedirs(self.root, exist_ok=True)
        # postgres must be able to reach its directories.
        p = self.root
        while p not in ("/", ""):
            st = os.stat(p)
            if not st.st_mode & 0o001:
                os.chmod(p, st.st_mode | 0o111)
            p = os.path.dirname(p)
        self.datadir = os.path.join(self.root, "pg-data")
        self.sockdir = os.path.join(self.root, "pg-sock")
        self.log = os.path.join(self.root, "pg.log")
        self.port = None
        self.host = "127.0.0.1"
        self.pid = None
        self._installed = False
        pw = pwd.getpwnam("postgres")
        self.uid, self.gid = pw.pw_uid, pw.pw_gid

    def _as_pg(self, args, **kw):
        return subprocess.run(["runuser", "-u", "postgres", "--"] + args, **kw)

    def _install(self):
        if self._installed:
            return
        for d in (self.datadir, self.sockdir):
            os.makedirs(d, exist_ok=True)
            os.chown(d, self.uid, self.gid)
        os.chmod(self.datadir, 0o700)
        if not os.path.exists(self.log):
            open(self.log, "w").close()
        os.chown(self.log, self.uid, self.gid)
        r = self._as_pg([PG_BIN + "/initdb", "-D", self.datadir, "-U", "postgres",
                         "--auth-local=trust", "--auth-host=scram-sha-256",
                         "-E", "UTF8", "--locale=C.UTF-8"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("initdb failed:\n" + r.stdout)
        self._installed = True

    def start(self):
        """Initialise (first time) and start the server; returns self."""
        if self.running():
            return self
        self._install()
        if self.port is None:
            self.port = free_port()
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.sockdir)
        r = self._as_pg([PG_BIN + "/pg_ctl", "-D", self.datadir, "-l", self.log,
                         "-o", opts, "-w", "-t", str(START_TIMEOUT), "start"],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True, timeout=START_TIMEOUT + 30)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed:\n%s\n%s" % (r.stdout, _read(self.log)))
        with open(os.path.join(self.datadir, "postmaster.pid")) as f:
            self.pid = int(f.readline().strip())
        deadline = time.time() + START_TIMEOUT
        while time.time() < deadline:
            if _port_open(self.port):
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("postgres did not listen:\n" + _read(self.log))

    def running(self):
        return self.pid is not None and _pid_alive(self.pid)

    def stop(self):
        """Fast shutdown of this server only; idempotent."""
        if self.pid is None:
            return
        if _pid_alive(self.pid):
            os.kill(self.pid, signal.SIGINT)  # "fast" shutdown
            deadline = time.time() + 60
            while time.time() < deadline and _pid_alive(self.pid):
                time.sleep(0.1)
            if _pid_alive(self.pid):
                os.kill(self.pid, signal.SIGQUIT)
                deadline = time.time() + 30
                while time.time() < deadline and _pid_alive(self.pid):
                    time.sleep(0.1)
        self.pid = None

    def sql(self, statements, db="postgres", check=True):
        """Run SQL text as superuser postgres on the socket; returns stdout
        (unaligned, tab separated, tuples only)."""
        r = self._as_pg(["psql", "-X", "-q", "-h", self.sockdir, "-p", str(self.port),
                         "-U", "postgres", "-d", db or "postgres", "-v", "ON_ERROR_STOP=1",
                         "-A", "-t", "-F", "\t"],
                        input=statements, capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise RuntimeError("psql: %s\n%s" % (r.stderr, statements))
        return r.stdout

    def create_db(self, db):
        self.sql('CREATE DATABASE "%s"' % db)

    def create_user(self, user, password, db=None):
        """Create a login role with a password; grant SELECT on all tables of
        schema public in db (when given) to it."""
        self.sql("DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='%s') "
                 "THEN CREATE ROLE \"%s\" LOGIN; END IF; END$$;\n"
                 "ALTER ROLE \"%s\" PASSWORD '%s';\n" % (user, user, user, password))
        if db:
            self.sql('GRANT SELECT ON ALL TABLES IN SCHEMA public TO "%s";' % user, db=db)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _tmpdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    os.chmod(d, 0o755)
    return d


if pytest is not None:

    @pytest.fixture(scope="module")
    def mariadb():
        """A started private MariaDB (module scope)."""
        d = _tmpdir("postern-mariadb-")
        m = MariaDB(d)
        try:
            m.start()
            yield m
        finally:
            m.stop()
            shutil.rmtree(d, ignore_errors=True)


    @pytest.fixture(scope="module")
    def postgres():
        """A started private PostgreSQL (module scope)."""
        d = _tmpdir("postern-pg-")
        p = PostgreSQL(d)
        try:
            p.start()
            yield p
        finally:
            p.stop()
            shutil.rmtree(d, ignore_errors=True)
