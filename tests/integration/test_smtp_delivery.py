"""End to end: real SMTP clients hand mail to a Postern instance, and it lands
byte-exact, exactly once, in the right virtual Maildir."""
import concurrent.futures
import os
import shutil
import smtplib
import subprocess

import pytest

from postern import DOMAIN, body_of, read_message


def unique_body(tag, n):
    # Lines with leading dots, a long line and 8-bit-free text, CRLF-normalised
    # by smtplib. Ends with a newline, as delivered.
    lines = ["Message %s number %d" % (tag, n), ".leading dot line", "..two dots",
             "x" * 3000, "From the start of a line", "last line"]
    return "\n".join(lines) + "\n"


def send_one(port, rcpt, tag, n, helo="client.example.org"):
    body = unique_body(tag, n)
    msg = ("From: Sender <sender@example.org>\r\nTo: <%s>\r\nSubject: %s %d\r\n"
           "Message-ID: <%s.%d@example.org>\r\nDate: Sat, 21 Nov 2026 13:08:16 +0000\r\n\r\n"
           % (rcpt, tag, n, tag, n)) + body.replace("\n", "\r\n")
    with smtplib.SMTP("127.0.0.1", port, local_hostname=helo, timeout=30) as s:
        s.sendmail("sender@example.org", [rcpt], msg)
    return body


def test_500_messages_8_connections_byte_exact(inst):
    boxes = ["alice", "bob", "carol", "dave"]
    jobs = [(("%s@%s" % (boxes[n % 4], DOMAIN)), n) for n in range(500)]
    expected = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        futs = {ex.submit(send_one, inst.port, rcpt, "bulk", n): (rcpt, n) for rcpt, n in jobs}
        for f in concurrent.futures.as_completed(futs):
            rcpt, n = futs[f]
            expected[n] = (rcpt, f.result())
    assert inst.wait_delivered(500, timeout=120) == 500, inst.log()[-3000:]
    seen = {}
    for mb in boxes:
        for path in inst.maildir_files(mb):
            raw = read_message(path)
            body = body_of(raw).decode()
            n = int(body.split("\n", 1)[0].split()[-1])
            assert n not in seen, "message %d delivered twice" % n
            seen[n] = mb
            rcpt, want = expected[n]
            assert rcpt.startswith(mb + "@"), "message %d in wrong mailbox %s" % (n, mb)
            assert body == want, "body of %d differs" % n
            # virtual(8)'s prepended headers, in Postfix's order (reference 8.1).
            assert raw.startswith(b"Return-Path: <sender@example.org>\nX-Original-To: " +
                                  rcpt.encode() + b"\nDelivered-To: " + rcpt.encode() +
                                  b"\n"), raw[:200]
    assert sorted(seen) == list(range(500))


@pytest.mark.skipif(not shutil.which("swaks"), reason="swaks not installed")
def test_50_messages_with_swaks(inst):
    for n in range(50):
        body = "swaks body %d\n.dot\nend" % n
        r = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(inst.port),
                            "--from", "s@example.org", "--to", "bob@" + DOMAIN,
                            "--helo", "swaks.example.org", "--body", body,
                            "--header", "Subject: swaks %d" % n],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "250 2.0.0 Ok: queued as" in r.stdout
    assert inst.wait_delivered(50, timeout=60) == 50
    bodies = sorted(body_of(read_message(p)).decode() for p in inst.maildir_files("bob"))
    # swaks ends its DATA with "\r\n\r\n\r\n.\r\n" (captured on the wire): two empty
    # lines after the body's last line belong to the message.
    want = sorted("swaks body %d\n.dot\nend\n\n\n" % n for n in range(50))
    assert bodies == want


def test_alias_and_catchall(inst):
    send_one(inst.port, "sales@example.test", "alias", 1)
    send_one(inst.port, "whoever@catchall.test", "catch", 2)
    assert inst.wait_delivered(3, timeout=30) == 3, inst.log()[-3000:]
    assert len(inst.maildir_files("alice")) == 1
    assert len(inst.maildir_files("bob")) == 1
    carol = inst.maildir_files("carol")
    assert len(carol) == 1
    raw = read_message(carol[0])
    assert b"Delivered-To: carol@example.test\n" in raw
    assert b"X-Original-To: whoever@catchall.test\n" in raw


def test_recipient_delimiter_extension(inst):
    send_one(inst.port, "dave+news@example.test", "ext", 1)
    assert inst.wait_delivered(1, timeout=30) == 1
    assert len(inst.maildir_files("dave")) == 1


def test_unknown_user_550(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        code, msg = s.rcpt("nobody@example.test")
        assert code == 550
        assert msg.startswith(b"5.1.1 <nobody@example.test>: Recipient address rejected:")
    m = inst.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: 550 5\.1\.1 "
                      r"<nobody@example\.test>: Recipient address rejected: User unknown in "
                      r"virtual mailbox table; from=<sender@example\.org> "
                      r"to=<nobody@example\.test> proto=ESMTP helo=<client\.example\.org>")
    assert m, inst.log()


