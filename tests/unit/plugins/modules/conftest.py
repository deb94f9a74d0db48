# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Drive a module's main() in-process with module arguments, as ansible-core 2.19 passes them."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils._internal import _traceback
from ansible.module_utils.common import warnings as _warnings
from ansible.module_utils.testing import patch_module_args

from tests.support.scripted import ScriptedNamed, route_servers_to


class Outcome(object):
    """What one module run returned: rc, the result dict and the raw text it printed."""

    def __init__(self, rc, result, text):
        self.rc, self.result, self.text = rc, result, text

    @property
    def failed(self):
        return self.rc != 0 or bool(self.result.get("failed"))

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    def __getitem__(self, key):
        return self.result[key]

    def assert_clean_failure(self, fragment):
        """Failed with one line that says FRAGMENT, and no traceback."""
        assert self.failed, self.text
        msg = self.result.get("msg", "")
        assert fragment.lower() in msg.lower(), msg
        assert "\n" not in msg.strip(), msg
        assert "exception" not in self.result, self.result
        assert "Traceback" not in self.text


@pytest.fixture
def run_module(capsys, monkeypatch):
    """run_module(module, args, check=False, diff=False, tracebacks=False) -> Outcome.

    TRACEBACKS asks for error tracebacks as ANSIBLE_DISPLAY_TRACEBACK=error does (ansible-core 2.19+).
    """

    def run(module, args, check=False, diff=False, tracebacks=False):
        name = "dnsops.tkey." + module.__name__.rsplit(".", 1)[-1]
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_module_name=name,
                    _ansible_tracebacks_for=["error"] if tracebacks else [])
        # ansible-core caches the traceback setting per process; a module process sees one run only
        monkeypatch.setattr(_traceback, "_module_tracebacks_enabled_events", None, raising=False)
        # and collects warnings per process: start each run with none
        monkeypatch.setattr(_warnings, "_global_warnings", {})
        with patch_module_args(args):
            with pytest.raises(SystemExit) as info:
                module.main()
        text = capsys.readouterr().out
        result = json.loads(text.strip().splitlines()[-1])
        return Outcome(info.value.code, result, text)

    return run


@pytest.fixture
def named(monkeypatch):
    """A scripted named that every Server the modules build talks to."""
    server = ScriptedNamed()
    route_servers_to(monkeypatch, server)
    return server
