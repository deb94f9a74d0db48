# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Attributes every module of the collection shares.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details:
      - The diff shows key names, algorithms and expiry dates, never a secret.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""

    # For modules in the tkey action group.
    ACTIONGROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/dnsops.tkey.tkey) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - dnsops.tkey.tkey
"""
