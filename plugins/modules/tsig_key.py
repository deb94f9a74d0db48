#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tsig_key
short_description: Create a TSIG key file in named.conf syntax, like tsig-keygen
version_added: 0.1.0
description:
  - Writes C(key "NAME" { algorithm ALG; secret "BASE64"; };) to O(path), laid out as C(tsig-keygen) writes it,
    ready for C(include) in C(named.conf) and for the O(dnsops.tkey.tkey_negotiate#module:tsig_key_file) option.
  - Idempotent. An existing file that already holds key O(name) with algorithm O(algorithm) is kept (and, when
    O(secret) is given, only if it holds that secret). The secret is never returned or shown in a diff.
  - The file is written atomically; by default it is mode C(0640) and, when the group exists, group C(bind).
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - ansible.builtin.files
  - dnsops.tkey.attributes
options:
  name:
    description:
      - Name of the key, as C(named.conf) and TSIG signatures spell it (for example C(tkeyinit-sec1)).
      - A DNS name of letters, digits, C(-), C(_) and C(.); anything else is refused.
    type: str
    required: true
  path:
    description:
      - File to write. Its directory must exist.
      - An absolute path without quotes, backslashes, C(;), braces or spaces (named.conf includes it); anything else
        is refused.
    type: path
    required: true
  algorithm:
    description:
      - HMAC algorithm. The initial key of a TKEY exchange may use any of them; keys negotiated by TKEY
        are always C(hmac-md5) (the only algorithm BIND 9.18 creates).
    type: str
    default: hmac-sha256
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
  secret:
    description:
      - Base64 secret to store, for a key that exists elsewhere (for example in a vault).
      - When omitted, a random secret of the algorithm's digest length is made, as C(tsig-keygen) does.
    type: str
  regenerate:
    description:
      - Make a new random secret even if the file already holds a matching key. Ignored with O(secret).
    type: bool
    default: false
  state:
    description:
      - V(absent) removes O(path) if it holds key O(name).
    type: str
    default: present
    choices: [present, absent]
seealso:
  - module: dnsops.tkey.tkey_negotiate
notes:
  - A file at O(path) that is not a key file is never overwritten; the module fails instead.
"""

EXAMPLES = r"""
- name: Create the initial key one secondary uses for TKEY
  dnsops.tkey.tsig_key:
    name: tkeyinit-sec1
    path: /etc/bind/tkeyinit-sec1.key

- name: Store a key kept in a vault
  dnsops.tkey.tsig_key:
    name: tkeyinit-sec1
    algorithm: hmac-sha256
    secret: "{{ vault_tkeyinit_sec1 }}"
    path: /etc/bind/tkeyinit-sec1.key
"""

RETURN = r"""
name:
  description: Name of the key.
  returned: always
  type: str
  sample: tkeyinit-sec1
algorithm:
  description: Algorithm of the key.
  returned: always
  type: str
  sample: hmac-sha256
path:
  description: The key file.
  returned: always
  type: str
  sample: /etc/bind/tkeyinit-sec1.key
"""

import base64
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import (
    ALGORITHMS,
    KeyFileError,
    KeyStatement,
    check_key_name,
    check_secret,
    parse_key_file,
)


def _existing_key(module, path, name):
    """(text, the key statement called NAME) of PATH: (None, None) if PATH is absent, (text, None) if empty."""
    text = _module.read_text(path)
    if text is None:
        return None, None
    try:
        keys = parse_key_file(text, source="the file")
    except KeyFileError as exc:
        raise KeyFileError("%s exists and is not a key file (%s); remove it or choose another path" % (path, exc))
    for key in keys:
        _module.hide(module, key.secret)
    existing = next((key for key in keys if key.name.lower() == name.lower()), None)
    if existing is None and keys:
        raise KeyFileError("%s holds other keys (%s), not %s; choose another path" % (path, ", ".join(k.name for k in keys), name))
    return text, existing


def _keep(existing, params):
    """Whether the key in the file is what the options ask for, so that it stays as it is."""
    if existing is None or existing.algorithm != params["algorithm"]:
        return False
    if params["secret"] is not None:
        return existing.secret_bytes == base64.b64decode(params["secret"])
    return not params["regenerate"]


def run(module):
    params = module.params
    # the name goes into key "NAME", and named.conf includes the file by its path
    name = check_key_name(_validate.key_name(params["name"], "name"))
    path = _validate.path(params["path"], "path")
    algorithm = params["algorithm"]
    if params["secret"] is not None:
        check_secret(params["secret"], "secret option")
    if params["state"] == "present":
        _module.require_directory_of(module, path, "path")
    existing_text, existing = _existing_key(module, path, name)
    result = dict(changed=False, name=name, algorithm=algorithm, path=path)
    before = {"path": path, "state": "absent"}
    if existing is not None:
        before.update(state="present", name=existing.name, algorithm=existing.algorithm)

    if params["state"] == "absent":
        if existing_text is not None:
            result["changed"] = True
            if not module.check_mode:
                _files.remove(path)
        diff = dict(before=before, after={"path": path, "state": "absent"})
    else:
        diff = dict(before=before, after={"path": path, "state": "present", "name": name, "algorithm": algorithm})
        if _keep(existing, params):
            result["changed"] = _module.ensure_attributes(module, path, diff)
        else:
            result["changed"] = True
            if existing is not None:
                diff["after"]["secret"] = "(replaced, not shown)"
            if params["secret"] is not None:
                secret = params["secret"].strip()
            else:
                secret = base64.b64encode(os.urandom(ALGORITHMS[algorithm][1])).decode("ascii")
                _module.hide(module, secret)
            if not module.check_mode:
                _module.write_file(module, path, KeyStatement(name, algorithm, secret).render())
    if module._diff:
        result["diff"] = diff
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            path=dict(type="path", required=True),
            algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
            secret=dict(type="str", no_log=True),
            regenerate=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
