"""proxymap(8) and the proxy: client: lookups through private/proxymap,
pattern-ness carried over, and tables outside proxy_read_maps refused (mail
defers, never bounces)."""
import os
import smtplib

import pytest


def test_proxy_unix_passwd_lookup(make_instance):
    inst = make_instance()
    inst.start()
    r = inst.cmd("postmap", "-c", inst.etc, "-q", "root", "proxy:unix:passwd.byname")
    assert r.stdout.decode().startswith("root:x:0:0:")
    r = inst.cmd("postmap", "-c", inst.etc, "-q", "no-such-user-xyz", "proxy:unix:passwd.byname",
                 check=False)
    assert r.returncode == 1
    assert r.stdout == b""


def test_proxy_hash_virtual_alias_delivers(make_instance):
    # virtual_alias_maps through proxy: (approved by default proxy_read_maps).
    inst = make_instance(aliases={"sales@example.test": "alice@example.test"})
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        f.write("virtual_alias_maps = proxy:hash:%s/virtual\n" % inst.etc)
    inst.start()
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail("x@example.org", ["sales@example.test"], "Subject: p\r\n\r\nhi\r\n")
    inst.wait_delivered(1)
    assert len(inst.maildir_files("alice")) == 1


def test_proxy_pattern_table(make_instance):
    inst = make_instance()
    pat = os.path.join(inst.etc, "pat.regexp")
    with open(pat, "w") as f:
        f.write("/^(.*)@example\\.test$/ $1\n")
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        f.write("proxy_read_maps = regexp:%s\n" % pat)
    inst.start()
    direct = inst.cmd("postmap", "-c", inst.etc, "-q", "joe@example.test", "regexp:" + pat,
                      check=False)
    if direct.stdout.strip() != b"joe":
        pytest.skip("regexp: not built yet")
    r = inst.cmd("postmap", "-c", inst.etc, "-q", "joe@example.test", "proxy:regexp:" + pat,
                 check=False)
    assert r.stdout.decode().strip() == "joe"


def test_unapproved_table_defers(make_instance):
    inst = make_instance()
    other = os.path.join(inst.etc, "other")
    with open(other, "w") as f:
        f.write("sales@example.test alice@example.test\n")
    inst.cmd("postmap", "-c", inst.etc, "hash:" + other)
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        f.write("proxy_read_maps = $local_recipient_maps\n")
    inst.start()
    r = inst.cmd("postmap", "-c", inst.etc, "-q", "sales@example.test", "proxy:hash:" + other,
                 check=False)
    assert r.returncode != 0 and r.stdout == b""
    inst.wait_log(r'warning: request for unapproved table: "hash:%s"' % other)
    inst.wait_log(r"to approve this table for read-only access, list proxy:hash:%s in "
                  r"main.cf:proxy_read_maps" % other)


def test_unapproved_table_mail_defers_never_bounces(make_instance):
    inst = make_instance()
    other = os.path.join(inst.etc, "other")
    with open(other, "w") as f:
        f.write("sales@example.test alice@example.test\n")
    inst.cmd("postmap", "-c", inst.etc, "hash:" + other)
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        f.write("proxy_read_maps = $local_recipient_maps\n")
        f.write("virtual_alias_maps = proxy:hash:%s\n" % other)
    inst.start()
    try:
        with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
            s.sendmail("x@example.org", ["sales@example.test"], "Subject: d\r\n\r\nhi\r\n")
    except smtplib.SMTPRecipientsRefused as e:
        code = list(e.recipients.values())[0][0]
        assert 400 <= code < 500
        return
    # Accepted: it must stay queued (deferred), not bounced nor delivered.
    assert inst.wait_log(r"status=deferred", timeout=30), inst.log()
    assert "status=bounced" not in inst.log()
    assert inst.queue_files()
    assert not inst.maildir_files("alice")
