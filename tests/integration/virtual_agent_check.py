#!/usr/bin/env python3
"""test_virtual - drive the virtual(8) agent by hand, as qmgr would.

Usage (as root): python3 tests/integration/virtual_agent_check.py [BUILD_DIR]
(run by test_virtual_agent.py in make check)

Builds a scratch instance (main.cf, queue file in active/, hash table made
with our postmap), starts BUILD_DIR/libexec/virtual -S with one end of a
socketpair on fd 0, speaks the delivery request protocol (attr0), and
checks the replies, the Maildir and mbox files, and the log lines.
Exit status 0 when every check passes.
"""
import os
import pwd
import socket
import subprocess
import sys
import tempfile
import shutil
import glob

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
AGENT = os.path.join(ROOT, BUILD, "libexec", "virtual")
POSTMAP = os.path.join(ROOT, BUILD, "bin", "postmap")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def rec(rtype, data):
    if isinstance(data, str):
        data = data.encode()
    n = len(data)
    out = bytearray(rtype.encode())
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            break
    return bytes(out) + data


def queue_file(sender, rcpts, lines):
    """Returns (bytes, data_offset, [rcpt offsets])."""
    out = bytearray()
    out += rec("C", "%15d %15d %15d %15d %15d %15d" % (0, 0, len(rcpts), 0, 0, 0))
    out += rec("T", "1700000000 0")
    out += rec("S", sender)
    offs = []
    for r in rcpts:
        offs.append(len(out))
        out += rec("R", r)
    out += rec("M", "")
    data_offset = len(out)
    for line in lines:
        out += rec("N", line)
    out += rec("X", "")
    out += rec("E", "")
    return bytes(out), data_offset, offs


def attrs(pairs):
    out = bytearray()
    for k, v in pairs:
        out += k.encode() + b"\0" + str(v).encode() + b"\0"
    return bytes(out) + b"\0"


def read_list(sock, buf):
    """Read one attr0 list; returns (dict, rest)."""
    while True:
        fields = buf.split(b"\0")
        # a list ends with an empty name at an even position
        pos = 0
        items = {}
        i = 0
        ok = False
        while i < len(fields) - 1:
            if fields[i] == b"":
                ok = True
                pos += 1
                break
            if i + 1 >= len(fields) - 1:
                break
            items[fields[i].decode()] = fields[i + 1].decode()
            pos += len(fields[i]) + len(fields[i + 1]) + 2
            i += 2
        if ok:
            return items, buf[pos:]
        data = sock.recv(65536)
        if not data:
            raise EOFError("agent closed the connection")
        buf += data


def deliver(base, qid, sender, rcpts, lines, orig=None):
    data, off, roffs = queue_file(sender, rcpts, lines)
    qpath = os.path.join(base, "spool", "active", qid)
    with open(qpath, "wb") as f:
        f.write(data)
    os.chmod(qpath, 0o700)
    a, b = socket.socketpair()
    env = dict(os.environ, MAIL_CONFIG=os.path.join(base, "etc"))
    # The queue belongs to mail_owner, as in a real instance: the agent reads
    # and marks queue files as mail_owner between deliveries.
    subprocess.run(["chown", "-R", "postfix", os.path.join(base, "spool")], check=True)
    # Without postlogd the agent appends to maillog_file itself, as mail_owner.
    open(os.path.join(base, "maillog"), "a").close()
    subprocess.run(["chown", "postfix", os.path.join(base, "maillog")], check=True)
    proc = subprocess.Popen([AGENT, "-S", "-n", "virtual", "-t", "unix"], stdin=b, env=env,
                            stderr=subprocess.PIPE)
    b.close()
    buf = b""
    greet, buf = read_list(a, buf)
    check(greet.get("protocol") == "delivery_request_protocol", qid + ": greeting")
    req = [("flags", 0), ("queue_name", "active"), ("queue_id", qid), ("offset", off),
           ("size", 100), ("nexthop", "example.test"), ("encoding", "7bit"),
           ("sender", sender), ("arrival_sec", 1700000000), ("arrival_usec", 0),
           ("active_sec", 1700000000), ("active_usec", 0), ("log_client_name", "localhost"),
           ("log_client_address", "127.0.0.1"), ("log_client_port", "25"),
           ("log_protocol_name", "SMTP"), ("log_helo_name", "x"), ("rewrite_context", "local"),
           ("recipient_count", len(rcpts))]
    msg = attrs(req)
    for r, o in zip(rcpts, roffs):
        msg += attrs([("original_recipient", orig or r), ("recipient", r), ("offset", o),
                      ("dsn_orig_rcpt", ""), ("notify_flags", 0)])
    a.sendall(msg)
    results = []
    for _ in rcpts:
        item, buf = read_list(a, buf)
        results.append(item)
    final, buf = read_list(a, buf)
    a.close()
    proc.wait(timeout=20)
    err = proc.stderr.read().decode()
    if err:
        print(err, end="")
    return results, final, qpath, roffs


