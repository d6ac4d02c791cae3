"""lmtp(8) against a real Dovecot LMTP server (RFC 2033): mail received over
SMTP by a Postern instance with virtual_transport = lmtp:unix:private/
dovecot-lmtp lands in Dovecot and reads back byte-exact over IMAP; per-
recipient replies after DATA become per-recipient bounces and deferrals."""
import os
import re
import shutil
import smtplib

import pytest

from dovecot import Dovecot
from postern import DOMAIN, Instance

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/sbin/dovecot"),
                                reason="dovecot not installed")

PW = "secret"


@pytest.fixture
def stack():
    inst = Instance(extra_main={"virtual_transport": "lmtp:unix:private/dovecot-lmtp",
                                "lmtp_destination_recipient_limit": "50"},
                    mailboxes=["alice", "bob", "carol", "dave", "erin", "frank"])
    # One lmtp process, so that connection reuse is observable.
    mc = os.path.join(inst.etc, "master.cf")
    with open(mc) as f:
        text = f.read()
    text = re.sub(r"(?m)^lmtp\s+unix\s+-\s+-\s+n\s+-\s+-\s+lmtp$",
                  "lmtp      unix  -       -       n       -       1       lmtp", text)
    with open(mc, "w") as f:
        f.write(text)
    inst.start()
    users = {"alice@%s" % DOMAIN: PW, "bob@%s" % DOMAIN: PW, "carol@%s" % DOMAIN: PW,
             # frank's mailbox cannot be created: Dovecot answers 451 4.2.0
             # to the end of DATA for him only.
             "frank@%s" % DOMAIN: {"password": PW,
                                   "extra": "userdb_mail=maildir:/proc/postern-nonexistent"}}
    dv = Dovecot(os.path.join(inst.root, "dovecot"),
                 lmtp_socket_path=os.path.join(inst.spool, "private", "dovecot-lmtp"),
                 users=users)
    dv.start()
    yield inst, dv
    dv.stop()
    inst.stop()
    if os.environ.get("POSTERN_KEEP") is None:
        shutil.rmtree(inst.root, ignore_errors=True)


def body_text(n):
    return ("Message lmtp number %d\r\n.leading dot\r\n..two dots\r\n.\r\n" % n +
            "x" * 2000 + "\r\nlast line\r\n")


def send(port, rcpts, n, sender="sender@example.org"):
    msg = ("From: <sender@example.org>\r\nTo: <%s>\r\nSubject: lmtp %d\r\n"
           "Message-ID: <lmtp.%d@example.org>\r\n\r\n" % (rcpts[0], n, n)) + body_text(n)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(sender, rcpts, msg)


def test_twenty_messages_byte_exact_over_imap(stack):
    inst, dv = stack
    for n in range(20):
        send(inst.port, ["alice@%s" % DOMAIN if n % 2 == 0 else "bob@%s" % DOMAIN], n)
    assert inst.wait_queue_empty(60), inst.log()[-3000:]
    got = {}
    for user in ("alice", "bob"):
        for raw in dv.imap_fetch_all("%s@%s" % (user, DOMAIN), PW):
            head, _, body = raw.partition(b"\r\n\r\n")
            n = int(re.search(rb"Subject: lmtp (\d+)", head).group(1))
            assert n not in got
            got[n] = user
            assert body.decode() == body_text(n), "body %d differs" % n
            assert head.startswith(b"Return-Path: <sender@example.org>"), head[:200]
            assert ("alice" if n % 2 == 0 else "bob") == user
    assert sorted(got) == list(range(20)), inst.log()[-3000:]
    log = inst.log()
    # Postfix's form for a UNIX socket: relay=$myhostname[path as given].
    lines = re.findall(r"postfix/lmtp\[\d+\]: \w+: to=<alice@example.test>, "
                       r"relay=mx\.example\.test\[private/dovecot-lmtp\], delay=[\d.]+, "
                       r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
                       r"status=sent \(250 2\.0\.0 <alice@example\.test> \S+ Saved\)", log)
    assert len(lines) == 10, log[-3000:]
    # Connection reuse: far fewer LMTP sessions than messages.
    sessions = len(re.findall(r"lmtp\(\d+\): Info: Connect from local", dv.log()))
    # (Dovecot.start()'s readiness probe closes at the greeting: not counted.)
    probes = len(re.findall(r"Disconnect from local: Connection closed \(state=GREETING\)",
                            dv.log()))
    assert sessions - probes == 1, dv.log()[-3000:]


def test_per_recipient_results(stack):
    inst, dv = stack
    rcpts = ["carol@%s" % DOMAIN, "erin@%s" % DOMAIN, "frank@%s" % DOMAIN]
    send(inst.port, rcpts, 100)
    assert inst.wait_log(r"to=<carol@example.test>.*status=sent", 30), inst.log()[-3000:]
    assert inst.wait_log(r"to=<erin@example.test>.*dsn=5\.1\.1, status=bounced "
                         r"\(host mx\.example\.test\[private/dovecot-lmtp\] said: 550 5\.1\.1 "
                         r".*\(in reply to RCPT TO command\)\)", 30), inst.log()[-3000:]
    assert inst.wait_log(r"to=<frank@example.test>.*dsn=4\.2\.0, status=deferred "
                         r"\(host mx\.example\.test\[private/dovecot-lmtp\] said: 451 4\.2\.0 "
                         r".*\(in reply to end of DATA command\)\)", 30), inst.log()[-3000:]
    msgs = dv.imap_fetch_all("carol@%s" % DOMAIN, PW)
    assert len(msgs) == 1 and msgs[0].endswith(body_text(100).encode())
    # frank stays in the queue (deferred), carol and erin are done.
    assert inst.queue_files(), "deferred message must stay queued"


def test_dovecot_down_defers_then_delivers(stack):
    inst, dv = stack
    dv.stop()
    send(inst.port, ["alice@%s" % DOMAIN], 200)
    assert inst.wait_log(r"to=<alice@example.test>.*dsn=4\.4\.[12], status=deferred "
                         r"\((connect to|lost connection with) "
                         r"mx\.example\.test\[private/dovecot-lmtp\]", 30), \
        inst.log()[-3000:]
    assert inst.queue_files()
    dv.start()
    inst.cmd("postqueue", "-c", inst.etc, "-f")
    assert inst.wait_queue_empty(60), inst.log()[-3000:]
    assert len(dv.imap_fetch_all("alice@%s" % DOMAIN, PW)) == 1
