"""pipe(8): master.cf attributes, macro expansion into single argv elements
(never a shell), the message on stdin with the flags' headers, exit status
mapping, the time limit, and the tutorials' dovecot-lda service."""
import json
import os
import re
import shutil
import smtplib
import stat

import pytest

from dovecot import Dovecot
from postern import DOMAIN, Instance

RECORDER = """#!/usr/bin/python3
import json, os, sys
data = sys.stdin.buffer.read()
d = os.environ["RECORD_DIR"] if "RECORD_DIR" in os.environ else %(dir)r
n = len(os.listdir(d))
with open(os.path.join(d, "call-%%03d.json" %% n), "w") as f:
    json.dump({"argv": sys.argv, "uid": os.getuid(), "gid": os.getgid(),
               "stdin": data.decode("latin-1")}, f)
mode = sys.argv[1]
if mode == "ok":
    sys.exit(0)
if mode == "tempfail":
    sys.exit(75)
if mode == "nouser":
    sys.exit(67)
if mode == "dsn":
    print("4.2.2 Mailbox full")
    sys.exit(1)
if mode == "die":
    print("oops")
    sys.exit(3)
if mode == "sleep":
    import time
    time.sleep(30)
"""


def make_stack(extra_main=None, services=""):
    inst = Instance(extra_main=extra_main, master_extra=services)
    rec = os.path.join(inst.root, "rec")
    os.makedirs(rec)
    os.chmod(rec, 0o777)
    script = os.path.join(inst.root, "recorder")
    with open(script, "w") as f:
        f.write(RECORDER % {"dir": rec})
    os.chmod(script, 0o755)
    return inst, rec, script


def calls(rec):
    out = []
    for name in sorted(os.listdir(rec)):
        with open(os.path.join(rec, name)) as f:
            out.append(json.load(f))
    return out


def send(port, sender, rcpts, body="hello\r\n.dot line\r\nFrom here\r\n"):
    msg = "Subject: pipe test\r\n\r\n" + body
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.sendmail(sender, rcpts, msg)


def recorder_instance(mode, flags="Rhu", limit="1", extra_main=None):
    # Build the master.cf line after we know the script path: two steps.
    inst, rec, script = make_stack(extra_main=dict({
        "virtual_transport": "rec",
        "rec_destination_recipient_limit": limit,
        "rec_time_limit": "3s"}, **(extra_main or {})))
    with open(os.path.join(inst.etc, "master.cf"), "a") as f:
        f.write("rec unix - n n - - pipe\n  flags=%s user=vmail argv=%s %s "
                "${sender} ${recipient} x${user}y ${extension} ${domain} ${mailbox} "
                "${nexthop} ${queue_id} ${size} $$ $(original_recipient)\n" % (flags, script, mode))
    inst.start()
    return inst, rec


@pytest.fixture
def cleanup_list():
    items = []
    yield items
    for inst in items:
        inst.stop()
        if os.environ.get("POSTERN_KEEP") is None:
            shutil.rmtree(inst.root, ignore_errors=True)


def test_argv_macros_and_hostile_sender(cleanup_list):
    inst, rec = recorder_instance("ok", limit="10")
    cleanup_list.append(inst)
    hostile = "<;touch /tmp/postern-pwned;>$(touch /tmp/postern-pwned2)@example.org"
    if os.path.exists("/tmp/postern-pwned"):
        os.unlink("/tmp/postern-pwned")
    # smtplib quotes nothing: give the hostile local part as a quoted string.
    send(inst.port, '";touch /tmp/postern-pwned;$(touch /tmp/postern-pwned2)"@example.org',
         ["Alice+Ext@%s" % DOMAIN, "bob@%s" % DOMAIN])
    assert inst.wait_queue_empty(30), inst.log()[-3000:]
    c = calls(rec)
    assert len(c) == 1, inst.log()[-3000:]
    av = c[0]["argv"][2:]
    assert av[0] == ";touch /tmp/postern-pwned;$(touch /tmp/postern-pwned2)@example.org"
    # per-recipient words repeat once per recipient, in order; u lower-cases.
    assert av[1:3] == ["alice+ext@example.test", "bob@example.test"]
    assert av[3:5] == ["xalicey", "xboby"]
    assert av[5:7] == ["ext", ""]
    assert av[7:9] == [DOMAIN, DOMAIN]
    assert av[9:11] == ["alice+ext", "bob"]
    assert av[11] == DOMAIN            # nexthop
    assert re.match(r"^[0-9A-F]+$", av[12])
    assert int(av[13]) > 0
    assert av[14] == "$"
    # u folds ${original_recipient} too (Postfix pipe(8)).
    assert av[15:17] == ["alice+ext@example.test", "bob@example.test"]
    assert not os.path.exists("/tmp/postern-pwned")
    assert not os.path.exists("/tmp/postern-pwned2")
    assert c[0]["uid"] == inst.vuid and c[0]["gid"] == inst.vgid
    stdin = c[0]["stdin"]
    assert stdin.startswith("Return-Path: <;touch"), stdin[:200]
    assert stdin.endswith("hello\n.dot line\nFrom here\n"), stdin
    # The log names the recipient as queued (folding is for the command only).
    assert inst.wait_log(r"to=<Alice\+Ext@example\.test>, relay=rec, .*dsn=2\.0\.0, "
                         r"status=sent \(delivered via rec service\)", 10), \
        inst.log()[-3000:]