def main():
    if os.geteuid() != 0:
        print("skipped: must run as root")
        return 0
    base = tempfile.mkdtemp(prefix="test_virtual.")
    os.chmod(base, 0o755)
    try:
        for d in ["etc", "spool/active", "spool/defer", "spool/bounce", "spool/public",
                  "spool/private", "mail"]:
            os.makedirs(os.path.join(base, d))
        os.chmod(os.path.join(base, "mail"), 0o1777)
        nobody = pwd.getpwnam("nobody")
        with open(os.path.join(base, "etc", "main.cf"), "w") as f:
            f.write("queue_directory = %s/spool\n" % base)
            f.write("maillog_file = %s/maillog\n" % base)
            f.write("virtual_mailbox_base = %s/mail\n" % base)
            f.write("virtual_mailbox_maps = hash:%s/etc/vmailbox\n" % base)
            f.write("virtual_uid_maps = static:nobody\n")
            f.write("virtual_gid_maps = static:%d\n" % nobody.pw_gid)
            f.write("recipient_delimiter = +\n")
            f.write("virtual_mailbox_limit = 2000\n")
        with open(os.path.join(base, "etc", "vmailbox"), "w") as f:
            f.write("alice@example.test example.test/alice/\n")
            f.write("bob@example.test example.test/bob\n")
            f.write("carol@example.test example.test/carol\n")
        subprocess.run([POSTMAP, "-c", os.path.join(base, "etc"),
                        os.path.join(base, "etc", "vmailbox")], check=True)
        os.makedirs(os.path.join(base, "mail", "example.test"))
        os.chmod(os.path.join(base, "mail", "example.test"), 0o1777)

        lines = ["Subject: test", "From: sender@example.org", "", "hello", "From the start",
                 "bye"]
        res, final, qpath, roffs = deliver(base, "A1B2C3D4E5", "sender@example.org",
                                           ["alice+tag@example.test", "bob@example.test",
                                            "ghost@example.test"], lines)
        check(res[0].get("status") == "0" and res[0].get("dsn") == "2.0.0", "alice sent")
        check(res[1].get("status") == "0" and res[1].get("dsn") == "2.0.0", "bob sent")
        check(res[2].get("status") == "0" and res[2].get("dsn") == "5.1.1", "ghost bounced")
        check(res[2].get("reason") == 'unknown user: "ghost@example.test"', "ghost reason")
        check(final.get("status") == "0", "final status 0")
        new = glob.glob(os.path.join(base, "mail/example.test/alice/new/*"))
        check(len(new) == 1, "one maildir file in new/")
        check(os.listdir(os.path.join(base, "mail/example.test/alice/tmp")) == [], "tmp/ empty")
        check(os.path.isdir(os.path.join(base, "mail/example.test/alice/cur")), "cur/ made")
        if new:
            st = os.stat(new[0])
            check(st.st_uid == nobody.pw_uid and (st.st_mode & 0o777) == 0o600,
                  "maildir file owned by nobody, 0600")
            name = os.path.basename(new[0])
            check(".V%xI%xM" % (st.st_dev, st.st_ino) in name, "maildir name V<dev>I<ino>M")
            text = open(new[0]).read()
            want = ("Return-Path: <sender@example.org>\n"
                    "X-Original-To: alice+tag@example.test\n"
                    "Delivered-To: alice+tag@example.test\n"
                    "Subject: test\nFrom: sender@example.org\n\nhello\nFrom the start\nbye\n")
            check(text == want, "maildir content")
        mbox = os.path.join(base, "mail/example.test/bob")
        text = open(mbox).read()
        check(text.startswith("From sender@example.org  "), "mbox From_ line")
        check("\n>From the start\n" in text, ">From quoting")
        check(text.endswith("bye\n\n"), "blank line at the end")
        check(not os.path.exists(mbox + ".lock"), "dotlock removed")
        with open(qpath, "rb") as f:
            q = f.read()
        check(all(q[o:o + 1] == b"D" for o in roffs[:3]), "R records marked D")
        log = open(os.path.join(base, "maillog")).read()
        check("to=<alice+tag@example.test>, relay=virtual, delay=" in log
              and "dsn=2.0.0, status=sent (delivered to maildir)" in log, "log maildir")
        check("status=sent (delivered to mailbox)" in log, "log mailbox")
        check('dsn=5.1.1, status=bounced (unknown user: "ghost@example.test")' in log,
              "log bounce")

        # Loop detection.
        res, final, qpath, roffs = deliver(base, "B1B2C3D4E5", "", ["alice@example.test"],
                                           ["Delivered-To: ALICE@example.test", "", "x"])
        check(res[0].get("dsn") == "5.4.6"
              and res[0].get("reason") == "mail forwarding loop for alice@example.test",
              "loop detected")
        # mbox size limit (2000 bytes) bounces and leaves the file alone.
        big = ["x" * 100] * 30
        res, final, qpath, roffs = deliver(base, "C1B2C3D4E5", "", ["carol@example.test"], big)
        check(res[0].get("dsn") == "5.2.2", "mailbox limit bounce")
        carol = os.path.join(base, "mail/example.test/carol")
        check(not os.path.exists(carol) or os.path.getsize(carol) == 0, "mbox not grown")
        # Table error defers 4.3.5.
        with open(os.path.join(base, "etc", "main.cf"), "a") as f:
            f.write("virtual_mailbox_maps = fail:test\n")
        res, final, qpath, roffs = deliver(base, "D1B2C3D4E5", "", ["alice@example.test"],
                                           ["x"])
        check(res[0].get("status") == "1" and res[0].get("dsn") == "4.3.5", "table error defers")
        check(final.get("status") == "1", "final status 1 after a deferral")
    finally:
        if not os.environ.get("KEEP"): shutil.rmtree(base)
        else: print(base)
    print("%d failure(s)" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
