"""A private Dovecot for Postern integration tests.

Dovecot(root_dir, lmtp_socket_path=None, users={...}) writes root_dir/dovecot.conf
with base_dir, state_dir and log_path inside root_dir, a passwd-file
passdb/userdb with the given users (all mapped to the "vmail" uid/gid),
mail_location = maildir:ROOT/mail/%d/%n, IMAP on a free 127.0.0.1 port and,
when lmtp_socket_path is given, an LMTP unix listener at that path
(mode 0666, owner postfix) -- put it inside a Postern instance's
queue_directory/private so that `lmtp:unix:private/dovecot-lmtp` works.

users: {"alice@example.test": "password", ...}; a value may also be a dict
{"password": "pw", "extra": "userdb_mail=maildir:/x"} whose "extra" is
appended to the passwd-file line's extra fields (e.g. to make a user whose
mailbox cannot be written, for temporary-failure tests). Users can be
changed while running with set_users() (passwd-file is re-read by Dovecot
when it changes).

start() runs `dovecot -c CONF` and waits until the LMTP socket and the IMAP
port accept connections; stop() runs `dovecot -c CONF stop` and waits for
its own master process to go away (kills only that pid if it lingers).
imap_fetch_all(user, password) returns the raw messages of INBOX, in order.
deliver_path() is dovecot-lda (or deliver); lda_args() gives ["-c", CONF]
for a pipe(8) argv.
"""
import imaplib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time

from postern import ensure_user, free_port

DOVECOT = "/usr/sbin/dovecot"


