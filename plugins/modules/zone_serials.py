#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: zone_serials
short_description: Refuse an inventory that would lower a zone's serial on a primary, before anything changes
version_added: 0.3.0
description:
  - Runs on the primary and changes nothing. For each zone whose content the primary role writes, compares the serial
    the inventory wants with the one the primary has now, in RFC 1982 serial arithmetic as BIND does, and fails when
    the wanted one is lower (or exactly 2^31 away, which BIND takes as neither higher nor lower). Written anyway, such
    a zone would leave every secondary on its higher serial, taking no change until the serial passes theirs again.
  - What the primary has now is the serial C(named) serves (one unsigned SOA query over UDP to O(server)); for a zone
    it does not serve (no answer as named is stopped, or REFUSED, or SERVFAIL) the SOA serial of its zone file
    O(zone_dir)/C(db.<zone>). A zone without either (the first run) passes, as does an equal or higher serial.
  - Each problem is one line naming the zone and both serials; the first is the failure message and all are in
    RV(problems). The primary role runs it right after reading the BIND version, before its first change.
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
options:
  zones:
    description:
      - The zones to compare, each with C(name) and either C(serial) (a zone given with records) or C(content) (the
        zone file the role will write, whose SOA serial is the wanted one).
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The zone's name.
        type: str
        required: true
      serial:
        description: The serial the inventory gives the zone.
        type: int
      content:
        description: The zone file the role writes for the zone (a zone given as a C(file)); its first SOA record's serial.
        type: str
      file:
        description: Where C(content) comes from (the inventory's C(file)), for the messages.
        type: str
  server:
    description: Address the primary's C(named) answers on (the role's C(primary_address)).
    type: str
    required: true
  port:
    description: Its DNS port.
    type: int
    default: 53
  timeout:
    description:
      - Seconds to wait for each answer. After one query without any answer the module takes C(named) as stopped
        and reads the zone files of the remaining zones without asking.
    type: float
    default: 3.0
  zone_dir:
    description: Directory of the zone files, C(db.<zone>) (the role's C(primary_zone_dir)).
    type: path
    required: true
seealso:
  - module: dnsops.tkey.inventory_check
notes:
  - The zone file is read only as far as its first 64 KiB, enough for the SOA record of a zone of any size.
requirements:
  - dnspython >= 2.3.0
"""

EXAMPLES = r"""
- name: Refuse a serial lower than the one the primary serves now
  dnsops.tkey.zone_serials:
    server: 192.0.2.53
    zone_dir: /etc/bind/zones
    zones:
      - name: example.com
        serial: 2026112501
      - name: example.net
        content: "{{ lookup('ansible.builtin.file', 'zones/example.net.db') }}"
        file: zones/example.net.db
"""

RETURN = r"""
zones:
  description: Each zone as compared.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The zone.
      type: str
    wanted:
      description: The serial the inventory wants; null when its content has no SOA record.
      type: int
    current:
      description: The serial the primary has now; null when named does not serve the zone and it has no zone file.
      type: int
    source:
      description: Where RV(zones[].current) comes from, V(named) (served now), V(file) (the zone file) or V(none).
      type: str
    verdict:
      description: >-
        RV(zones[].wanted) against RV(zones[].current): V(equal), V(higher), V(lower), V(undefined) (2^31 apart),
        V(new) (nothing to compare with) or V(unknown) (no wanted serial).
      type: str
  sample:
    - {name: example.com, wanted: 2026112502, current: 2026112501, source: named, verdict: higher}
problems:
  description: Every refusal, one line each; the first is also the failure message.
  returned: always
  type: list
  elements: str
named_answered:
  description: Whether named answered at least one query (false while it is stopped).
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _module, _serials


def run(module):
    params = module.params
    primary = _serials.PrimarySerials(_module.server_from_params(dict(params, transport="udp")), params["zone_dir"])
    zones = [dict((key, value) for key, value in zone.items() if value is not None) for zone in params["zones"]]
    report, warnings = _serials.require_forward(zones, primary.served, primary.on_disk)
    for warning in primary.warnings + warnings:
        module.warn(warning)
    return dict(changed=False, zones=report, problems=[], named_answered=primary.answered)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            zones=dict(type="list", elements="dict", required=True, options=dict(
                name=dict(type="str", required=True),
                serial=dict(type="int"),
                content=dict(type="str"),
                file=dict(type="str"),
            )),
            server=dict(type="str", required=True),
            port=dict(type="int", default=53),
            timeout=dict(type="float", default=3.0),
            zone_dir=dict(type="path", required=True),
        ),
        supports_check_mode=True,
    )
    _module.require_libraries(module, "dnspython")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
