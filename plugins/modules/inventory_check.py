#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_check
short_description: Check the zones and hosts of a dnsops.tkey inventory before anything changes
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin) and changes nothing. The primary role calls it first, so a mistake in
    C(tkey_zones) or in a value the roles write into named.conf (an address, a port, a name, a path) fails the run
    before any file, key or server is touched.
  - Each problem is one line naming the zone or host, the field and the fix; the first is the failure message, all
    are in RV(problems).
  - "Zones (O(zones)): zone names (DNS names, each zone listed once, compared without case and final dot), known fields
    only, serials (0 to 4294967295), SOA timers, that every host a zone names in its C(secondaries) is one of
    O(secondaries) (and in its C(primaries) one of O(primaries)), and that every record parses."
  - Records are parsed with dnspython when the controller has it; otherwise C(named-checkzone) on the primary judges
    them when the zone file is written, and its message is shown.
  - "Hosts: every host of the group O(group) and of C(tkey_primaries), with its variables as the inventory sets them
    (host and group variables, extra vars, facts; templates rendered with the host's variables; a role's defaults and
    a play's vars are not seen here). Each needs an IP address, C(secondary_address) (C(primary_address) for a
    primary) when set, else C(tkey_address): an IPv4 or IPv6 address written as such (no prefix length, zone id, host
    name or spaces), since the roles write it into named.conf (C(listen-on), C(also-notify), C(allow-notify), primaries
    lists). Its inventory name must be usable in key and file names (letters, digits, C(-), C(_), C(.)), as it becomes
    part of C(tkeyinit-NAME)."
  - "When set in the inventory, also: the ports C(primary_port), C(secondary_port), C(primary_control_port),
    C(secondary_control_port) (1 to 65535); the names C(primary_tkey_domain), C(primary_dh_name),
    C(primary_static_suffix), C(secondary_key_name) (letters, digits, C(-), C(_), C(.)); and the paths
    C(primary_directory), C(primary_key_dir), C(primary_zone_dir), C(primary_log_dir), C(primary_fragment_dir),
    C(primary_named_conf_path), C(secondary_directory), C(secondary_key_dir), C(secondary_log_dir),
    C(secondary_named_conf_path) (absolute, without quotes, backslashes, C(;), braces or spaces)."
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
      - The zones, as in the inventory's C(tkey_zones).
    type: list
    elements: dict
    required: true
  secondaries:
    description:
      - The hosts that may be named as secondaries (the C(tkey_secondaries) group).
    type: list
    elements: str
    required: true
  group:
    description:
      - Name of that group, for the messages; its hosts' variables are checked (see above).
    type: str
    default: tkey_secondaries
  primaries:
    description:
      - The hosts that may be named in a zone's C(primaries) (the C(tkey_primaries) group); not checked when omitted.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Check the inventory before changing anything
  dnsops.tkey.inventory_check:
    zones: "{{ tkey_zones }}"
    secondaries: "{{ groups['tkey_secondaries'] }}"
"""

RETURN = r"""
problems:
  description: Every problem found, one line each; the first is also the failure message.
  returned: always
  type: list
  elements: str
records_checked:
  description: Whether the records were parsed here (dnspython on the controller).
  returned: always
  type: bool
"""
