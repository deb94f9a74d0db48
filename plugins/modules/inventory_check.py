#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: inventory_check
short_description: Check the zones and secondaries of a dnsops.tkey inventory before anything changes
version_added: 0.2.0
description:
  - Runs on the controller (an action plugin) and changes nothing. The primary role calls it first, so a mistake in
    C(tkey_zones) fails the run before any file, key or server is touched.
  - Each problem is one line naming the zone, the field and the fix. Checked are zone names (DNS names, each zone
    listed once, compared without case and final dot), known fields only, serials (0 to 4294967295), SOA timers, that
    every host a zone names in its C(secondaries) is one of O(secondaries) (and in its C(primaries) one of
    O(primaries)), and that every record parses.
  - Records are parsed with dnspython when the controller has it; otherwise C(named-checkzone) on the primary judges
    them when the zone file is written, and its message is shown.
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
      - Name of that group, for the messages.
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
