#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tkey_negotiate
short_description: Agree on a TSIG key with a BIND primary by TKEY Diffie-Hellman
version_added: 0.1.0
description:
  - Runs on the host that will use the key (a secondary). It sends a TKEY query (RFC 2930 mode 2) signed with the
    initial key; the primary answers with its DH public key, and both sides compute the same HMAC-MD5 secret. The
    secret never crosses the wire.
  - Writes the negotiated key to O(dest) in C(named.conf) syntax with its metadata (server, expiry), ready for
    C(include) and for C(primaries { ADDRESS key NAME; };).
  - Idempotent. While O(dest) holds a key that is not due for renewal and that the server still accepts (checked with
    one query signed with that key), nothing is negotiated. Otherwise a new key is negotiated under a fresh name,
    proved with one signed query, written atomically, and the superseded key's name is returned so that it can be
    deleted with M(dnsops.tkey.tkey_delete) once C(named) uses the new one.
  - A primary loses every negotiated key when C(named) restarts. The next run notices (the server answers BADKEY)
    and negotiates again.
  - If anything fails, O(dest) is left as it was.
  - In check mode nothing is negotiated or written; at most one query signed with the current key is sent. A
    O(tsig_key_file) that does not exist yet is accepted in check mode (an earlier task of the same run would make it).
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - ansible.builtin.files
  - dnsops.tkey.server
  - dnsops.tkey.tsig
  - dnsops.tkey.attributes
  - dnsops.tkey.attributes.actiongroup
options:
  key_name:
    description:
      - Base of the requested key name, usually the secondary's name. Each negotiation asks for
        C(<key_name>-<UTC time>-<random>) because the server refuses a name that is still live (BADNAME);
        the server appends its C(tkey-domain), so the key is called for example C(sec1-20261125062851-a3f9.server).
    type: str
    required: true
  dest:
    description:
      - File to write the negotiated key to (C(named.conf) syntax). Its directory must exist.
    type: path
    required: true
  server_public_key:
    description:
      - The server's DH public key (its C(tkey-dhkey)), as the content of its C(K*.key) file or as a path to it.
      - It sets the DH group and pins the server's key. An answer carrying another server key is refused.
      - When omitted, the group is taken from O(client_key), else the well-known groups are tried in turn, and the
        server's key is returned in RV(server_public_key) for pinning.
    type: str
  client_key:
    description:
      - A BIND DH key pair of this host, given by its K-file base name with or without C(.key)
        (for example C(/etc/bind/Ksec1.+002+12345)). It must be in the server's group.
      - By default a fresh ephemeral key pair is made for each negotiation, which is what you want.
    type: path
  lifetime:
    description:
      - How long the negotiated key lives, in seconds or as a duration such as V(30d), V(12h) or V(1d12h).
      - V(0) asks for a key that never expires.
    type: str
    default: 30d
  renew_before:
    description:
      - Negotiate a new key when the one in O(dest) expires within this time. Must be shorter than O(lifetime).
    type: str
    default: 7d
  force:
    description:
      - Negotiate a new key even if the current one is good (rollover).
    type: bool
    default: false
  backup:
    description:
      - Keep a copy of the key O(dest) held before this run replaced it, and return its path in RV(backup_file),
        so that a rollover can be undone if the new key does not work out (the old key stays valid on the server
        until it is deleted).
    type: bool
    default: false
  return_secret:
    description:
      - Return the negotiated secret in RV(secret). Off by default; the secret is otherwise never returned or logged.
    type: bool
    default: false
seealso:
  - module: dnsops.tkey.tkey_delete
  - module: dnsops.tkey.tsig_key
  - name: RFC 2930
    description: Secret Key Establishment for DNS (TKEY RR).
    link: https://www.rfc-editor.org/rfc/rfc2930
notes:
  - Needs BIND 9.18 on the server. BIND 9.20 removed TKEY Diffie-Hellman, and BIND 9.20.0 to 9.20.20 abort on any
    signed TKEY query (CVE-2026-3119). Before its first TKEY query the module asks the server's TKEY signal
    (O(signal_zone)) and its C(version.bind) (CH TXT), and refuses, without sending TKEY, a server that says 9.19 or
    later, a signal that does not say 9.18 with the tkey method, and a hidden version without a signal (unless
    O(allow_hidden_version)).
