# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin for dnsops.tkey.inventory_check: runs on the controller, so it can check before anything changes."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.dnsops.tkey.plugins.module_utils._inventory import HAS_DNSPYTHON, check_zones


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=dict(
            zones=dict(type="raw", required=True),
            secondaries=dict(type="list", elements="str", required=True),
            group=dict(type="str", default="tkey_secondaries"),
            primaries=dict(type="list", elements="str"),
        ))
        problems = check_zones(args["zones"], args["secondaries"], args["group"], args["primaries"])
        result.update(changed=False, problems=problems, records_checked=HAS_DNSPYTHON)
        if problems:
            more = len(problems) - 1
            result["failed"] = True
            result["msg"] = problems[0] + (" (and %d more: see problems)" % more if more else "")
        return result