def test_relay_refused_outside_mynetworks(inst):
    # The instance's mynetworks is 127.0.0.1/32: a client on 127.0.0.5 is outside.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30,
                      source_address=("127.0.0.5", 0)) as s:
        s.ehlo("outside.example.org")
        s.mail("spammer@example.org")
        code, msg = s.rcpt("victim@elsewhere.example")
        assert code == 454, (code, msg)
        assert msg == b"4.7.1 <victim@elsewhere.example>: Relay access denied"
        # Our own domain is still accepted from outside.
        code, _ = s.rcpt("alice@example.test")
        assert code == 250


def test_relay_allowed_from_mynetworks_is_queued(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("inside.example.org")
        s.mail("me@example.org")
        code, _ = s.rcpt("someone@elsewhere.example")
        assert code == 250


def test_oversize_552(make_instance):
    inst = make_instance(extra_main={"message_size_limit": "20000"})
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        code, msg = s.mail("sender@example.org", ["SIZE=50000"])
        assert code == 552 and msg.startswith(b"5.3.4"), (code, msg)
        s.rset()
        s.mail("sender@example.org")
        assert s.rcpt("alice@example.test")[0] == 250
        code, msg = s.data(("Subject: big\r\n\r\n" + "y" * 100 + "\r\n") * 400)
        assert code == 552, (code, msg)
        assert msg.startswith(b"5.3.4")
        # The session is still usable and a small message goes through.
        s.rset()
        s.sendmail("sender@example.org", ["alice@example.test"], "Subject: small\r\n\r\nok\r\n")
    assert inst.wait_delivered(1, timeout=30) == 1
    assert body_of(read_message(inst.maildir_files("alice")[0])) == b"ok\n"


def test_bare_lf_smuggling_yields_one_message(inst):
    import socket
    s = socket.create_connection(("127.0.0.1", inst.port), timeout=10)
    f = s.makefile("rb")

    def reply():
        lines = []
        while True:
            line = f.readline()
            lines.append(line)
            if line[3:4] != b"-":
                return b"".join(lines)

    assert reply().startswith(b"220")
    s.sendall(b"EHLO client.example.org\r\n")
    assert reply().startswith(b"250")
    s.sendall(b"MAIL FROM:<a@example.org>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n")
    assert reply().startswith(b"250")
    assert reply().startswith(b"250")
    assert reply().startswith(b"354")
    smuggled = (b"Subject: first\r\n\r\nhello\n.\nMAIL FROM:<evil@example.org>\r\n"
                b"RCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n"
                b"\r\n.\r\n")
    s.sendall(smuggled)
    r = reply()
    assert r.startswith(b"250 2.0.0 Ok: queued as"), r
    s.sendall(b"QUIT\r\n")
    reply()
    s.close()
    assert inst.wait_delivered(1, timeout=30) == 1
    assert inst.maildir_files("bob") == []
    assert len(inst.maildir_files("alice")) == 1
    body = body_of(read_message(inst.maildir_files("alice")[0]))
    assert b"smuggled" in body  # it stayed content of the first message


def test_received_header_and_log_lines(inst):
    import re
    send_one(inst.port, "alice@example.test", "log", 1)
    assert inst.wait_delivered(1, timeout=30) == 1
    raw = read_message(inst.maildir_files("alice")[0]).decode()
    assert re.search(r"^Received: from client\.example\.org \(\S+ \[127\.0\.0\.1\]\)\n"
                     r"\tby mx\.example\.test \(Postfix\) with ESMTP id [0-9A-F]{6,}\n"
                     r"\tfor <alice@example\.test>; \w{3}, \d{1,2} \w{3} \d{4} "
                     r"\d\d:\d\d:\d\d [+-]\d{4} \(\w+\)$", raw, re.M), raw[:600]
    log = inst.log()
    assert inst.wait_log(r"postfix/qmgr\[\d+\]: [0-9A-F]+: removed")
    log = inst.log()
    qid = re.search(r"postfix/smtpd\[\d+\]: ([0-9A-F]+): client=\S+\[127\.0\.0\.1\]", log).group(1)
    assert re.search(r"postfix/cleanup\[\d+\]: %s: message-id=<log\.1@example\.org>" % qid, log)
    assert re.search(r"postfix/qmgr\[\d+\]: %s: from=<sender@example\.org>, size=\d+, "
                     r"nrcpt=1 \(queue active\)" % qid, log)
    assert re.search(r"postfix/virtual\[\d+\]: %s: to=<alice@example\.test>, relay=virtual, "
                     r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
                     r"status=sent \(delivered to maildir\)" % qid, log)
    assert re.search(r"postfix/smtpd\[\d+\]: connect from \S+\[127\.0\.0\.1\]", log)
    assert re.search(r"postfix/smtpd\[\d+\]: disconnect from \S+\[127\.0\.0\.1\] ehlo=1 "
                     r"mail=1 rcpt=1 data=1 quit=1 commands=5", log)
    # Every line has the maillog_file syslog-like prefix.
    for line in log.splitlines():
        assert re.match(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ postfix/[\w/-]+\[\d+\]: ", line), line