def test_flags_dot_gt_D_O_B(cleanup_list):
    inst, rec = recorder_instance("ok", flags="DORF.>B")
    cleanup_list.append(inst)
    send(inst.port, "s@example.org", ["carol@%s" % DOMAIN])
    assert inst.wait_queue_empty(30), inst.log()[-3000:]
    stdin = calls(rec)[0]["stdin"]
    lines = stdin.split("\n")
    assert lines[0].startswith("From s@example.org  ")
    assert lines[1:4] == ["Return-Path: <s@example.org>", "X-Original-To: carol@example.test",
                          "Delivered-To: carol@example.test"], lines[:5]
    assert stdin.endswith("hello\n..dot line\n>From here\n\n"), stdin


@pytest.mark.parametrize("mode,dsn,status,text", [
    ("tempfail", r"4\.3\.0", "deferred", "temporary failure"),
    ("nouser", r"5\.1\.1", "bounced", "user unknown"),
    ("dsn", r"4\.2\.2", "deferred", "Mailbox full"),
    ("die", r"5\.3\.0", "bounced", r'Command died with status 3: ".*recorder"\. '
                                   r'Command output: oops'),
    ("sleep", r"5\.3\.0", "bounced", r'Command time limit exceeded: ".*recorder"'),
])
def test_exit_status_mapping(cleanup_list, mode, dsn, status, text):
    inst, rec = recorder_instance(mode)
    cleanup_list.append(inst)
    send(inst.port, "s@example.org", ["dave@%s" % DOMAIN])
    assert inst.wait_log(r"to=<dave@example\.test>, relay=rec, .*dsn=%s, status=%s \(%s\)"
                         % (dsn, status, text), 30), inst.log()[-3000:]


@pytest.mark.skipif(not os.path.exists("/usr/sbin/dovecot"), reason="dovecot not installed")
def test_dovecot_lda_pipe(cleanup_list):
    inst = Instance(extra_main={"virtual_transport": "dovecot",
                                "dovecot_destination_recipient_limit": "1"})
    cleanup_list.append(inst)
    dv = Dovecot(os.path.join(inst.root, "dovecot"),
                 users={"alice@%s" % DOMAIN: "pw", "bob@%s" % DOMAIN: "pw"})
    with open(os.path.join(inst.etc, "master.cf"), "a") as f:
        f.write("dovecot   unix  -       n       n       -       -       pipe\n"
                "  flags=DRhu user=vmail:vmail argv=%s\n" % dv.lda_argv())
    inst.start()
    dv.start()
    try:
        body = "line one\r\n.dot\r\nlast\r\n"
        send(inst.port, "sender@example.org", ["alice@%s" % DOMAIN, "bob@%s" % DOMAIN], body)
        assert inst.wait_queue_empty(30), inst.log()[-3000:]
        for u in ("alice", "bob"):
            msgs = dv.imap_fetch_all("%s@%s" % (u, DOMAIN), "pw")
            assert len(msgs) == 1, dv.log()[-2000:]
            assert msgs[0].endswith(body.encode()), msgs[0]
            assert b"Delivered-To: %s@%s" % (u.encode(), DOMAIN.encode()) in msgs[0]
        assert len(re.findall(r"relay=dovecot, .*status=sent \(delivered via dovecot service\)",
                              inst.log())) == 2
    finally:
        dv.stop()
