"""header_checks / body_checks in cleanup(8), end to end (header_checks(5)).

One instance with a pcre: header_checks, a regexp: body_checks and, for
mime_header_checks, the default ($header_checks). Mail goes in with
smtplib; the result is looked for in the Maildir, the queue (hold/) and the
log lines in Postfix's cleanup_act_log() form."""
import os
import re
import smtplib
import subprocess

import pytest

from postern import DOMAIN, read_message

HEADER_CHECKS = r"""
/^Subject: reject me/           REJECT
/^Subject: custom reject/       REJECT Go away please
/^Subject: deferred reject/     REJECT 4.7.0 try later
/^Subject: discard me/          DISCARD dropped by test
/^Subject: hold me/             HOLD held by test
/^Subject: warn me/             WARN just a warning
/^X-Drop-Me:/                   IGNORE
/^Subject: prepend me/          PREPEND X-Prepended: yes
/^X-Replace-Me: (.*)/           REPLACE X-Replaced: was $1
/^Subject: multi\s+line/        REJECT folded header matched
/^Content-Type: application\/x-evil/ REJECT evil attachment type
/^Content-(Disposition|Type):.*name\s*=\s*"?[^"]*\.exe"?/ REJECT executable attachment
/^Subject: nested evil/         REJECT nested message rejected
/^X-Part-Drop:/                 IGNORE
"""

BODY_CHECKS = r"""
/^forbidden body line/          REJECT body is forbidden
/^drop this line$/              IGNORE
/^Content-Disposition:/         REJECT part headers must not reach body_checks
/^Subject: nested/              REJECT nested headers must not reach body_checks
"""


@pytest.fixture(scope="module")
def hc(tmp_path_factory):
    from postern import Instance
    d = tmp_path_factory.mktemp("checks")
    hpath = os.path.join(str(d), "header_checks.pcre")
    bpath = os.path.join(str(d), "body_checks.regexp")
    with open(hpath, "w") as f:
        f.write(HEADER_CHECKS)
    with open(bpath, "w") as f:
        f.write(BODY_CHECKS)
    os.chmod(str(d), 0o755)
    inst = Instance(extra_main={"header_checks": "pcre:" + hpath,
                                "body_checks": "regexp:" + bpath})
    inst.start()
    yield inst
    if os.environ.get("POSTERN_SHOW_LOG"):
        print(inst.log())
    inst.destroy()


def message(subject, extra_headers="", body="hello\r\n"):
    return ("From: <sender@example.org>\r\nTo: <alice@%s>\r\nSubject: %s\r\n%s"
            "Message-ID: <%s@example.org>\r\n\r\n%s"
            % (DOMAIN, subject, extra_headers, re.sub(r"\W", ".", subject), body))


def send(inst, subject, extra_headers="", body="hello\r\n", rcpt="alice@" + DOMAIN):
    """Returns (code, text) of the reply to DATA."""
    with smtplib.SMTP("127.0.0.1", inst.port, local_hostname="client.example.org",
                      timeout=30) as s:
        s.ehlo()
        s.mail("sender@example.org")
        s.rcpt(rcpt)
        code, text = s.data(message(subject, extra_headers, body))
        return code, text.decode()


def delivered_with(inst, needle, timeout=30):
    """The delivered message containing needle (bytes), or None."""
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        for p in inst.all_delivered():
            raw = read_message(p)
            if needle in raw:
                return raw
        time.sleep(0.1)
    return None


def test_reject_default_text(hc):
    code, text = send(hc, "reject me now")
    assert (code, text) == (550, "5.7.1 message content rejected")
    m = hc.wait_log(r"\w+: reject: header Subject: reject me now from "
                    r"localhost\[127\.0\.0\.1\]; from=<sender@example\.org> "
                    r"to=<alice@example\.test> proto=ESMTP helo=<client\.example\.org>: "
                    r"5\.7\.1 message content rejected$")
    assert m, hc.log()[-3000:]


def test_reject_custom_text_and_4xx(hc):
    assert send(hc, "custom reject") == (550, "5.7.1 Go away please")
    assert send(hc, "deferred reject") == (451, "4.7.0 try later")


def test_reject_folded_header(hc):
    code, text = send(hc, "multi\r\n line subject")
    assert (code, text) == (550, "5.7.1 folded header matched")


def test_mime_header_checks_default_to_header_checks(hc):
    code, text = send(hc, "mime", "MIME-Version: 1.0\r\nContent-Type: application/x-evil\r\n")
    assert (code, text) == (550, "5.7.1 evil attachment type")


def test_discard(hc):
    code, text = send(hc, "discard me")
    assert code == 250, text
    qid = text.split()[-1]
    assert hc.wait_log(r"%s: discard: header Subject: discard me from localhost\[127\.0\.0\.1\];"
                       r" .*: dropped by test$" % qid), hc.log()[-3000:]
    assert hc.wait_queue_empty()
    assert delivered_with(hc, b"Subject: discard me", timeout=2) is None


def test_hold(hc):
    code, text = send(hc, "hold me")
    assert code == 250, text
    qid = text.split()[-1]
    assert hc.wait_log(r"%s: hold: header Subject: hold me from .*: held by test$" % qid)
    held = [p for p in hc.queue_files() if "/hold/" in p]
    assert [os.path.basename(p) for p in held] == [qid]
    out = hc.cmd("postqueue", "-c", hc.etc, "-p").stdout.decode()
    assert re.search(r"^%s!\s" % qid, out, re.M), out
    assert delivered_with(hc, b"Subject: hold me", timeout=2) is None
    hc.cmd("postsuper", "-c", hc.etc, "-d", qid)


