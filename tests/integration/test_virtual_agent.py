"""virtual(8) on its own, driven as qmgr drives it: Maildir and mbox files,
ownership, From_ quoting, R->D marking, unknown user, loop detection, the
mbox size limit and table errors (virtual_agent_check.py does the checks)."""
import os
import subprocess
import sys

from postern import BUILD


def test_virtual_agent_checks():
    script = os.path.join(os.path.dirname(__file__), "virtual_agent_check.py")
    r = subprocess.run([sys.executable, script, BUILD], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout
    assert r.stdout.count("ok   ") >= 20, r.stdout