requirements:
  - dnspython >= 2.3.0
  - cryptography >= 38.0.0
"""

EXAMPLES = r"""
- name: Negotiate this secondary's transfer key
  dnsops.tkey.tkey_negotiate:
    server: 192.0.2.53
    key_name: "{{ inventory_hostname_short }}"
    tsig_key_file: /etc/bind/tkeyinit.key
    server_public_key: "{{ primary_dh_public_key }}"
    dest: /etc/bind/tkey-transfer.key
  register: tkey

- name: Delete the superseded key once named uses the new one
  dnsops.tkey.tkey_delete:
    server: 192.0.2.53
    key_name: "{{ tkey.superseded_key_name }}"
    tsig_key_file: /etc/bind/tkeyinit.key
  when: tkey.superseded_key_name is truthy
"""

RETURN = r"""
key_name:
  description: Name of the key in O(dest), as the server knows it.
  returned: success
  type: str
  sample: sec1-20261125062851-a3f9.server
key_algorithm:
  description: Algorithm of the negotiated key.
  returned: success
  type: str
  sample: hmac-md5
inception:
  description: Start of the key's validity, UTC.
  returned: success
  type: str
  sample: "2026-11-25T06:28:51Z"
expiration:
  description: End of the key's validity, UTC; empty for a key that never expires.
  returned: success
  type: str
  sample: "2026-12-25T06:28:51Z"
expiration_epoch:
  description: End of the key's validity in seconds since the epoch; 0 for a key that never expires.
  returned: success
  type: int
reason:
  description:
    - Why a key was (or, in check mode, would be) negotiated, or V(current) when none was.
    - One of V(current), V(absent), V(forced), V(expiring), V(rejected) (the server no longer accepts the key,
      for example after a restart), V(server_changed), V(key_name_changed), V(server_key_changed) (O(server_public_key)
      differs from the key the current one was negotiated with), V(unmanaged) (O(dest) lacks metadata).
  returned: success
  type: str
  sample: rejected
superseded_key_name:
  description: Name of the key this run replaced in O(dest), to be deleted on the server after the switch; empty if none.
  returned: success
  type: str
server_public_key:
  description: The server's DH public key as a KEY record, for pinning with O(server_public_key).
  returned: when a key was negotiated
  type: str
server_key_tag:
  description: Key tag of the server's DH key.
  returned: when a key was negotiated
  type: int
backup_file:
  description: Copy of the replaced key file.
  returned: when a key was replaced and O(backup=true)
  type: str
  sample: /etc/bind/tkey/transfer.key.12345.2026-11-25@06:28:51~
secret:
  description: Base64 secret of the negotiated key.
  returned: when a key was negotiated and O(return_secret=true)
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _module, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import load_key
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import KeyFileError, OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import parse_key_file


def _current_key(module, dest):
    """The key statement in DEST, or None when DEST does not exist; its secret is hidden at once."""
    text = _module.read_text(dest)
    if text is None:
        return None
    try:
        keys = parse_key_file(text, source="the file")
    except KeyFileError as exc:
        raise KeyFileError("%s exists and is not a key file (%s); remove it or choose another dest" % (dest, exc))
    for key in keys:
        _module.hide(module, key.secret)
    if len(keys) != 1:
        raise KeyFileError("%s holds %d keys; dest must be a file of its own" % (dest, len(keys)))
    return keys[0]


def _summary(statement):
    """What the diff shows of a key: never its secret."""
    if statement is None:
        return {}
    meta = statement.metadata
    return {
        "key_name": statement.name,
        "key_algorithm": statement.algorithm,
        "expiration": meta.get("expiration_utc", ""),
        "server": "%s#%s" % (meta.get("server", "?"), meta.get("port", "?")),
    }


