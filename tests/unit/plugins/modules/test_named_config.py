# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""named_config's service option: named started and enabled only when it is not, every command bounded; the rest of
the module runs against a real named-checkconf in tests/integration/test_named_config.py."""

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError
from ansible_collections.dnsops.tkey.plugins.modules import named_config


class Host(object):
    """A module whose commands are answered from STATE (unit active / enabled), recorded, never run."""

    def __init__(self, active, enabled, check_mode=False, fail=()):
        self.state = dict(active=active, enabled=enabled)
        self.check_mode, self.fail, self.argv = check_mode, fail, []

    def get_bin_path(self, name):
        return "/usr/bin/" + name

    def run_command(self, argv, **_kwargs):
        self.argv.append(argv)
        assert argv[:2] == ["timeout", str(named_config.COMMAND_TIMEOUT)]
        command = argv[2:]
        if command[1] in self.fail:
            return 1, "", "Job for %s failed" % command[-1]
        if command[:2] == ["systemctl", "is-active"]:
            return (0 if self.state["active"] else 3), "", ""
        if command[:2] == ["systemctl", "is-enabled"]:
            return (0 if self.state["enabled"] else 1), "", ""
        return 0, "", ""


@pytest.fixture
def systemd(monkeypatch):
    real = named_config.os.path.isdir
    monkeypatch.setattr(named_config.os.path, "isdir", lambda path: path == "/run/systemd/system" or real(path))


@pytest.mark.parametrize("active,enabled,done", [
    (True, True, []),
    (False, True, ["start named"]),
    (True, False, ["enable named"]),
    (False, False, ["enable named", "start named"]),
])
def test_named_started_and_enabled_only_when_it_is_not(systemd, active, enabled, done):
    host = Host(active, enabled)
    assert named_config._service(host, "named") == (bool(done), done)
    assert [argv[2:] for argv in host.argv[2:]] == [["systemctl"] + action.split() for action in done]
    checked = Host(active, enabled, check_mode=True)
    assert named_config._service(checked, "named") == (bool(done), done)
    assert len(checked.argv) == 2  # check mode only asks


def test_a_failed_start_names_the_command_and_where_to_look(systemd):
    with pytest.raises(DnsopsError, match=r"^systemctl start named failed \(exit 1\): Job for named failed; see journalctl -u named"):
        named_config._service(Host(False, True, fail=("start",)), "named")


def test_without_systemd_the_init_script_starts_named(monkeypatch):
    real = named_config.os.path.isdir
    monkeypatch.setattr(named_config.os.path, "isdir", lambda path: path != "/run/systemd/system" and real(path))

    class Stopped(Host):
        def run_command(self, argv, **kwargs):
            if argv[2:] == ["service", "named", "status"]:
                self.argv.append(argv)
                return 3, "", ""
            return Host.run_command(self, argv, **kwargs)

    host = Stopped(False, False)
    assert named_config._service(host, "named") == (True, ["start named"])
    assert [argv[2:] for argv in host.argv] == [["service", "named", "status"], ["service", "named", "start"]]
