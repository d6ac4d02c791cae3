"""Postern with Debian's stock master.cf, chroot column and all.

The instance's master.cf is Debian's file (/etc/postfix/master.cf, else
/usr/share/postfix/master.cf.dist) unchanged except that the "smtp inet"
line listens on 127.0.0.1:PORT instead of port 25 (its chroot column is kept
as Debian has it). A second variant also sets the chroot column to "y" for
smtpd, cleanup, qmgr, pickup and bounce where the stock file says "-" or
"n" (Debian ships qmgr with "n"). In both, the master must start, warn once
per service Postern does not implement, deliver a message sent with smtplib
to a virtual Maildir, and every daemon's lines must reach maillog_file
(chrooted daemons log through the postlog socket: reference 10, msg.c).
"""
import os
import re
import smtplib

import pytest

from postern import DOMAIN, LIBEXEC, body_of, read_message

STOCK = next((p for p in ("/etc/postfix/master.cf", "/usr/share/postfix/master.cf.dist")
              if os.path.exists(p)), None)

CHROOT_Y = ("smtpd", "cleanup", "qmgr", "pickup", "bounce")


def stock_text():
    with open(STOCK) as f:
        return f.read()


def entries(text):
    """(service, type, command) of each master.cf entry (continuations skipped)."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line[0].isspace():
            continue
        f = line.split()
        if len(f) >= 8:
            out.append((f[0], f[1], f[7]))
    return out


def move_smtp(text, port):
    """The stock text with the "smtp inet" line moved to 127.0.0.1:port; the
    other fields (chroot column included) are kept."""
    out = []
    moved = 0
    for line in text.splitlines(True):
        f = line.split()
        if len(f) >= 8 and f[0] == "smtp" and f[1] == "inet" and not line[0].isspace():
            line = line.replace("smtp", "127.0.0.1:%d" % port, 1)
            moved += 1
        out.append(line)
    assert moved == 1, "no smtp inet line in %s" % STOCK
    return "".join(out)


def force_chroot(text):
    """Set the chroot column (5th field) to y for the CHROOT_Y commands."""
    out = []
    for line in text.splitlines(True):
        f = line.split()
        if (len(f) >= 8 and not line[0].isspace() and not line.startswith("#")
                and f[7] in CHROOT_Y and f[4] in ("-", "n")):
            f[4] = "y"
            line = " ".join(f) + "\n"
        out.append(line)
    return "".join(out)


def send(port, rcpt, tag):
    msg = ("From: <sender@example.org>\r\nTo: <%s>\r\nSubject: %s\r\n"
           "Message-ID: <%s@example.org>\r\n\r\nbody of %s\r\n" % (rcpt, tag, tag, tag))
    with smtplib.SMTP("127.0.0.1", port, local_hostname="client.example.org", timeout=30) as s:
        s.sendmail("sender@example.org", [rcpt], msg)


def run_stock(make_instance, transform):
    inst = make_instance(master_cf=lambda port: transform(move_smtp(stock_text(), port)))
    with open(os.path.join(inst.etc, "master.cf")) as f:
        written = f.read()
    inst.start()

    # One warning per unimplemented service (and none for implemented ones).
    missing = [(svc, typ, cmd) for svc, typ, cmd in entries(written)
               if not os.access(os.path.join(LIBEXEC, cmd), os.X_OK)]
    assert missing, "the stock master.cf names services Postern lacks"
    for svc, _, cmd in missing:
        pat = (r"postfix/master\[\d+\]: warning: service %s \(command %s\): not implemented "
               r"by Postern; not started$" % (re.escape(svc), re.escape(cmd)))
        assert inst.wait_log(pat, timeout=10), "no warning for %s:\n%s" % (svc, inst.log())
        assert len(re.findall(pat, inst.log(), re.M)) == 1, inst.log()
    assert "service 127.0.0.1:%d" % inst.port not in inst.log()

    send(inst.port, "alice@%s" % DOMAIN, "stock")
    assert inst.wait_delivered(1, timeout=30) == 1, inst.log()[-3000:]
    raw = read_message(inst.maildir_files("alice")[0])
    assert body_of(raw) == b"body of stock\n"

    # Every daemon's lines are in maillog_file, with the short myhostname.
    for pat in (r" mx postfix/smtpd\[\d+\]: connect from ",
                r" mx postfix/smtpd\[\d+\]: [0-9A-F]+: client=",
                r" mx postfix/cleanup\[\d+\]: [0-9A-F]+: message-id=<stock@example\.org>",
                r" mx postfix/qmgr\[\d+\]: [0-9A-F]+: from=<sender@example\.org>",
                r" mx postfix/virtual\[\d+\]: [0-9A-F]+: to=<alice@example\.test>.*"
                r"status=sent",
                r" mx postfix/smtpd\[\d+\]: disconnect from "):
        assert inst.wait_log(pat, timeout=15), "missing %r in:\n%s" % (pat, inst.log())
    return inst, written


@pytest.mark.skipif(STOCK is None, reason="no Debian master.cf on this machine")
def test_stock_master_cf_unchanged(make_instance):
    inst, written = run_stock(make_instance, lambda text: text)
    # Only the smtp line differs from the stock file.
    stock = stock_text().splitlines()
    ours = written.splitlines()
    assert len(stock) == len(ours)
    diff = [(a, b) for a, b in zip(stock, ours) if a != b]
    assert len(diff) == 1 and diff[0][0].startswith("smtp "), diff


@pytest.mark.skipif(STOCK is None, reason="no Debian master.cf on this machine")
def test_stock_master_cf_all_chrooted(make_instance):
    stock = stock_text()
    if not any(cmd in CHROOT_Y and f_chroot in ("-", "n")
               for cmd, f_chroot in ((line.split()[7], line.split()[4])
                                     for line in stock.splitlines()
                                     if len(line.split()) >= 8 and not line[0].isspace()
                                     and not line.startswith("#"))):
        pytest.skip("the stock master.cf already chroots %s" % ", ".join(CHROOT_Y))
    inst, written = run_stock(make_instance, force_chroot)
    chrooted = {f[7] for f in (line.split() for line in written.splitlines()
                               if line and not line[0].isspace() and not line.startswith("#"))
                if len(f) >= 8 and f[4] == "y"}
    assert set(CHROOT_Y) <= chrooted
