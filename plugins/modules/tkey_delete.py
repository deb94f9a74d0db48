#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tkey_delete
short_description: Delete a key negotiated by TKEY on a BIND primary
version_added: 0.1.0
description:
  - Sends a TKEY deletion (RFC 2930 mode 5) for a negotiated key. BIND accepts it when it is signed with the key
    itself or with the initial key that negotiated it (its creator).
  - Give the key as O(key_file) (a file written by M(dnsops.tkey.tkey_negotiate)) or as O(key_name) with O(key_secret);
    the deletion is then signed with the key itself. For a superseded key whose secret is gone, give O(key_name) and
    the initial key (O(tsig_key_file) or O(tsig_key_name) with O(tsig_key_secret)); the deletion is signed with it.
  - Idempotent. A key the server does not know (deleted, expired, or lost in a restart) is V(changed=false).
  - In check mode the module asks the server whether it knows the key, without deleting it.
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.server
  - dnsops.tkey.tsig
  - dnsops.tkey.attributes
  - dnsops.tkey.attributes.actiongroup
options:
  key_file:
    description:
      - A key file written by M(dnsops.tkey.tkey_negotiate); its key is deleted, signed with itself.
      - Mutually exclusive with O(key_name).
    type: path
  key_name:
    description:
      - Full name of the negotiated key as the server knows it (for example C(sec1-20261125062851-a3f9.server)).
    type: str
  key_secret:
    description:
      - Base64 secret of O(key_name); the deletion is then signed with the key itself.
    type: str
  key_algorithm:
    description:
      - Algorithm of O(key_name) with O(key_secret). Negotiated keys are always V(hmac-md5).
    type: str
    default: hmac-md5
    choices: [hmac-md5]
  remove_key_file:
    description:
      - Also remove O(key_file) once the server no longer holds its key.
    type: bool
    default: false
seealso:
  - module: dnsops.tkey.tkey_negotiate
notes:
  - Before the TKEY deletion the module asks the server's TKEY signal (O(signal_zone)) and its C(version.bind) (CH
    TXT), and refuses, without sending it, a server that says 9.19 or later, a signal that does not say 9.18, and a
    hidden version without a signal unless O(allow_hidden_version) (BIND 9.20.0 to 9.20.20 abort on a signed TKEY
    query, CVE-2026-3119).
  - When signed with the initial key, check mode learns whether the key exists by sending a query signed under the
    key's name with a random secret (the server answers BADSIG for a name it knows, BADKEY otherwise); C(named) logs
    that query as a failed signature.
requirements:
  - dnspython >= 2.3.0
"""

EXAMPLES = r"""
- name: Delete the superseded key with the initial key that negotiated it
  dnsops.tkey.tkey_delete:
    server: 192.0.2.53
    key_name: "{{ tkey.superseded_key_name }}"
    tsig_key_file: /etc/bind/tkeyinit.key

- name: Give a key back and forget it
  dnsops.tkey.tkey_delete:
    server: 192.0.2.53
    key_file: /etc/bind/tkey-transfer.key
    remove_key_file: true
"""

RETURN = r"""
key_name:
  description: Name of the key.
  returned: success
  type: str
  sample: sec1-20261125062851-a3f9.server
deleted:
  description: Whether the server held the key and deleted it (in check mode, whether it would).
  returned: success
  type: bool
key_file_removed:
  description: Whether O(key_file) was (or, in check mode, would be) removed.
  returned: success
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError, PeerRejectedKey
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import check_key_name, read_key_file


def run(module):
    params = module.params
    server = _module.server_from_params(params)
    key_file = params["key_file"]
    own_key = None
    if key_file:
        if not os.path.exists(key_file):
            if not params["remove_key_file"]:
                raise OptionError("key_file %s does not exist; give key_name with the initial key to delete a key whose file is gone" % key_file)
            return dict(changed=False, key_name="", deleted=False, key_file_removed=False)
        statement = read_key_file(key_file)
        _module.hide(module, statement.secret)
        own_key = _tkey.key_from_statement(statement)
        key_name = own_key.name.to_text(True)
    else:
        key_name = check_key_name(params["key_name"])
        if params["key_secret"]:
            own_key = _tkey.tsig_key(key_name, params["key_secret"], params["key_algorithm"])
    signer = own_key or _module.credential_from_params(module)
    if signer is None:
        raise OptionError(
            "nothing can sign the deletion of %s; give key_secret, or the initial key that negotiated it "
            "(tsig_key_file, or tsig_key_name with tsig_key_secret)" % key_name
        )

    if not module.check_mode:
        try:
            _module.refuse_unsafe_server(params, server, signer, negotiate=False)  # no TKEY to BIND 9.19 and later
        except PeerRejectedKey:
            if own_key is None:
                raise
            deleted = False  # the signal asked with the key itself got BADKEY: the server no longer has it
        else:
            deleted = _tkey.delete(server, key_name + ".", signer)
    elif own_key is not None:
        deleted = _tkey.probe(server, own_key)
    else:
        deleted = _tkey.server_knows_key(server, key_name)
    removed = bool(key_file and params["remove_key_file"] and os.path.exists(key_file))
    if removed and not module.check_mode:
        _files.remove(key_file)
    result = dict(changed=deleted or removed, key_name=key_name, deleted=deleted, key_file_removed=removed)
    if module._diff:
        result["diff"] = dict(
            before={"key_name": key_name, "on_server": deleted or "unknown to the server", "key_file": removed},
            after={"key_name": key_name, "on_server": False, "key_file": False},
        )
    return result


def main():
    argument_spec = dict(
        key_file=dict(type="path"),
        key_name=dict(type="str"),
        key_secret=dict(type="str", no_log=True),
        key_algorithm=dict(type="str", default="hmac-md5", choices=["hmac-md5"]),
        remove_key_file=dict(type="bool", default=False),
    )
    argument_spec.update(_module.SERVER_ARGS)
    argument_spec.update(_module.TSIG_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("key_file", "key_name"), ("tsig_key_file", "tsig_key_secret"), ("key_file", "key_secret")],
        required_one_of=[("key_file", "key_name")],
        required_together=[("tsig_key_secret", "tsig_key_name")],
    )
    _module.require_libraries(module, "dnspython")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
