"""The user commands against a running instance: sendmail, mailq/postqueue,
postsuper, postfix reload/status, and a table rebuilt with postmap."""
import json
import os
import re
import smtplib
import time

from postern import body_of, read_message


def test_sendmail_t_adds_header_recipients(inst):
    msg = (b"From: Local User <me@example.test>\nTo: Alice <alice@example.test>\n"
           b"Cc: bob@example.test\nBcc: carol@example.test\nSubject: via sendmail\n\n"
           b"line one\n.\nnot reached\n")
    # Without -i a lone "." ends the input.
    r = inst.cmd("sendmail", "-t", "-f", "me@example.test", "dave@example.test", input=msg)
    assert r.returncode == 0, r.stderr
    assert inst.wait_delivered(4, timeout=30) == 4, inst.log()[-2000:]
    for mb in ("alice", "bob", "carol", "dave"):
        files = inst.maildir_files(mb)
        assert len(files) == 1, mb
        raw = read_message(files[0])
        assert body_of(raw) == b"line one\n"
    m = inst.wait_log(r"postfix/pickup\[\d+\]: ([0-9A-F]+): uid=\d+ from=<me@example\.test>")
    assert m, inst.log()


def test_sendmail_i_keeps_dot_lines_and_adds_missing_headers(inst):
    r = inst.cmd("sendmail", "-i", "-f", "me@example.test", "-F", "Me Myself",
                 "alice@example.test", input=b"Subject: dots\n\n.\n..x\nend\n")
    assert r.returncode == 0, r.stderr
    assert inst.wait_delivered(1, timeout=30) == 1, inst.log()[-2000:]
    raw = read_message(inst.maildir_files("alice")[0])
    head, body = raw.split(b"\n\n", 1)
    assert body == b".\n..x\nend\n"
    # Local submission: cleanup adds Message-Id, Date and From (trap 16).
    assert re.search(rb"^Message-Id: <\d{14}\.[0-9A-F]+@mx\.example\.test>$", head, re.M), head
    assert re.search(rb"^Date: ", head, re.M)
    assert re.search(rb"^From: Me Myself <me@example\.test>$", head, re.M), head
    assert re.search(rb"^Received: by mx\.example\.test \(Postfix, from userid 0\)$", head, re.M)


def test_sendmail_without_recipients_fails_64(inst):
    r = inst.cmd("sendmail", "-t", input=b"Subject: none\n\nbody\n", check=False)
    assert r.returncode == 64
    assert b"No recipient addresses found in message header" in r.stderr


def defer_one(inst, rcpt="someone@elsewhere.example"):
    # The "smtp" transport is not provided by Postern yet: such mail is
    # deferred ("mail transport unavailable") and stays in the queue.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("sender@example.org", [rcpt], "Subject: stays\r\n\r\nqueued\r\n")
    m = inst.wait_log(r"to=<%s>, relay=\S+, delay=\S+, delays=\S+, dsn=4\.\d\.\d, "
                      r"status=deferred" % re.escape(rcpt), timeout=30)
    assert m, inst.log()[-3000:]
    deadline = time.time() + 20
    while time.time() < deadline:
        files = [f for f in inst.queue_files() if "/deferred/" in f]
        if files:
            return os.path.basename(files[0])
        time.sleep(0.1)
    raise AssertionError("no deferred file:\n" + inst.log()[-3000:])


def test_mailq_and_postqueue_json(inst):
    r = inst.cmd("mailq")
    assert r.stdout == b"Mail queue is empty\n", r.stdout
    qid = defer_one(inst)
    out = inst.cmd("mailq").stdout.decode()
    lines = out.split("\n")
    assert lines[0] == "-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------"
    m = re.match(r"^(%s)\s+(\d+) (\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d)  sender@example\.org$"
                 % qid, lines[1])
    assert m, out
    # "%-11s %7ld %20.20s %s" with the ID and its status character (" " when
    # neither active, held nor expired): the sender starts at offset 42.
    assert lines[1].index("sender@") == 42, repr(lines[1])
    assert lines[2].endswith(")") and len(lines[2]) == 78, repr(lines[2])
    assert lines[3] == " " * 41 + "someone@elsewhere.example"
    assert re.search(r"^-- \d+ Kbytes in 1 Request\.$", out, re.M), out
    js = [json.loads(line) for line in inst.cmd("postqueue", "-j").stdout.decode().splitlines()]
    assert len(js) == 1
    j = js[0]
    assert j["queue_name"] == "deferred" and j["queue_id"] == qid
    assert j["sender"] == "sender@example.org"
    assert j["recipients"][0]["address"] == "someone@elsewhere.example"
    assert "delay_reason" in j["recipients"][0]
    raw = inst.cmd("postqueue", "-j").stdout.decode().splitlines()[0]
    assert raw.startswith('{"queue_name": "deferred", "queue_id": "%s", "arrival_time": ' % qid)


