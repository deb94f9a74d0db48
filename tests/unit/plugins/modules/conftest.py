# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Drive a module's main() in-process with module arguments, as ansible-core passes them (2.18 and later)."""

from __future__ import annotations

import contextlib
import json
from unittest import mock

import pytest
from ansible.module_utils import basic as _basic
from ansible.module_utils.common import warnings as _warnings

from tests.support.scripted import ScriptedNamed, route_servers_to

try:
    from ansible.module_utils._internal import _traceback  # ansible-core 2.19+
except ImportError:
    _traceback = None
try:
    from ansible.module_utils.testing import patch_module_args  # ansible-core 2.19+
except ImportError:
    @contextlib.contextmanager
    def patch_module_args(args):
        """ansible-core 2.18: AnsibleModule reads its arguments from basic._ANSIBLE_ARGS, as JSON."""
        with mock.patch.object(_basic, "_ANSIBLE_ARGS", json.dumps(dict(ANSIBLE_MODULE_ARGS=args)).encode()):
            yield


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

    TRACEBACKS asks for error tracebacks as ANSIBLE_DISPLAY_TRACEBACK=error does (ansible-core 2.19+), or -vvv
    before 2.19.
    """

    def run(module, args, check=False, diff=False, tracebacks=False):
        name = "dnsops.tkey." + module.__name__.rsplit(".", 1)[-1]
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff, _ansible_module_name=name)
        if _traceback is not None:
            args["_ansible_tracebacks_for"] = ["error"] if tracebacks else []
            # ansible-core caches the traceback setting per process; a module process sees one run only
            monkeypatch.setattr(_traceback, "_module_tracebacks_enabled_events", None, raising=False)
        elif tracebacks:
            args["_ansible_verbosity"] = 3
        # and collects warnings and deprecations per process (a dict from 2.19 on, a list before): start with none
        for collected in ("_global_warnings", "_global_deprecations"):
            monkeypatch.setattr(_warnings, collected, type(getattr(_warnings, collected))())
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
