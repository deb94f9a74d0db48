# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The initial TSIG key: the pre-shared key that signs TKEY queries and owns negotiated keys.
    DOCUMENTATION = r"""
options:
  tsig_key_name:
    description:
      - Name of the initial TSIG key, as the server knows it (C(key "NAME") in its C(named.conf)).
      - Every key negotiated with an initial key is owned by it. The server's C(allow-transfer) ACLs name the
        initial key, so one initial key per secondary scopes what each secondary may transfer.
      - With O(tsig_key_file), selects the key when the file holds more than one.
    type: str
  tsig_key_secret:
    description:
      - Base64 secret of the initial key. Mutually exclusive with O(tsig_key_file).
    type: str
  tsig_key_algorithm:
    description:
      - Algorithm of the initial key given by O(tsig_key_name) and O(tsig_key_secret), as C(tsig-keygen) names it.
      - Ignored with O(tsig_key_file), which states its algorithm.
    type: str
    default: hmac-sha256
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
  tsig_key_file:
    description:
      - A file in C(named.conf) key syntax holding the initial key, as written by M(dnsops.tkey.tsig_key) or C(tsig-keygen).
    type: path
"""