class Dovecot:
    def __init__(self, root_dir, lmtp_socket_path=None, users=None, extra_conf=""):
        self.root = os.path.abspath(root_dir)
        os.makedirs(self.root, exist_ok=True)
        os.chmod(self.root, 0o755)
        self.vuid, self.vgid = ensure_user("vmail")
        self.base_dir = os.path.join(self.root, "run")
        self.state_dir = os.path.join(self.root, "state")
        self.mail_dir = os.path.join(self.root, "mail")
        self.log_path = os.path.join(self.root, "dovecot.log")
        self.passwd = os.path.join(self.root, "passwd")
        self.conf = os.path.join(self.root, "dovecot.conf")
        self.lmtp_socket_path = lmtp_socket_path
        self.imap_port = free_port()
        self.users = dict(users or {})
        self.extra_conf = extra_conf
        self.started = False
        for d in (self.state_dir, self.mail_dir):
            os.makedirs(d, exist_ok=True)
        os.chown(self.mail_dir, self.vuid, self.vgid)
        # dovecot-lda run by pipe(8) as vmail writes this log too.
        with open(self.log_path, "a"):
            pass
        os.chmod(self.log_path, 0o666)
        self.write_passwd()
        self.write_conf()

    # -- configuration ----------------------------------------------------
    def write_passwd(self):
        lines = []
        for user, val in self.users.items():
            if isinstance(val, dict):
                pw, extra = val.get("password", "x"), val.get("extra", "")
            else:
                pw, extra = val, ""
            lines.append("%s:{PLAIN}%s:%d:%d::%s::%s\n"
                         % (user, pw, self.vuid, self.vgid, self.mail_dir, extra))
        tmp = self.passwd + ".tmp"
        with open(tmp, "w") as f:
            f.writelines(lines)
        os.chmod(tmp, 0o644)
        os.rename(tmp, self.passwd)

    def set_users(self, users):
        self.users = dict(users)
        self.write_passwd()

    def write_conf(self):
        lmtp = ""
        if self.lmtp_socket_path:
            lmtp = """service lmtp {
  unix_listener %s {
    mode = 0666
    user = postfix
  }
}
""" % self.lmtp_socket_path
        conf = """# Private Dovecot for a Postern test (tests/integration/dovecot.py)
base_dir = %(base)s
state_dir = %(state)s
log_path = %(log)s
info_log_path = %(log)s
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_verbose = yes
first_valid_uid = 1
mail_location = maildir:%(mail)s/%%d/%%n
recipient_delimiter = +
lmtp_rcpt_check_quota = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %(passwd)s
}
userdb {
  driver = passwd-file
  args = username_format=%%u %(passwd)s
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %(port)d
  }
  inet_listener imaps {
    port = 0
  }
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
%(lmtp)s%(extra)s
""" % {"base": self.base_dir, "state": self.state_dir, "log": self.log_path,
       "mail": self.mail_dir, "passwd": self.passwd, "port": self.imap_port,
       "lmtp": lmtp, "extra": self.extra_conf}
        with open(self.conf, "w") as f:
            f.write(conf)
        os.chmod(self.conf, 0o644)

    # -- process control --------------------------------------------------
    def master_pid(self):
        try:
            with open(os.path.join(self.base_dir, "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def _accepts_unix(self, path):
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()

    def _accepts_tcp(self, port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def start(self, timeout=20):
        # The daemon inherits stdout/stderr: never give it a pipe we wait on.
        with open(os.path.join(self.root, "start.err"), "w") as err:
            r = subprocess.run([DOVECOT, "-c", self.conf], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=err)
        if r.returncode != 0:
            with open(os.path.join(self.root, "start.err")) as f:
                raise RuntimeError("dovecot failed to start: " + f.read())
        self.started = True
        deadline = time.time() + timeout
        while time.time() < deadline:
            ok = self._accepts_tcp(self.imap_port)
            if self.lmtp_socket_path:
                ok = ok and self._accepts_unix(self.lmtp_socket_path)
            if ok:
                return
            time.sleep(0.1)
        raise RuntimeError("dovecot did not start; log:\n" + self.log())

    def stop(self, timeout=10):
        if not self.started:
            return
        pid = self.master_pid()
        subprocess.run([DOVECOT, "-c", self.conf, "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + timeout
        while pid and time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        # Wait until the listeners are really gone.
        while time.time() < deadline and (
                self._accepts_tcp(self.imap_port) or
                (self.lmtp_socket_path and self._accepts_unix(self.lmtp_socket_path))):
            time.sleep(0.1)
        self.started = False

    def destroy(self):
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # -- helpers for tests ------------------------------------------------
    def imap_fetch_all(self, user, password, mailbox="INBOX"):
        """Raw RFC 822 bytes of every message in mailbox, in UID order."""
        m = imaplib.IMAP4("127.0.0.1", self.imap_port)
        try:
            m.login(user, password)
            typ, _ = m.select(mailbox, readonly=True)
            if typ != "OK":
                return []
            typ, data = m.uid("SEARCH", None, "ALL")
            uids = data[0].split() if data and data[0] else []
            out = []
            for uid in uids:
                typ, msg = m.uid("FETCH", uid, "(BODY.PEEK[])")
                for part in msg:
                    if isinstance(part, tuple):
                        out.append(part[1])
            return out
        finally:
            try:
                m.logout()
            except Exception:
                pass

    def maildir_files(self, user):
        """Paths of delivered files for user@domain (new/ and cur/)."""
        local, _, domain = user.partition("@")
        base = os.path.join(self.mail_dir, domain, local)
        out = []
        for sub in ("new", "cur"):
            d = os.path.join(base, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    @staticmethod
    def deliver_path():
        for p in ("/usr/lib/dovecot/dovecot-lda", "/usr/lib/dovecot/deliver"):
            if os.access(p, os.X_OK):
                return p
        raise RuntimeError("dovecot-lda not installed")

    def lda_args(self):
        """["-c", CONF] to put after deliver_path() in a pipe(8) argv."""
        return ["-c", self.conf]

    def lda_argv(self):
        """The master.cf argv= text of the tutorials' dovecot pipe service."""
        return "%s -c %s -f ${sender} -d ${recipient}" % (self.deliver_path(), self.conf)
