"""Postern and Postfix 3.7 share the queue format and the log format:
Postfix's postcat reads Postern's queue files, Postern delivers what a stopped
Postfix left in its queue, and pflogsumm reads Postern's log."""
import os
import re
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from postern import DOMAIN, body_of, free_port, read_message

POSTFIX = "/usr/sbin/postfix"
need_postfix = pytest.mark.skipif(not os.path.exists(POSTFIX), reason="Postfix not installed")


def defer_one(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("sender@example.org", ["someone@elsewhere.example"],
                   "Subject: stays\r\n\r\nqueued body line\r\n")
    deadline = time.time() + 30
    while time.time() < deadline:
        files = [f for f in inst.queue_files() if "/deferred/" in f]
        if files:
            return files[0]
        time.sleep(0.1)
    raise AssertionError(inst.log()[-3000:])


@need_postfix
def test_postfix_postcat_reads_postern_queue_file(inst):
    path = defer_one(inst)
    empty = tempfile.mkdtemp()
    try:
        open(os.path.join(empty, "main.cf"), "w").close()
        r = subprocess.run(["/usr/sbin/postcat", "-c", empty, path], capture_output=True,
                           text=True, timeout=30)
    finally:
        shutil.rmtree(empty)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "*** ENVELOPE RECORDS" in out
    assert re.search(r"^sender: sender@example\.org$", out, re.M), out
    assert re.search(r"^recipient: someone@elsewhere\.example$", out, re.M), out
    assert re.search(r"^message_arrival_time: ", out, re.M), out
    assert re.search(r"^queued body line$", out, re.M), out
    assert "*** MESSAGE FILE END" in out
    assert "warning" not in r.stderr and "fatal" not in r.stderr, r.stderr
    # And Postern's postcat prints the same as Postfix's for the same file.
    ours = inst.cmd("postcat", path).stdout.decode()
    assert ours == out


class PostfixInstance:
    """A private Postfix 3.7 instance (reference section 13)."""

    def __init__(self, root, vuid, vgid, extra=None):
        self.root = root
        self.etc = os.path.join(root, "etc")
        self.spool = os.path.join(root, "spool")
        self.data = os.path.join(root, "data")
        self.mail = os.path.join(root, "mail")
        self.maillog = os.path.join(root, "maillog")
        for d in (self.etc, self.spool, self.data, self.mail):
            os.makedirs(d, exist_ok=True)
        shutil.chown(self.data, "postfix")
        os.chown(self.mail, vuid, vgid)
        self.port = free_port()
        shutil.copy("/etc/postfix/postfix-files", self.etc)
        if os.path.isdir("/etc/postfix/postfix-files.d"):
            shutil.copytree("/etc/postfix/postfix-files.d",
                            os.path.join(self.etc, "postfix-files.d"))
        main = {
            "compatibility_level": "3.6", "queue_directory": self.spool,
            "data_directory": self.data, "command_directory": "/usr/sbin",
            "daemon_directory": "/usr/lib/postfix/sbin", "shlib_directory": "/usr/lib/postfix",
            "meta_directory": self.etc, "maillog_file": self.maillog,
            "maillog_file_prefixes": root, "inet_interfaces": "127.0.0.1",
            "myhostname": "mx.example.test", "mydestination": "", "mynetworks": "127.0.0.0/8",
            "recipient_delimiter": "+",
            "virtual_mailbox_domains": DOMAIN, "virtual_mailbox_base": self.mail,
            "virtual_mailbox_maps": "hash:%s/vmailbox" % self.etc,
            "virtual_uid_maps": "static:%d" % vuid, "virtual_gid_maps": "static:%d" % vgid,
        }
        main.update(extra or {})
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("".join("%s = %s\n" % kv for kv in main.items()))
        src = "/etc/postfix/master.cf"
        if not os.path.exists(src):
            src = "/usr/share/postfix/master.cf.dist"
        lines = []
        for line in open(src):
            if re.match(r"^smtp\s+inet\b", line):
                line = "127.0.0.1:%d inet n - n - - smtpd\n" % self.port
            elif re.match(r"^\S+\s+inet\b", line):
                line = "#" + line
            else:
                m = re.match(r"^(\S+\s+\S+\s+\S+\s+\S+\s+)(\S+)(.*)$", line)
                if m and not line.startswith("#") and m.group(2) in ("y", "-"):
                    line = m.group(1) + "n" + m.group(3) + "\n"
            lines.append(line)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write("".join(lines))
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            for mb in ("alice", "bob"):
                f.write("%s@%s %s/%s/\n" % (mb, DOMAIN, DOMAIN, mb))
        self.run("/usr/sbin/postmap", "hash:%s/vmailbox" % self.etc)

    def run(self, *args, check=True):
        env = dict(os.environ, MAIL_CONFIG=self.etc)
        return subprocess.run(list(args), capture_output=True, text=True, check=check, env=env,
                              timeout=60)

    def start(self):
        self.run(POSTFIX, "-c", self.etc, "start")
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                smtplib.SMTP("127.0.0.1", self.port, timeout=2).quit()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("postfix did not start")

    def stop(self):
        self.run(POSTFIX, "-c", self.etc, "stop", check=False)


@need_postfix
def test_postern_delivers_what_a_stopped_postfix_left_queued(make_instance):
    root = tempfile.mkdtemp(prefix="postern-pf-", dir="/tmp")
    os.chmod(root, 0o755)
    inst = None
    try:
        probe = make_instance()  # creates users; we use its uid/gid and discard it
        pf = PostfixInstance(root, probe.vuid, probe.vgid,
                             extra={"defer_transports": "virtual"})
        pf.start()
        try:
            for n in range(5):
                with smtplib.SMTP("127.0.0.1", pf.port, timeout=30) as s:
                    s.sendmail("old@example.org", ["%s@%s" % (["alice", "bob"][n % 2], DOMAIN)],
                               "Subject: left by postfix %d\r\n\r\npostfix body %d\r\n" % (n, n))
            deadline = time.time() + 30
            while time.time() < deadline:
                log = open(pf.maillog).read() if os.path.exists(pf.maillog) else ""
                if len(re.findall(r"status=deferred", log)) >= 5:
                    break
                time.sleep(0.2)
        finally:
            pf.stop()
        time.sleep(1)
        inst = make_instance(extra_main={"queue_directory": pf.spool})
        inst.start()
        inst.cmd("postqueue", "-f")
        assert inst.wait_delivered(5, timeout=60) == 5, inst.log()[-3000:]
        bodies = sorted(body_of(read_message(p)).decode() for p in inst.all_delivered())
        assert bodies == sorted("postfix body %d\n" % n for n in range(5))
    finally:
        if inst:
            inst.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.skipif(not shutil.which("pflogsumm"), reason="pflogsumm not installed")
def test_pflogsumm_reads_postern_log(inst):
    for n in range(3):
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
            s.sendmail("sender@example.org", ["alice@example.test"], "Subject: %d\r\n\r\nx\r\n" % n)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("c.example.org")
        s.mail("sender@example.org")
        assert s.rcpt("nobody@example.test")[0] == 550
    assert inst.wait_delivered(3, timeout=30) == 3
    assert inst.wait_log(r"disconnect from .* commands=")
    time.sleep(0.5)
    r = subprocess.run(["pflogsumm", "--problems_first", inst.maillog], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout

    def total(label):
        m = re.search(r"^\s*(\d+)\s+%s(?: \(\d+%%\))?\s*$" % label, out, re.M)
        assert m, "no %r in pflogsumm output:\n%s" % (label, out)
        return int(m.group(1))

    assert total("received") == 3
    assert total("delivered") == 3
    assert total("rejected") == 1
    assert re.search(r"User unknown in virtual mailbox table", out), out
