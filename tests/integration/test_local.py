"""local(8): delivery for $mydestination users to home Maildirs and spool
mboxes, aliases (addresses, commands, :include:), .forward, unknown users,
and postalias output compared with Postfix's."""
import glob
import os
import pwd
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from postern import BIN

LOCAL = "local.test"
USERS = ["ltuser1", "ltuser2"]


@pytest.fixture
def users():
    homes = tempfile.mkdtemp(prefix="postern-homes-", dir="/tmp")
    os.chmod(homes, 0o755)
    made = []
    for u in USERS:
        try:
            pwd.getpwnam(u)
            subprocess.run(["userdel", "-r", u], capture_output=True)
        except KeyError:
            pass
        home = os.path.join(homes, u)
        subprocess.run(["useradd", "-m", "-d", home, "-s", "/bin/sh", "-U", u], check=True)
        made.append(u)
    yield {u: pwd.getpwnam(u) for u in made}
    for u in made:
        subprocess.run(["userdel", "-r", u], capture_output=True)
    shutil.rmtree(homes, ignore_errors=True)


def local_instance(make_instance, aliases, extra=None):
    inst = make_instance()
    spool = os.path.join(inst.root, "varmail")
    os.makedirs(spool)
    os.chmod(spool, 0o1777)
    alias_file = os.path.join(inst.etc, "aliases")
    with open(alias_file, "w") as f:
        for k, v in aliases.items():
            f.write("%s: %s\n" % (k, v))
    main = {
        "mydestination": LOCAL,
        "myorigin": LOCAL,
        "alias_maps": "hash:" + alias_file,
        "alias_database": "hash:" + alias_file,
        "home_mailbox": "Maildir/",
        "mail_spool_directory": spool,
        "local_recipient_maps": "proxy:unix:passwd.byname $alias_maps",
    }
    main.update(extra or {})
    with open(os.path.join(inst.etc, "main.cf"), "a") as f:
        for k, v in main.items():
            f.write("%s = %s\n" % (k, v))
    try:
        r = inst.cmd("postalias", "-c", inst.etc, "hash:" + alias_file, check=False)
        ok = r.returncode == 0
    except FileNotFoundError:
        ok = False
    if not ok:
        # Fall back to the postmap format (key value) if postalias is absent.
        with open(alias_file, "w") as f:
            for k, v in aliases.items():
                f.write("%s %s\n" % (k, v))
        inst.cmd("postmap", "-c", inst.etc, "hash:" + alias_file)
    inst.spool_mail = spool
    inst.start()
    return inst


def send(inst, rcpts, subject="hello", sender="sender@example.org"):
    msg = "From: %s\r\nSubject: %s\r\n\r\nbody line\r\n" % (sender, subject)
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.sendmail(sender, rcpts, msg)