def test_warn_ignore_prepend_replace(hc):
    hdrs = "X-Drop-Me: secret\r\nX-Replace-Me: old value\r\n"
    code, text = send(hc, "prepend me", hdrs, body="line one\r\ndrop this line\r\nline three\r\n")
    assert code == 250, text
    raw = delivered_with(hc, b"Subject: prepend me")
    assert raw is not None, hc.log()[-3000:]
    head, body = raw.split(b"\n\n", 1)
    lines = head.split(b"\n")
    assert b"X-Drop-Me: secret" not in raw
    assert b"X-Replace-Me" not in raw
    assert b"X-Replaced: was old value" in lines
    i = lines.index(b"Subject: prepend me")
    assert lines[i - 1] == b"X-Prepended: yes", lines
    assert body == b"line one\nline three\n"
    assert hc.wait_log(r": prepend: header Subject: prepend me from .*: X-Prepended: yes$")
    assert hc.wait_log(r": replace: header X-Replace-Me: old value from .*: "
                       r"X-Replaced: was old value$")
    code, text = send(hc, "warn me")
    assert code == 250
    assert delivered_with(hc, b"Subject: warn me") is not None
    assert hc.wait_log(r": warning: header Subject: warn me from .*: just a warning$")


def test_body_reject(hc):
    code, text = send(hc, "body test", body="fine\r\nforbidden body line here\r\n")
    assert (code, text) == (550, "5.7.1 body is forbidden")
    assert hc.wait_log(r": reject: body forbidden body line here from localhost\[127\.0\.0\.1\];"
                       r" from=<sender@example\.org> to=<alice@example\.test> proto=ESMTP "
                       r"helo=<client\.example\.org>: 5\.7\.1 body is forbidden$")


def test_no_checks_without_filter_flag(make_instance, tmp_path):
    """receive_override_options = no_header_body_checks turns them off."""
    p = tmp_path / "hc.pcre"
    p.write_text("/^Subject: reject me/ REJECT\n")
    os.chmod(str(tmp_path), 0o755)
    inst = make_instance(extra_main={"header_checks": "pcre:%s" % p,
                                     "receive_override_options": "no_header_body_checks"})
    inst.start()
    code, text = send(inst, "reject me anyway")
    assert code == 250, text


def test_table_error_defers(make_instance, tmp_path):
    inst = make_instance(extra_main={"header_checks": "pcre:%s/missing.pcre" % tmp_path})
    inst.start()
    code, text = send(inst, "anything")
    assert code == 451 and text.startswith("4.3.0"), (code, text)


def test_long_lines_pass_checks_unchanged(hc):
    """Headers and body lines longer than line_length_limit (L records) are
    checked whole and delivered byte for byte."""
    long_subject = "long " + "s" * 5000
    folded = "X-Folded: first\r\n\tsecond " + "f" * 3000 + "\r\n third"
    body = "short\r\n" + "b" * 7000 + "\r\n" + ("forbidden body line"[1:] + "x" * 4000) + "\r\n"
    code, text = send(hc, long_subject, folded + "\r\n", body=body)
    assert code == 250, text
    raw = delivered_with(hc, b"Subject: long sss")
    assert raw is not None, hc.log()[-3000:]
    head, got = raw.split(b"\n\n", 1)
    assert ("Subject: " + long_subject).encode() in head.split(b"\n")
    assert folded.replace("\r\n", "\n").encode() in head
    assert got == body.replace("\r\n", "\n").encode()


def test_long_body_line_rejected_whole(hc):
    code, text = send(hc, "long body", body="forbidden body line " + "z" * 6000 + "\r\n")
    assert (code, text) == (550, "5.7.1 body is forbidden")


MIME_HEADERS = ('MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n'
                ' boundary="==b1=="\r\n')


def mime_body(part_headers, part_body="part text\r\n"):
    return ("This is a MIME message\r\n--==b1==\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
            "--==b1==\r\n%s\r\n%s--==b1==--\r\nepilogue\r\n" % (part_headers, part_body))


def test_mime_attachment_header_goes_to_mime_header_checks(hc):
    code, text = send(hc, "with attachment", MIME_HEADERS, body=mime_body(
        'Content-Type: application/octet-stream;\r\n name="run.exe"\r\n'
        'Content-Disposition: attachment; filename="run.exe"\r\n', "AAAA\r\n"))
    assert (code, text) == (550, "5.7.1 executable attachment")
    assert hc.wait_log(r": reject: header Content-Type: application/octet-stream;\? "
                       r'name="run.exe" from localhost')


def test_mime_parts_kept_and_not_body_checked(hc):
    body = mime_body('Content-Type: text/plain; name="ok.txt"\r\n'
                     'Content-Disposition: attachment\r\nX-Part-Drop: yes\r\n')
    code, text = send(hc, "fine attachment", MIME_HEADERS, body=body)
    assert code == 250, text
    raw = delivered_with(hc, b"Subject: fine attachment")
    assert raw is not None
    want = body.replace("X-Part-Drop: yes\r\n", "").replace("\r\n", "\n").encode()
    assert raw.split(b"\n\n", 1)[1] == want


def test_nested_message_headers(hc):
    nested = ("Content-Type: message/rfc822\r\n",
              "From: x@example.org\r\nSubject: nested evil\r\n\r\ninner body\r\n")
    code, text = send(hc, "forwarded", MIME_HEADERS, body=mime_body(nested[0], nested[1]))
    assert (code, text) == (550, "5.7.1 nested message rejected")
