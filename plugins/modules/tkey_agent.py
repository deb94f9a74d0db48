#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tkey_agent
short_description: Install or remove dnsops-tkey-renew, the agent that keeps a secondary's TKEY keys current
version_added: 0.2.0
description:
  - Installs the command O(command) and its library, which is the collection's own module_utils exactly as shipped
    with this module (the rollover engine M(dnsops.tkey.tkey_rollover) uses), so the agent and Ansible run the same
    code. It runs on Debian's python3 with python3-dnspython and python3-cryptography; ansible-core is not needed.
  - Writes the agent's configuration O(config_file), JSON with paths and settings but no secret, after checking it.
  - The R(dnsops.tkey.secondary role,ansible_collections.dnsops.tkey.secondary_role) adds the systemd timer (or a
    cron entry) that runs the agent.
  - V(state=absent) removes the command, its library, the configuration and the metrics file; the state file with
    the counters and the lock file stay (the lock file is never deleted).
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
options:
  state:
    description: Whether the agent is installed.
    type: str
    default: present
    choices: [present, absent]
  config:
    description:
      - The agent's configuration, with the keys C(named) and C(primaries) (each as the options O(dnsops.tkey.tkey_rollover#module:named)
        and O(dnsops.tkey.tkey_rollover#module:primary) of M(dnsops.tkey.tkey_rollover)), C(lock_file), C(lock_timeout), C(state_file)
        and C(metrics_file) (a node_exporter textfile, or empty for none).
      - Required with V(state=present).
    type: dict
  config_file:
    description: Where the configuration is written.
    type: path
    default: /etc/dnsops-tkey/agent.json
  command:
    description: The agent's command.
    type: path
    default: /usr/sbin/dnsops-tkey-renew
  library_dir:
    description: Directory for the agent's Python library.
    type: path
    default: /usr/lib/dnsops-tkey
seealso:
  - module: dnsops.tkey.tkey_rollover
requirements:
  - dnspython >= 2.3.0
  - cryptography >= 38.0.0
"""

EXAMPLES = r"""
- name: Install the renewal agent
  dnsops.tkey.tkey_agent:
    config:
      named: {address: 192.0.2.54, xfer_log: /var/log/named/named.log}
      primaries:
        - name: ns1
          address: 192.0.2.53
          initial_key_file: /etc/bind/tkey/tkeyinit-ns1.key
          key_file: /etc/bind/tkey/transfer-ns1.key
          primaries_file: /etc/bind/tkey/primaries-ns1.conf
          key_name: ns2
          zones: [example.com]
"""

RETURN = r"""
files:
  description: The files written or removed (in check mode, to be).
  returned: success
  type: list
  elements: str
"""

import json
import os
import pkgutil
import shutil

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _agent, _files, _module
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._rollover import PrimarySettings, named_from

PACKAGE = "ansible_collections.dnsops.tkey.plugins.module_utils"

COMMAND = """#!/usr/bin/python3
# dnsops-tkey-renew: keeps this BIND secondary's TKEY transfer keys current (dnsops.tkey).
# Installed by Ansible (dnsops.tkey.tkey_agent); its library is the collection's module_utils in %(library)s.
# Usage: dnsops-tkey-renew [--check] [--status] [--force]; see --help.
import sys

sys.path.insert(0, %(library)r)
from ansible_collections.dnsops.tkey.plugins.module_utils._agent import main  # noqa: E402

raise SystemExit(main())
"""


def _library_files(library_dir):
    """{path on the host: content} of the agent's library, from this module's own payload."""
    target = os.path.join(library_dir, *PACKAGE.split("."))
    files = {}
    for name in _agent.LIBRARY:
        data = pkgutil.get_data(PACKAGE, name + ".py")
        files[os.path.join(target, name + ".py")] = data.decode("utf-8")
    return files


def _check_config(config):
    if not isinstance(config, dict):
        raise OptionError("config is required with state=present")
    unknown = sorted(set(config) - set(_agent.CONFIG_FIELDS))
    if unknown:
        raise OptionError("config has unknown keys %s; the keys are %s" % (", ".join(unknown), ", ".join(_agent.CONFIG_FIELDS)))
    if not isinstance(config.get("primaries"), list) or not config["primaries"]:
        raise OptionError("config.primaries must list at least one primary")
    named_from(config.get("named"))
    names = [PrimarySettings(values).name for values in config["primaries"]]
    if len(set(names)) != len(names):
        raise OptionError("config.primaries names a primary twice")


def run(module):
    params = module.params
    library_dir, command, config_file = params["library_dir"], params["command"], params["config_file"]
    wanted = {}
    if params["state"] == "present":
        _check_config(params["config"])
        wanted.update((path, (text, 0o644)) for path, text in _library_files(library_dir).items())
        wanted[command] = (COMMAND % dict(library=library_dir), 0o755)
        wanted[config_file] = (json.dumps(params["config"], indent=1, sort_keys=True) + "\n", 0o644)
        changed = sorted(path for path, (text, mode) in wanted.items()
                         if _files.read_text(path) != text or os.stat(path).st_mode & 0o7777 != mode)
        if not module.check_mode:
            for path in changed:
                directory = os.path.dirname(path)
                if not os.path.isdir(directory):
                    os.makedirs(directory, 0o755)
                _files.write_atomic(path, wanted[path][0], mode=wanted[path][1], group="root")
    else:
        config = None
        text = _files.read_text(config_file)
        if text:
            try:
                config = json.loads(text)
            except ValueError:
                config = None
        metrics = (config or {}).get("metrics_file") if isinstance(config, dict) else None
        changed = [path for path in (command, config_file, metrics, library_dir) if path and os.path.exists(path)]
        if not module.check_mode:
            for path in changed:
                if os.path.isdir(path):
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
    result = dict(changed=bool(changed), files=changed)
    if module._diff:
        result["diff"] = dict(before=dict(files=[]), after=dict(files=changed))
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            config=dict(type="dict"),
            config_file=dict(type="path", default="/etc/dnsops-tkey/agent.json"),
            command=dict(type="path", default="/usr/sbin/dnsops-tkey-renew"),
            library_dir=dict(type="path", default="/usr/lib/dnsops-tkey"),
        ),
        required_if=[("state", "present", ["config"])],
        supports_check_mode=True,
    )
    _module.require_libraries(module, "dnspython", "cryptography")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