def wait_files(pattern, count, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        files = glob.glob(pattern)
        if len(files) >= count:
            return files
        time.sleep(0.1)
    return glob.glob(pattern)


def test_home_maildir_owned_by_user(make_instance, users):
    inst = local_instance(make_instance, {"postmaster": "root"})
    pw = users["ltuser1"]
    send(inst, ["ltuser1@" + LOCAL])
    files = wait_files(os.path.join(pw.pw_dir, "Maildir", "new", "*"), 1)
    assert len(files) == 1, inst.log()
    st = os.stat(files[0])
    assert st.st_uid == pw.pw_uid
    text = open(files[0]).read()
    assert "Delivered-To: ltuser1@local.test\n" in text
    assert "body line" in text
    assert inst.wait_log(r"to=<ltuser1@local.test>, relay=local, .*status=sent "
                         r"\(delivered to maildir\)")


def test_spool_mbox(make_instance, users):
    inst = local_instance(make_instance, {"postmaster": "root"}, {"home_mailbox": ""})
    send(inst, ["ltuser2@" + LOCAL])
    send(inst, ["ltuser2@" + LOCAL])
    path = os.path.join(inst.spool_mail, "ltuser2")
    deadline = time.time() + 30
    while time.time() < deadline:
        if os.path.exists(path) and open(path).read().count("\nFrom ") + \
                open(path).read().startswith("From ") >= 2:
            break
        time.sleep(0.1)
    text = open(path).read()
    assert text.startswith("From sender@example.org ")
    assert text.count("body line") == 2
    assert os.stat(path).st_uid == users["ltuser2"].pw_uid
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert not os.path.exists(path + ".lock")
    assert inst.wait_log(r"status=sent \(delivered to mailbox\)")


def test_alias_to_two_users(make_instance, users):
    inst = local_instance(make_instance, {"team": "ltuser1, ltuser2"})
    send(inst, ["team@" + LOCAL])
    for u in USERS:
        files = wait_files(os.path.join(users[u].pw_dir, "Maildir", "new", "*"), 1)
        assert len(files) == 1, inst.log()
    assert inst.wait_log(r"to=<team@local.test>, relay=local, .*status=sent \(forwarded as [0-9A-F]+\)")


def test_alias_to_command(make_instance, users):
    out = os.path.join(str(users["ltuser1"].pw_dir), "cmd-out")
    inst = local_instance(make_instance, {"pipe": '"|cat > %s; echo $RECIPIENT >> %s"' % (out, out)})
    os.chmod(users["ltuser1"].pw_dir, 0o777)
    send(inst, ["pipe@" + LOCAL])
    deadline = time.time() + 30
    while time.time() < deadline and not os.path.exists(out):
        time.sleep(0.1)
    assert inst.wait_log(r"to=<pipe@local.test>, relay=local, .*status=sent \(delivered to command: ")
    text = open(out).read()
    assert "body line" in text and "pipe@local.test" in text
    # The alias database is root-owned: the command ran as default_privs.
    assert os.stat(out).st_uid == pwd.getpwnam("nobody").pw_uid


def test_include_and_forward(make_instance, users):
    inc = os.path.join(users["ltuser2"].pw_dir, "list.inc")
    with open(inc, "w") as f:
        f.write("ltuser2\n")
    os.chmod(inc, 0o644)
    inst = local_instance(make_instance, {"list": ":include:" + inc})
    fwd = os.path.join(users["ltuser1"].pw_dir, ".forward")
    with open(fwd, "w") as f:
        f.write("ltuser2@local.test\n")
    os.chown(fwd, users["ltuser1"].pw_uid, users["ltuser1"].pw_gid)
    send(inst, ["list@" + LOCAL])
    send(inst, ["ltuser1@" + LOCAL])
    files = wait_files(os.path.join(users["ltuser2"].pw_dir, "Maildir", "new", "*"), 2)
    assert len(files) == 2, inst.log()
    assert not glob.glob(os.path.join(users["ltuser1"].pw_dir, "Maildir", "new", "*"))


def test_unknown_user_rejected_at_rcpt(make_instance, users):
    inst = local_instance(make_instance, {"postmaster": "root"})
    with smtplib.SMTP("127.0.0.1", inst.port, timeout=30) as s:
        s.ehlo("client.example.org")
        s.mail("sender@example.org")
        code, text = s.rcpt("nosuchuser-xyz@" + LOCAL)
    assert code == 550
    assert b"5.1.1" in text and b"User unknown in local recipient table" in text


def test_postalias_matches_postfix(make_instance, tmp_path):
    if not os.path.exists("/usr/sbin/postalias"):
        pytest.skip("Postfix's postalias not installed")
    inst = make_instance()
    src = "# comment\npostmaster: root\nTeam: alice,\n   bob, \"|/usr/bin/cmd arg\"\n" \
          "\"a b\": c\nlist: :include:/etc/list\nMixed+Ext: x@y.test\n"
    ours = os.path.join(inst.etc, "ours")
    theirs = os.path.join(inst.etc, "theirs")
    for p in (ours, theirs):
        with open(p, "w") as f:
            f.write(src)
    inst.cmd("postalias", "-c", inst.etc, "hash:" + ours)
    subprocess.run(["/usr/sbin/postalias", "-c", inst.etc, "hash:" + theirs], check=True,
                   capture_output=True)

    def dump(tool, path):
        out = subprocess.run([tool, "-c", inst.etc, "-s", "hash:" + path], check=True,
                             capture_output=True).stdout.decode()
        return sorted(l for l in out.splitlines() if not l.startswith("YP_LAST_MODIFIED"))

    pf = dump("/usr/sbin/postalias", theirs)
    assert dump("/usr/sbin/postalias", ours) == pf
    assert dump(os.path.join(BIN, "postalias"), theirs) == pf
    r = inst.cmd("postalias", "-c", inst.etc, "-q", "team", "hash:" + theirs)
    assert r.stdout.decode() == 'alice, bob, "|/usr/bin/cmd arg"\n'
    r = inst.cmd("postalias", "-c", inst.etc, "-q", "nosuch", "hash:" + ours, check=False)
    assert r.returncode == 1
