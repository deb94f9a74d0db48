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
  signal_zone:
    description:
      - The zone of the primary's TKEY signal (the C(dnsops.tkey.primary) role's C(primary_signal_zone), by default
        C(dnsops-tkey.<tkey-domain>)). Before any TKEY query the module asks it with a query signed with the TSIG key
        it signs TKEY with, and sends TKEY only if the signed answer says, at that moment, that the server runs BIND
        9.18 (and, to negotiate, that it negotiates keys by TKEY). This works while the server hides its version.
      - Without it, the server's C(version.bind) must say BIND 9.18; see O(allow_hidden_version).
    type: str
  allow_hidden_version:
    description:
      - Send TKEY to a server that hides its version (C(version none;) or a decoy) and gives no O(signal_zone). Only if
        you know it runs BIND 9.18, since BIND 9.20.0 to 9.20.20 abort on any signed TKEY query (CVE-2026-3119).
      - A server whose C(version.bind) or signal says 9.19 or later is refused in every case, without a TKEY query.
    type: bool
    default: false
"""
