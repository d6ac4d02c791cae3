"""pcre: and regexp: tables, differential: Postern's postmap -q must print
exactly what Postfix's /usr/sbin/postmap -q prints (postfix-pcre installed)
for the same table files and keys: results, exit status and the warnings
about bad rules (pcre_table(5), regexp_table(5))."""
import os
import shutil
import subprocess

import pytest

from postern import BIN

POSTFIX_POSTMAP = "/usr/sbin/postmap"

PCRE_TABLE = r"""
# comment line
/^(\S+)@example\.com$/      user=$1 ${1}x $(1)y $$ $01
if /^a/
/b$/                        a-b
if !/c/
/^ad$/                      ad-noc
endif
endif
/^CASE$/                    upper-any-case
/^Case2$/i                  exact-case
/^(a)(b)?c$/                [$2] [$1]
/^lo
  ng$/                      continued
/^multi$/                   first
  second
/(bad/                      bad pattern
/x/z                        unknown flag
/^(t)(r)$/                  $3
!/^neg/                     $1
/^xA/A                      anchored
/^U(a+?)/U                  ungreedy=$1
/^ext  ra/x                 extended
/^v(X)/X                    flagX=$1
/^(?-i)CS$/                 cs
/^bad ref$/                 a$ b
/^bad name$/                ${x}
/^trunc$/                   $(1
/\/slash/                   slash
/^trail$/                   trailing blanks   
/^\d+\.\d+\.\d+\.\d+$/      ip
endif
/^e(\d)?$/                  e[$1]
unrecognized line
if/^ifnospace/
/x$/                        ifnospace-x
endif
/unterminated
!/^zz/                      not-zz
"""

KEYS = ["joe@example.com", "JOE@Example.COM", "ab", "ad", "acd", "case", "Case2", "case2",
        "ac", "abc", "long", "lo  ng", "multi", "tr", "xAbc", "bxA", "Uaaa", "extra",
        "vX", "CS", "cs", "a/slash", "trail", "10.0.0.1", "e", "e5", "zzz", "bad ref",
        "ifnospacex", "ifnospace"]


def regexp_table():
    t = PCRE_TABLE.replace(r"\S", "[^ ]").replace(r"\d", "[0-9]").replace("(?-i)", "")
    return "\n".join(l for l in t.split("\n")
                     if not any(f in l for f in ("/A ", "/U ", "/X ")))


pytestmark = pytest.mark.skipif(not os.path.exists(POSTFIX_POSTMAP),
                                reason="Postfix postmap not installed")


@pytest.fixture
def tables(tmp_path):
    cf = tmp_path / "cf"
    cf.mkdir()
    (cf / "main.cf").write_text("compatibility_level = 3.6\n")
    (tmp_path / "t.pcre").write_text(PCRE_TABLE)
    (tmp_path / "t.regexp").write_text(regexp_table())
    return tmp_path


def run(postmap, cf, args, stdin=None):
    env = dict(os.environ, MAIL_CONFIG=str(cf))
    p = subprocess.run([postmap, "-c", str(cf)] + args, input=stdin, capture_output=True,
                       env=env, timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def supported(cf, kind):
    rc, out, err = run(POSTFIX_POSTMAP, cf, ["-q", "x", "%s:/dev/null" % kind])
    return "unsupported dictionary type" not in err


@pytest.mark.parametrize("kind", ["pcre", "regexp"])
def test_single_keys_match_postfix(tables, kind):
    cf = tables / "cf"
    if not supported(cf, kind):
        pytest.skip("Postfix lacks %s support" % kind)
    spec = "%s:%s" % (kind, tables / ("t." + kind))
    for key in KEYS:
        want = run(POSTFIX_POSTMAP, cf, ["-q", key, spec])
        got = run(os.path.join(BIN, "postmap"), cf, ["-q", key, spec])
        assert got == want, "key %r" % key


@pytest.mark.parametrize("kind", ["pcre", "regexp"])
def test_stdin_keys_match_postfix(tables, kind):
    cf = tables / "cf"
    if not supported(cf, kind):
        pytest.skip("Postfix lacks %s support" % kind)
    spec = "%s:%s" % (kind, tables / ("t." + kind))
    stdin = ("\n".join(KEYS) + "\n").encode()
    want = run(POSTFIX_POSTMAP, cf, ["-q", "-", spec], stdin)
    got = run(os.path.join(BIN, "postmap"), cf, ["-q", "-", spec], stdin)
    assert want[1].count("\n") > 10  # the oracle found things
    assert got == want


def test_missing_file_is_fatal_like_postfix(tables):
    cf = tables / "cf"
    spec = "pcre:%s" % (tables / "nonexistent")
    want = run(POSTFIX_POSTMAP, cf, ["-q", "x", spec])
    got = run(os.path.join(BIN, "postmap"), cf, ["-q", "x", spec])
    assert got[0] != 0 and got[1] == ""
    assert got == want
