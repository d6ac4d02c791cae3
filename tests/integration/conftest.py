import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from postern import Instance  # noqa: E402


@pytest.fixture
def make_instance():
    made = []

    def make(**kw):
        inst = Instance(**kw)
        made.append(inst)
        return inst

    yield make
    for inst in made:
        if os.environ.get("POSTERN_SHOW_LOG"):
            print(inst.log())
        inst.destroy()


@pytest.fixture
def inst(make_instance):
    i = make_instance(aliases={"sales@example.test": "alice@example.test, bob@example.test",
                               "@catchall.test": "carol@example.test"},
                      extra_main={"virtual_alias_domains": "catchall.test"})
    i.start()
    return i