def test_postsuper_hold_release_delete(inst):
    qid = defer_one(inst)
    r = inst.cmd("postsuper", "-h", qid)
    assert b"postsuper: %s: placed on hold" % qid.encode() in r.stderr or \
        b"Placed on hold: 1 message" in r.stderr, r.stderr
    assert re.search(r"^%s!" % qid, inst.cmd("mailq").stdout.decode(), re.M)
    inst.cmd("postsuper", "-H", qid)
    assert re.search(r"^%s\s" % qid, inst.cmd("mailq").stdout.decode(), re.M)
    r = inst.cmd("postsuper", "-d", "ALL")
    assert b"Deleted: 1 message" in r.stderr, r.stderr
    assert inst.cmd("mailq").stdout == b"Mail queue is empty\n"


def test_postfix_status_and_reload_keep_mail_flowing(inst):
    r = inst.postfix("status")
    assert r.returncode == 0
    assert re.search(rb"the Postfix mail system is running: PID: \d+", r.stderr + r.stdout)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("a@example.org")
        s.rcpt("alice@example.test")
        inst.postfix("reload")
        time.sleep(0.5)
        # The session opened before the reload still completes.
        code, _ = s.data("Subject: across reload\r\n\r\nstill here\r\n")
        assert code == 250
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["bob@example.test"], "Subject: after\r\n\r\nafter\r\n")
    assert inst.wait_delivered(2, timeout=30) == 2
    assert inst.wait_log(r"postfix/master\[\d+\]: reload -- version \S+, configuration ")


def test_postmap_rebuild_takes_effect_without_reload(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("a@example.org")
        assert s.rcpt("erin@example.test")[0] == 550
    with open(os.path.join(inst.etc, "vmailbox"), "a") as f:
        f.write("erin@example.test example.test/erin/\n")
    time.sleep(1.1)  # a new mtime second
    inst.postmap("vmailbox")
    inst.mailboxes.append("erin")
    ok = False
    for _ in range(50):
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
            s.ehlo("client.example.org")
            s.mail("a@example.org")
            if s.rcpt("erin@example.test")[0] == 250:
                s.data("Subject: new user\r\n\r\nwelcome\r\n")
                ok = True
                break
        time.sleep(0.2)
    assert ok, inst.log()[-2000:]
    assert inst.wait_delivered(1, timeout=30) == 1
    assert len(inst.maildir_files("erin")) == 1


def test_only_master_runs_as_root(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["alice@example.test"], "Subject: x\r\n\r\nx\r\n")
    assert inst.wait_delivered(1, timeout=30) == 1
    master = inst.master_pid()
    seen = {}
    for pid in inst.pids():
        try:
            with open("/proc/%d/status" % pid) as f:
                status = f.read()
            with open("/proc/%d/comm" % pid) as f:
                comm = f.read().strip()
        except OSError:
            continue
        uids = [int(x) for x in re.search(r"^Uid:\s+(.*)$", status, re.M).group(1).split()]
        seen[comm] = uids
        if pid == master:
            assert uids[1] == 0
            continue
        # ps shows the effective uid: nothing but the master is root there.
        assert uids[1] != 0, "%s (pid %d) runs as root: %s" % (comm, pid, uids)
        if comm in ("smtpd", "cleanup", "qmgr", "pickup", "showq", "bounce", "postlogd"):
            assert 0 not in uids, "%s keeps root privileges: %s" % (comm, uids)
    assert "smtpd" in seen and "qmgr" in seen, seen
