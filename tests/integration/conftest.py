# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fixtures for integration tests: a real named on loopback and Ansible runs against localhost."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.support.named import NamedServer
from tests.support.paths import COLLECTIONS

BIN = os.path.dirname(sys.executable)
# The controller's virtualenv (newest dnspython/cryptography) and Debian 12's own python3 with
# python3-dnspython 2.3 and python3-cryptography 38, the oldest versions the collection supports.
INTERPRETERS = {"venv": sys.executable, "debian": "/usr/bin/python3"}


def interpreter_ready(python):
    probe = subprocess.run([python, "-c", "import dns.message, cryptography"], capture_output=True, timeout=60, check=False)
    return probe.returncode == 0


class Ansible(object):
    """Runs modules and playbooks of this checkout through ansible-core against localhost."""

    def __init__(self, python, workdir):
        self.python = python
        self.workdir = str(workdir)
        self.env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=COLLECTIONS,
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_LOCAL_TEMP=os.path.join(self.workdir, ".ansible-tmp"),
            ANSIBLE_REMOTE_TEMP=os.path.join(self.workdir, ".ansible-tmp"),
            ANSIBLE_HOME=os.path.join(self.workdir, ".ansible-home"),
        )

    def module(self, name, args, check=False, diff=False, wrapper=()):
        """(failed, result dict, raw output) of one module run (ad hoc); WRAPPER prefixes the command (faketime)."""
        cmd = list(wrapper) + [
            os.path.join(BIN, "ansible"), "localhost", "-m", "dnsops.tkey.%s" % name, "-a", json.dumps(args),
            "-e", "ansible_python_interpreter=%s" % self.python,
        ]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=180, check=False)
        out = proc.stdout
        start = out.find("localhost | ")
        body = out[out.index("{", start):] if start >= 0 else "{}"
        result = json.JSONDecoder().raw_decode(body)[0]
        return proc.returncode != 0, result, out + proc.stderr

    def playbook(self, path, extra_vars, check=False, diff=False, verbosity=0):
        """(returncode, combined output) of ansible-playbook PATH with EXTRA_VARS."""
        vars_file = os.path.join(self.workdir, "extra-vars.json")
        with open(vars_file, "w") as handle:
            json.dump(dict(extra_vars, ansible_python_interpreter=self.python), handle)
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", path, "-e", "@" + vars_file]
        if check:
            cmd.append("--check")
        if diff:
            cmd.append("--diff")
        if verbosity:
            cmd.append("-" + "v" * verbosity)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=self.env, timeout=600, check=False)
        return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(params=sorted(INTERPRETERS))
def ansible(request, tmp_path):
    python = INTERPRETERS[request.param]
    assert interpreter_ready(python), (
        "%s lacks dnspython or cryptography; install python3-dnspython and python3-cryptography (make deps)" % python
    )
    return Ansible(python, tmp_path)


@pytest.fixture
def ansible_venv(tmp_path):
    return Ansible(sys.executable, tmp_path)


@pytest.fixture
def named(tmp_path):
    server = NamedServer(str(tmp_path / "primary"), zones=("example.test", "other.test"),
                         initial_keys={"tkeyinit": ["example.test"], "otherinit": ["other.test"]})
    server.start()
    yield server
    server.cleanup()
