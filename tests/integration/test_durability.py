"""A message answered 250 survives kill -9 of every process of the instance."""
import socket
import threading
import time

from postern import body_of, read_message


def smtp_session(port, start, count, accepted, stop):
    """Send messages start..start+count-1 over one connection at a time (a new
    connection per message, as smtp-source does). Record the number of every
    message answered 250 after DATA."""
    n = start
    while n < start + count and not stop.is_set():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            f = s.makefile("rb")

            def reply():
                while True:
                    line = f.readline()
                    if not line:
                        raise OSError("connection closed")
                    if line[3:4] != b"-":
                        return line

            reply()
            s.sendall(b"HELO load.example.org\r\n")
            reply()
            s.sendall(b"MAIL FROM:<load@example.org>\r\n")
            reply()
            s.sendall(b"RCPT TO:<%s@example.test>\r\n" % [b"alice", b"bob"][n % 2])
            if not reply().startswith(b"250"):
                raise OSError("rcpt refused")
            s.sendall(b"DATA\r\n")
            reply()
            s.sendall(b"Subject: durable %d\r\n\r\nmessage number %d\r\n.\r\n" % (n, n))
            r = reply()
            if r.startswith(b"250 "):
                accepted.add(n)
                n += 1
            s.sendall(b"QUIT\r\n")
            s.close()
        except OSError:
            if stop.is_set():
                return
            time.sleep(0.05)


def test_kill9_everything_mid_run_loses_nothing(make_instance):
    inst = make_instance()
    inst.start()
    accepted = set()
    stop = threading.Event()
    threads = [threading.Thread(target=smtp_session,
                                args=(inst.port, k * 500, 500, accepted, stop))
               for k in range(4)]
    for t in threads:
        t.start()
    deadline = time.time() + 60
    while len(accepted) < 600 and time.time() < deadline:
        time.sleep(0.02)
    inst.kill9_all()
    stop.set()
    for t in threads:
        t.join(30)
    snapshot = set(accepted)
    assert len(snapshot) >= 100, "too few messages accepted before the kill"
    inst.start()
    inst.cmd("postqueue", "-f")
    inst.wait_delivered(len(snapshot), timeout=120)
    found = {}
    for mb in ("alice", "bob"):
        for p in inst.maildir_files(mb):
            n = int(body_of(read_message(p)).split()[-1])
            found[n] = found.get(n, 0) + 1
    missing = sorted(snapshot - set(found))
    assert not missing, "answered 250 but lost: %s\n%s" % (missing[:20], inst.log()[-3000:])
    assert inst.wait_queue_empty(60), inst.queue_files()[:10]
