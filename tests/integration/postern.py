"""Helpers for Postern integration tests: a private instance, as a user runs one.

An Instance is a config directory in a fresh temporary folder (etc/ with
main.cf, master.cf and hash: maps built with Postern's postmap; spool/ as
queue_directory; data/; mail/ as virtual_mailbox_base; log/maillog as
maillog_file), started with `postfix -c etc start` and stopped with
`postfix -c etc stop`. SMTP listens on 127.0.0.1 on a free port. Only the
processes of this instance are ever signalled (the master's process group).
"""
import glob
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("POSTERN_BUILD", os.path.join(REPO, "build"))
BIN = os.path.join(BUILD, "bin")
LIBEXEC = os.path.join(BUILD, "libexec")

DOMAIN = "example.test"
MAILBOXES = ["alice", "bob", "carol", "dave"]


def ensure_user(name):
    """Create a system user (and group) if missing; return (uid, gid)."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s",
                        "/usr/sbin/nologin", "-U", name], check=True)
        pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def ensure_group(name):
    try:
        grp.getgrnam(name)
    except KeyError:
        subprocess.run(["groupadd", "-r", name], check=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Instance:
    def __init__(self, extra_main=None, mynetworks="127.0.0.1/32", aliases=None,
                 master_extra="", mailboxes=None, master_cf=None):
        """master_cf: optional function(port) -> master.cf text, used instead
        of conf/master.cf with its smtp line moved to 127.0.0.1:port."""
        ensure_group("postdrop")
        ensure_user("postfix")
        self.vuid, self.vgid = ensure_user("vmail")
        self.root = tempfile.mkdtemp(prefix="postern-test-", dir="/tmp")
        os.chmod(self.root, 0o755)
        self.etc = os.path.join(self.root, "etc")
        self.spool = os.path.join(self.root, "spool")
        self.data = os.path.join(self.root, "data")
        self.mail = os.path.join(self.root, "mail")
        self.logdir = os.path.join(self.root, "log")
        self.maillog = os.path.join(self.logdir, "maillog")
        for d in (self.etc, self.spool, self.data, self.mail, self.logdir):
            os.makedirs(d)
        os.chown(self.mail, self.vuid, self.vgid)
        self.port = free_port()
        self.mailboxes = mailboxes if mailboxes is not None else MAILBOXES
        main = {
            "compatibility_level": "3.6",
            "queue_directory": self.spool,
            "data_directory": self.data,
            "daemon_directory": LIBEXEC,
            "command_directory": BIN,
            "maillog_file": self.maillog,
            "maillog_file_prefixes": self.root,
            "inet_interfaces": "127.0.0.1",
            "myhostname": "mx.example.test",
            "mydomain": "example.test",
            "mydestination": "",
            "mynetworks": mynetworks,
            "recipient_delimiter": "+",
            "virtual_mailbox_domains": DOMAIN,
            "virtual_mailbox_base": self.mail,
            "virtual_mailbox_maps": "hash:%s/vmailbox" % self.etc,
            "virtual_alias_maps": "hash:%s/virtual" % self.etc,
            "virtual_uid_maps": "static:%d" % self.vuid,
            "virtual_gid_maps": "static:%d" % self.vgid,
            "smtpd_banner": "$myhostname ESMTP $mail_name",
        }
        if extra_main:
            main.update(extra_main)
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            for k, v in main.items():
                f.write("%s = %s\n" % (k, v))
        if master_cf is not None:
            master = master_cf(self.port)
        else:
            with open(os.path.join(REPO, "conf", "master.cf")) as f:
                master = f.read()
            master = master.replace(
                "smtp      inet  n       -       n       -       -       smtpd",
                "127.0.0.1:%d inet n - n - - smtpd" % self.port)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(master + master_extra)
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            for mb in self.mailboxes:
                f.write("%s@%s %s/%s/\n" % (mb, DOMAIN, DOMAIN, mb))
        with open(os.path.join(self.etc, "virtual"), "w") as f:
            for k, v in (aliases or {}).items():
                f.write("%s %s\n" % (k, v))
        self.postmap("vmailbox")
        self.postmap("virtual")
        self.started = False

    # -- commands -------------------------------------------------------
    def cmd(self, name, *args, check=True, input=None, env=None, timeout=60):
        e = dict(os.environ)
        e["MAIL_CONFIG"] = self.etc
        if env:
            e.update(env)
        return subprocess.run([os.path.join(BIN, name)] + list(args), input=input,
                              capture_output=True, check=check, env=e, timeout=timeout)

    def postmap(self, table):
        self.cmd("postmap", "-c", self.etc, "hash:%s/%s" % (self.etc, table))

    def postfix(self, action, check=True):
        return self.cmd("postfix", "-c", self.etc, action, check=check)

    def start(self):
        self.postfix("start")
        self.started = True
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("instance did not listen on port %d; log:\n%s"
                             % (self.port, self.log()))

    def master_pid(self):
        try:
            with open(os.path.join(self.spool, "pid", "master.pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def pids(self):
        """PIDs of this instance: the master and everything in its process group."""
        mp = self.master_pid()
        if not mp:
            return []
        out = []
        for d in glob.glob("/proc/[0-9]*"):
            try:
                pid = int(os.path.basename(d))
                if os.getpgid(pid) == mp or pid == mp:
                    out.append(pid)
            except (OSError, ValueError):
                pass
        return out

    def stop(self):
        if not self.started:
            return
        r = self.postfix("stop", check=False)
        self.started = False
        deadline = time.time() + 10
        while time.time() < deadline and self.pids():
            time.sleep(0.1)
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        return r

    def kill9_all(self):
        """kill -9 every process of the instance, the master first."""
        pids = self.pids()
        mp = self.master_pid()
        if mp:
            os.kill(mp, signal.SIGKILL)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.started = False
        time.sleep(0.2)

    def destroy(self):
        self.stop()
        if os.environ.get("POSTERN_KEEP"):
            return
        shutil.rmtree(self.root, ignore_errors=True)

    # -- observation ----------------------------------------------------
    def log(self):
        try:
            with open(self.maillog, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def maildir_files(self, mailbox):
        base = os.path.join(self.mail, DOMAIN, mailbox)
        return sorted(glob.glob(os.path.join(base, "new", "*")) +
                      glob.glob(os.path.join(base, "cur", "*")))

    def all_delivered(self):
        out = []
        for mb in self.mailboxes:
            out.extend(self.maildir_files(mb))
        return out

    def queue_files(self, committed_only=True):
        """Queue files in maildrop, incoming, active, deferred and hold. By
        default only committed ones (owner-execute bit set, reference 2.4):
        a file a killed cleanup left unfinished is invisible to Postfix too
        (postsuper -p removes it after a week)."""
        out = []
        for q in ("maildrop", "incoming", "active", "deferred", "hold"):
            for dirpath, _, files in os.walk(os.path.join(self.spool, q)):
                for f in files:
                    path = os.path.join(dirpath, f)
                    try:
                        mode = os.stat(path).st_mode
                    except OSError:
                        continue
                    if not committed_only or mode & 0o700 == 0o700:
                        out.append(path)
        return out

    def wait_delivered(self, count, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            n = len(self.all_delivered())
            if n >= count and not self.queue_files():
                return n
            time.sleep(0.1)
        return len(self.all_delivered())

    def wait_queue_empty(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.queue_files():
                return True
            time.sleep(0.1)
        return False

    def wait_log(self, pattern, timeout=20):
        import re
        rx = re.compile(pattern, re.M)
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = rx.search(self.log())
            if m:
                return m
            time.sleep(0.1)
        return None


def read_message(path):
    with open(path, "rb") as f:
        return f.read()


def body_of(raw):
    """The body of a delivered message (after the first empty line)."""
    i = raw.find(b"\n\n")
    return raw[i + 2:] if i >= 0 else b""
