# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The agent's systemd units and cron entry as the secondary role renders them: systemd accepts the units, the
timer fires every interval with a random delay and 1 s accuracy, cron's line runs the command with /usr/sbin on PATH."""

from __future__ import annotations

import os
import re
import subprocess

from tests.support.paths import ROOT

PLAYBOOK = """---
- name: Render the agent's units
  hosts: localhost
  gather_facts: false
  vars:
    secondary_agent_interval: 300
    secondary_agent_random_delay: 60
  tasks:
    - name: Render each template
      ansible.builtin.template:
        src: "{{ role_dir }}/templates/{{ item }}.j2"
        dest: "{{ out }}/{{ item }}"
        mode: "0644"
      loop: [dnsops-tkey-renew.service, dnsops-tkey-renew.timer, dnsops-tkey-renew.cron]
"""


def test_units_and_cron_entry(ansible_venv, tmp_path):
    playbook = tmp_path / "render.yml"
    playbook.write_text(PLAYBOOK)
    out = tmp_path / "out"
    out.mkdir()
    rc, text = ansible_venv.playbook(str(playbook), dict(role_dir=os.path.join(ROOT, "roles", "secondary"), out=str(out)))
    assert rc == 0, text
    timer = (out / "dnsops-tkey-renew.timer").read_text()
    assert re.search(r"^OnUnitActiveSec=300$", timer, re.M) and re.search(r"^RandomizedDelaySec=60$", timer, re.M)
    assert re.search(r"^AccuracySec=1s$", timer, re.M) and re.search(r"^OnBootSec=", timer, re.M)
    service = (out / "dnsops-tkey-renew.service").read_text()
    assert re.search(r"^ExecStart=/usr/sbin/dnsops-tkey-renew$", service, re.M) and "Type=oneshot" in service
    # systemd-analyze checks the units' syntax (the command itself need not exist here)
    proc = subprocess.run(["systemd-analyze", "verify", "--man=no", str(out / "dnsops-tkey-renew.service"),
                           str(out / "dnsops-tkey-renew.timer")], capture_output=True, text=True, check=False)
    complaints = [line for line in proc.stderr.splitlines() if "dnsops-tkey-renew" in line and "is not executable" not in line
                  and "No such file" not in line and "Command /usr/sbin" not in line]
    assert complaints == [], proc.stderr
    cron = (out / "dnsops-tkey-renew.cron").read_text().splitlines()
    assert "PATH=/usr/sbin:/usr/bin:/sbin:/bin" in cron
    assert "*/5 * * * * root /usr/sbin/dnsops-tkey-renew --random-delay 60" in cron
