"""The same SMTP dialogues against Postfix 3.7 and Postern, configured alike:
the replies must be the same, code, enhanced status code and text (queue IDs
aside). This is how Postern's reply texts are kept honest."""
import os
import re
import shutil
import socket
import tempfile

import pytest

from test_postfix_interop import POSTFIX, PostfixInstance

need_postfix = pytest.mark.skipif(not os.path.exists(POSTFIX), reason="Postfix not installed")

DIALOGUES = {
    "noop_rset_quit": ["HELO client.example.org", "NOOP", "RSET", "QUIT"],
    "unknown_command": ["EHLO client.example.org", "FOO bar", "HELP", "QUIT"],
    "sequence_errors": ["HELO client.example.org", "RCPT TO:<alice@example.test>", "DATA",
                        "MAIL FROM:<a@example.org>", "MAIL FROM:<b@example.org>", "DATA",
                        "QUIT"],
    "syntax_errors": ["EHLO", "HELO", "EHLO client.example.org", "MAIL", "MAIL FROM:<a@b",
                      "MAIL FROM:<a@example.org>", "RCPT", "RCPT TO:<alice@example.test",
                      "QUIT"],
    "no_brackets_tolerated": ["HELO c.example.org", "MAIL FROM:a@example.org",
                              "RCPT TO:alice@example.test", "QUIT"],
    "recipients": ["EHLO c.example.org", "MAIL FROM:<a@example.org>",
                   "RCPT TO:<nobody@example.test>", "RCPT TO:<postmaster>",
                   "RCPT TO:<Alice@Example.TEST>", "RCPT TO:<bob+tag@example.test>",
                   "RCPT TO:<someone@elsewhere.example>", "RCPT TO:<@route.example:bob@example.test>",
                   "QUIT"],
    "null_sender_and_size": ["EHLO c.example.org", "MAIL FROM:<> SIZE=999999999",
                             "MAIL FROM:<> SIZE=100", "RCPT TO:<bob@example.test>", "RSET",
                             "QUIT"],
    "vrfy": ["EHLO c.example.org", "VRFY alice@example.test", "VRFY", "QUIT"],
    "data": ["HELO c.example.org", "MAIL FROM:<a@example.org>", "RCPT TO:<alice@example.test>",
             "DATA", "Subject: diff\r\n\r\nbody\r\n.", "QUIT"],
}


def converse(port, lines):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    f = s.makefile("rb")

    def reply():
        out = []
        while True:
            line = f.readline()
            if not line:
                out.append("<EOF>")
                return out
            out.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                return out

    replies = [reply()]
    for line in lines:
        s.sendall(line.encode() + b"\r\n")
        replies.append(reply())
    s.close()
    return replies


def normalise(replies):
    out = []
    for r in replies:
        r = [re.sub(r"queued as [0-9A-Za-z]+", "queued as QID", x) for x in r]
        out.append(r)
    return out


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    import postern
    root = tempfile.mkdtemp(prefix="postern-diff-", dir="/tmp")
    os.chmod(root, 0o755)
    ours = postern.Instance(mynetworks="127.0.0.0/8",
                            mailboxes=["alice", "bob"],
                            extra_main={"virtual_alias_maps": ""})
    pf = PostfixInstance(root, ours.vuid, ours.vgid)
    pf.start()
    ours.start()
    yield pf, ours
    ours.destroy()
    pf.stop()
    shutil.rmtree(root, ignore_errors=True)


@need_postfix
@pytest.mark.parametrize("name", sorted(DIALOGUES))
def test_same_replies_as_postfix(pair, name):
    pf, ours = pair
    theirs = normalise(converse(pf.port, DIALOGUES[name]))
    mine = normalise(converse(ours.port, DIALOGUES[name]))
    # EHLO keyword lists differ by design where Postern does not offer a
    # feature yet (STARTTLS, ETRN, DSN, SMTPUTF8, CHUNKING): compare the first line.
    for i, line in enumerate(DIALOGUES[name]):
        if line.startswith("EHLO ") and theirs[i + 1][0].startswith("250-"):
            theirs[i + 1] = theirs[i + 1][:1]
            mine[i + 1] = mine[i + 1][:1]
    assert mine == theirs
