# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Where the TKEY server (the primary's named) is and how to talk to it.
    DOCUMENTATION = r"""
options:
  server:
    description:
      - Address (or name) of the primary's C(named) that negotiates keys (the server with C(tkey-dhkey)).
    type: str
    required: true
  port:
    description:
      - Port the server answers DNS on.
    type: int
    default: 53
  transport:
    description:
      - Transport for the TKEY exchange.
      - V(tcp) is the default and recommended. Over V(udp) a large answer (the 1536-bit group without
        EDNS) is truncated after the server has already created the key, and the key is orphaned;
        over UDP the modules ask for EDNS with a 4096-octet buffer and fail on truncation.
    type: str
    default: tcp
    choices: [tcp, udp]
  timeout:
    description:
      - Seconds to wait for each answer from the server.
    type: float
    default: 10.0
"""
