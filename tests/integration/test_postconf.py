"""Differential tests: build/bin/postconf against Postfix's /usr/sbin/postconf.

For a few main.cf/master.cf pairs, run both programs with -c DIR and the
same options and compare stdout byte for byte. Host- and version-specific
parameters (myhostname, mynetworks, mail_version, the directories) are not
compared. Needs `make` first (the lead runs it before pytest).
"""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OURS = os.path.join(ROOT, os.environ.get("BUILD", "build"), "bin", "postconf")
THEIRS = "/usr/sbin/postconf"
STOCK_MASTER = "/usr/share/postfix/master.cf.dist"

pytestmark = pytest.mark.skipif(
    not (os.access(OURS, os.X_OK) and os.access(THEIRS, os.X_OK)),
    reason="needs build/bin/postconf and Postfix's postconf")

MAIN_CFS = {
    "debianish": (
        "# comment\n"
        "smtpd_banner = $myhostname ESMTP $mail_name (Debian/GNU)\n"
        "biff = no\n"
        "append_dot_mydomain = no\n"
        "compatibility_level = 3.6\n"
        "myhostname = mail.example.com\n"
        "alias_maps = hash:/etc/aliases\n"
        "myorigin = /etc/mailname\n"
        "mydestination = $myhostname, localhost.example.com, , localhost\n"
        "relayhost =\n"
        "mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128\n"
        "mailbox_size_limit = 0\n"
        "recipient_delimiter = +\n"
        "inet_interfaces = all\n"
    ),
    "continued": (
        "relay_domains = a.example,\n"
        "    b.example\n"
        "# a comment inside the continuation\n"
        "\tc.example\n"
        "myhostname = host.example # not a comment\n"
        "smtpd_recipient_restrictions = permit_mynetworks,\n"
        "  reject_unauth_destination\n"
        "user_defined = $myhostname x\n"
        "virtual_alias_domains = $user_defined\n"
        "smtpd_timeout=10\n"
        "smtpd_timeout = 20\n"
    ),
    "expressions": (
        "compatibility_level = 3.10\n"
        "myhostname = h.example\n"
        "mydomain = example\n"
        "aa = one\n"
        "empty =\n"
        "myorigin = ${{$compatibility_level} <level {3.6} ? {lt} : {ge}}"
        " ${aa?{set}:{unset}} ${empty:{was empty}} $$ $(aa) ${aa}\n"
        "smtpd_banner = ${{10} > {9} ? {num}} ${{b} < {a} ? {lt} : {lex}}"
        " ${{x} == {x}?{eq}} ${{x} != {y}?{ne}} $empty\n"
    ),
}

MASTER_EXTRA = (
    "127.0.0.1:2525 inet n - n - - smtpd\n"
    "  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n"
    "# comment between continuation lines\n"
    "  -o syslog_name=postfix/$service_name\n"
    "submission inet n       -       y       -       -       smtpd -v\n"
    "postlog2   unix-dgram n  -       n       -       1       postlogd\n"
    "a-very-long-service-name unix - n n 60? 0 pipe flags=R user=x argv=/bin/true\n"
)


def run(prog, *args):
    r = subprocess.run([prog] + list(args), capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout


@pytest.fixture(params=sorted(MAIN_CFS))
def confdir(request, tmp_path):
    (tmp_path / "main.cf").write_text(MAIN_CFS[request.param])
    shutil.copy(STOCK_MASTER, tmp_path / "master.cf")
    with open(tmp_path / "master.cf", "a") as f:
        f.write(MASTER_EXTRA)
    return str(tmp_path)


def compare(d, *args):
    ours = run(OURS, "-c", d, *args)
    theirs = run(THEIRS, "-c", d, *args)
    assert ours == theirs, "postconf %s differs" % " ".join(args)


def test_n(confdir):
    compare(confdir, "-n")


def test_n_h_and_H(confdir):
    compare(confdir, "-n", "-h")
    compare(confdir, "-n", "-H")


@pytest.mark.parametrize("name", [
    "relay_domains", "myorigin", "smtpd_banner", "smtpd_relay_restrictions",
    "mynetworks_style", "smtpd_timeout", "relay_domains", "append_dot_mydomain",
    "smtputf8_enable", "virtual_alias_domains", "mydestination",
])
def test_h_and_x(confdir, name):
    compare(confdir, "-h", name)
    compare(confdir, "-x", name)
    compare(confdir, name)


def test_d_selected(confdir):
    compare(confdir, "-d", "smtpd_timeout", "relay_domains", "smtpd_relay_restrictions",
            "delay_warning_time", "compatibility_level", "syslog_name")


def test_unknown_name_exit_0(confdir):
    rc, out = run(OURS, "-c", confdir, "no_such_parameter_zz")
    assert rc == 0 and out == ""
    compare(confdir, "no_such_parameter_zz")


def test_M(confdir):
    compare(confdir, "-M")
    compare(confdir, "-M", "smtp/inet", "cleanup", "127.0.0.1:2525/inet")


def test_e_X(tmp_path):
    d = tmp_path
    text = "# head\nmyhostname = a.example\n  # c\n  continued\nrelayhost = x\n# tail\n"
    for name in ("ours", "theirs"):
        (d / name).mkdir()
        (d / name / "main.cf").write_text(text)
        shutil.copy(STOCK_MASTER, d / name / "master.cf")
    for prog, name in ((OURS, "ours"), (THEIRS, "theirs")):
        sub = str(d / name)
        assert run(prog, "-c", sub, "-e", "myhostname=b.example", "new_thing = 1")[0] == 0
        assert run(prog, "-c", sub, "-X", "relayhost")[0] == 0
    ours = (d / "ours" / "main.cf").read_text()
    assert "myhostname = b.example\n" in ours
    assert "relayhost" not in ours
    assert ours.startswith("# head\n") and ours.endswith("new_thing = 1\n")
    assert ours == (d / "theirs" / "main.cf").read_text()
    assert not os.path.exists(d / "ours" / "main.cf.tmp")
