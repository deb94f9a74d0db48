# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin for dnsops.tkey.inventory_check: runs on the controller, so it can check before anything changes."""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.dnsops.tkey.plugins.module_utils._inventory import (
    HAS_DNSPYTHON,
    HOST_VARIABLES,
    Unrendered,
    check_hosts,
    check_zones,
)

PRIMARIES_GROUP = "tkey_primaries"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        task_vars = task_vars or {}
        _validation, args = self.validate_argument_spec(argument_spec=dict(
            zones=dict(type="raw", required=True),
            secondaries=dict(type="list", elements="str", required=True),
            group=dict(type="str", default="tkey_secondaries"),
            primaries=dict(type="list", elements="str"),
        ))
        problems = check_zones(args["zones"], args["secondaries"], args["group"], args["primaries"])
        groups = task_vars.get("groups") or {}
        # the hosts the task names (the role's primary_secondaries, and this primary without a tkey_primaries group)
        # and every host of the two groups
        hostvars = task_vars.get("hostvars") or {}
        named = [host for host in args["secondaries"] if host in hostvars], [host for host in args["primaries"] or [] if host in hostvars]
        secondaries = list(dict.fromkeys(named[0] + list(groups.get(args["group"]) or [])))
        primaries = list(dict.fromkeys(named[1] + list(groups.get(PRIMARIES_GROUP) or [])))
        host_vars = dict((host, self._host_variables(hostvars, host)) for host in secondaries + primaries if host in hostvars)
        problems.extend(check_hosts(host_vars, secondaries, primaries, args["group"], PRIMARIES_GROUP))
        result.update(changed=False, problems=problems, records_checked=HAS_DNSPYTHON)
        if problems:
            more = len(problems) - 1
            result["failed"] = True
            result["msg"] = problems[0] + (" (and %d more: see problems)" % more if more else "")
        return result

    def _host_variables(self, hostvars, host):
        """The variables of HOST_VARIABLES the inventory sets for HOST, rendered in that host's context.

        hostvars holds the inventory's variables (group_vars, host_vars, extra vars, facts), never a role's defaults;
        ansible-core 2.19 renders a value as it is read, older versions may return the template itself.
        """
        variables = hostvars[host]
        found = {}
        for name in HOST_VARIABLES:
            if name not in variables:
                continue
            try:
                value = variables[name]
                if isinstance(value, str) and self._templar.is_template(value):
                    value = self._templar.copy_with_new_env(available_variables=variables).template(value)
            except AnsibleError as exc:
                value = Unrendered(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            found[name] = value
        return found
