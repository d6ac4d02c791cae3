"""Queue robustness and supervision: corrupt queue files go to corrupt/, a
crashed daemon is restarted and logged, cleanup adds headers only for local
clients (reference trap 16)."""
import os
import re
import signal
import smtplib
import time

from postern import body_of, read_message


def test_corrupt_queue_file_is_moved_to_corrupt(inst):
    # A committed (mode 0700) file that is truncated garbage must not be
    # delivered half, nor crash qmgr: it goes to corrupt/ with a warning.
    qid = "ABCDEF12345"
    path = os.path.join(inst.spool, "incoming", qid)
    with open(path, "wb") as f:
        f.write(b"C\x5f" + b" " * 20)  # SIZE record cut short
    os.chown(path, *[os.stat(os.path.join(inst.spool, "incoming"))[i] for i in (4, 5)])
    os.chmod(path, 0o700)
    inst.cmd("postqueue", "-f")
    m = inst.wait_log(r'warning: saving corrupt file "%s" from queue "\w+" to queue "corrupt"'
                      % qid)
    assert m, inst.log()[-2000:]
    assert os.path.exists(os.path.join(inst.spool, "corrupt", qid))
    # The system still delivers.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["alice@example.test"], "Subject: after\r\n\r\nfine\r\n")
    assert inst.wait_delivered(1, timeout=30) == 1


def test_crashed_daemon_is_logged_and_restarted(inst):
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        pids = [p for p in inst.pids()
                if open("/proc/%d/comm" % p).read().strip() == "smtpd"]
        assert pids
        os.kill(pids[0], signal.SIGKILL)
    m = inst.wait_log(r"postfix/master\[\d+\]: warning: process \S+/smtpd pid %d killed by "
                      r"signal 9" % pids[0])
    assert m, inst.log()[-2000:]
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["bob@example.test"], "Subject: again\r\n\r\nagain\r\n")
    assert inst.wait_delivered(1, timeout=30) == 1


def test_missing_headers_added_for_local_clients_only(make_instance):
    inst = make_instance(mynetworks="127.0.0.0/8")
    inst.start()
    bare = "Subject: no headers\r\n\r\nbody\r\n"
    # 127.0.0.1 is one of our inet_interfaces: local rewrite context.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["alice@example.test"], bare)
    # 127.0.0.5 is not: remote context, the message is left alone.
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30, source_address=("127.0.0.5", 0)) as s:
        s.sendmail("a@example.org", ["bob@example.test"], bare)
    assert inst.wait_delivered(2, timeout=30) == 2
    local = read_message(inst.maildir_files("alice")[0]).split(b"\n\n")[0]
    remote = read_message(inst.maildir_files("bob")[0]).split(b"\n\n")[0]
    for hdr in (rb"^Message-Id: <\d{14}\.[0-9A-F]+@mx\.example\.test>$", rb"^Date: ",
                rb"^From: a@example\.org$"):
        assert re.search(hdr, local, re.M), local
        assert not re.search(hdr, remote, re.M | re.I), remote
    assert body_of(read_message(inst.maildir_files("bob")[0])) == b"body\n"


def test_deferred_mail_survives_restart_and_is_retried(make_instance):
    # Mail for a transport that is not running is deferred, stays queued
    # across a stop and start, and postqueue -f makes qmgr try it again.
    inst = make_instance(extra_main={"transport_maps": "inline:{ later.test=nosuch: }"})
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("a@example.org", ["someone@later.test"], "Subject: later\r\n\r\nlater\r\n")
    rx = (r"to=<someone@later\.test>, relay=none, .*status=deferred "
          r"\(mail transport unavailable\)")
    assert inst.wait_log(rx), inst.log()[-3000:]
    assert len(inst.queue_files()) == 1
    inst.stop()
    inst.start()
    assert len(inst.queue_files()) == 1
    inst.cmd("postqueue", "-f")
    deadline = time.time() + 30
    while time.time() < deadline and len(re.findall(rx, inst.log())) < 2:
        time.sleep(0.1)
    assert len(re.findall(rx, inst.log())) >= 2, inst.log()[-3000:]
    assert len(inst.queue_files()) == 1
