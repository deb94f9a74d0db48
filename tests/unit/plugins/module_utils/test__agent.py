# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The agent's library is exactly what it imports, it never needs ansible-core, and its metrics carry no key name."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError
from tests.support.paths import COLLECTIONS

PROBE = """
import sys, json
sys.path.insert(0, %r)
import builtins
real_import = builtins.__import__
def guarded(name, *args, **kwargs):
    if name == "ansible" or name.startswith("ansible."):
        raise ImportError("the agent must not need ansible-core: " + name)
    return real_import(name, *args, **kwargs)
builtins.__import__ = guarded
import ansible_collections.dnsops.tkey.plugins.module_utils._agent
prefix = "ansible_collections.dnsops.tkey.plugins.module_utils."
print(json.dumps(sorted(name[len(prefix):] for name in sys.modules if name.startswith(prefix + "_"))))
"""


def test_library_is_the_import_closure_and_needs_no_ansible():
    out = subprocess.run([sys.executable, "-c", PROBE % COLLECTIONS], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == sorted(_agent.LIBRARY)


def test_metrics_have_the_primary_as_the_only_label():
    state = {"ns1": dict(expiration=1795591731, accepted=True, last_check=1795588131, last_renewal=0, renewals_total=3,
                         failures_total=1, key_name="sec1-20261125062851-a3f9.ns1.tkey")}
    text = _agent.render_metrics(state)
    assert 'dnsops_tkey_renewals_total{primary="ns1"} 3' in text
    assert 'dnsops_tkey_key_accepted{primary="ns1"} 1' in text
    assert 'dnsops_tkey_key_expiration_timestamp_seconds{primary="ns1"} 1795591731' in text
    assert "sec1-2026" not in text
    assert all(line.startswith("#") or line.startswith("dnsops_tkey_") for line in text.splitlines())


@pytest.mark.parametrize("text,fragment", [
    (None, "does not exist"),
    ("{", "not valid JSON"),
    ('{"primaries": 3}', "no list of primaries"),
    ('{"primaries": [], "colour": 1}', "unknown settings colour"),
])
def test_bad_configuration_is_one_line(tmp_path, text, fragment):
    path = tmp_path / "agent.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(OptionError, match=fragment):
        _agent.load_config(str(path))