def _result_fields(statement):
    meta = statement.metadata
    expiration = int(meta.get("expiration", "0") or 0)
    return dict(
        key_name=statement.name,
        key_algorithm=statement.algorithm,
        inception=_tkey.isoformat(int(meta.get("inception", "0") or 0)),
        expiration=_tkey.isoformat(expiration),
        expiration_epoch=expiration,
    )


def run(module):
    params = module.params
    # Every option is checked before anything is sent or written.
    server = _module.server_from_params(params)
    if module.check_mode and params["tsig_key_file"] and not os.path.exists(params["tsig_key_file"]):
        credential = None  # made by an earlier task of this run, which check mode only predicted
    else:
        credential = _module.credential_from_params(module)
        if credential is None:
            raise OptionError("the initial key is missing; give tsig_key_file, or tsig_key_name with tsig_key_secret")
    lifetime = _tkey.parse_duration(params["lifetime"], "lifetime")
    renew_before = _tkey.parse_duration(params["renew_before"], "renew_before")
    if lifetime and renew_before >= lifetime:
        raise OptionError("renew_before (%ds) must be shorter than lifetime (%ds), or every run would renew" % (renew_before, lifetime))
    if lifetime > _tkey.MAX_LIFETIME:
        raise OptionError("lifetime %d is out of range; use 0 (never expires) or up to %d seconds (about 68 years)" % (lifetime, _tkey.MAX_LIFETIME))
    server_key = _module.server_key_from_param(params["server_public_key"]) if params["server_public_key"] else None
    client_key = load_key(params["client_key"]) if params["client_key"] else None
    if client_key is not None:
        _module.hide(module, str(client_key.x))
    _tkey.check_base_name(params["key_name"])
    dest = params["dest"]
    _module.require_directory_of(module, dest, "dest")

    current = _current_key(module, dest)
    reason = _tkey.renewal_reason(current, server, params["key_name"], server_key, renew_before, params["force"])
    result = dict(changed=False, reason=reason, superseded_key_name="")
    if current is not None:
        result.update(_result_fields(current))
    before = _summary(current)

    if reason == "current":
        diff = dict(before=dict(before), after=dict(before))
        result["changed"] = _module.ensure_attributes(module, dest, diff)
        if module._diff:
            result["diff"] = diff
        return result

    result["changed"] = True
    result["superseded_key_name"] = current.name if current is not None else ""
    if module.check_mode:
        if module._diff:
            result["diff"] = dict(before=before, after={"key_name": "(new key, %s)" % reason})
        return result

    _module.refuse_unsafe_server(params, server, credential)  # its signal or version.bind: no TKEY to BIND 9.19 and later
    key = _tkey.negotiate_proved(server, credential, params["key_name"], server_key=server_key, client_key=client_key, lifetime=lifetime)
    if not params["return_secret"]:
        _module.hide(module, key.secret_b64)
    if params["backup"] and current is not None:
        result["backup_file"] = module.backup_local(dest)
    _module.write_file(module, dest, key.key_file_text(server, params["key_name"]))
    statement = key.statement(server, params["key_name"])
    result.update(_result_fields(statement))
    result["server_public_key"] = key.server_key.public_text().strip()
    result["server_key_tag"] = key.server_key.tag
    if params["return_secret"]:
        result["secret"] = key.secret_b64
    if module._diff:
        result["diff"] = dict(before=before, after=_summary(statement))
    return result


def main():
    argument_spec = dict(
        key_name=dict(type="str", required=True, no_log=False),
        dest=dict(type="path", required=True),
        server_public_key=dict(type="str"),
        client_key=dict(type="path", no_log=False),
        lifetime=dict(type="str", default="30d"),
        renew_before=dict(type="str", default="7d"),
        force=dict(type="bool", default=False),
        return_secret=dict(type="bool", default=False, no_log=False),
        backup=dict(type="bool", default=False),
    )
    argument_spec.update(_module.SERVER_ARGS)
    argument_spec.update(_module.TSIG_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        add_file_common_args=True,
        supports_check_mode=True,
        mutually_exclusive=[("tsig_key_file", "tsig_key_secret")],
        required_together=[("tsig_key_secret", "tsig_key_name")],
    )
    _module.require_libraries(module, "dnspython", "cryptography")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
