#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: dh_keypair
short_description: Create a BIND Diffie-Hellman key pair for TKEY (tkey-dhkey)
version_added: 0.1.0
description:
  - Creates C(K<name>.+002+<tag>.key) and C(.private) in O(directory), byte for byte in the format of
    C(dnssec-keygen -T KEY -a DH -n HOST) from BIND 9.18, so C(named) loads the pair as C(tkey-dhkey "<name>" <tag>).
  - Works without C(dnssec-keygen). The key is made in Python with the C(cryptography) library, so it also works
    where BIND's tools no longer make DH keys.
  - Idempotent. An existing, consistent pair for O(name) in the requested group is kept (the newest one if several).
    A pair in another group is left in place and a new pair is made beside it.
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - ansible.builtin.files
  - dnsops.tkey.attributes
options:
  name:
    description:
      - Owner name of the key, the first argument of C(tkey-dhkey) (for example C(server) or C(tkey.example.com)).
      - A DNS name of letters, digits, C(-), C(_) and C(.); anything else is refused.
    type: str
    required: true
  directory:
    description:
      - Directory for the key files. C(named) looks for the C(tkey-dhkey) pair in its C(directory) option
        (C(/var/cache/bind) on Debian).
      - An absolute path without quotes, backslashes, C(;), braces or spaces; anything else is refused.
    type: path
    required: true
  size:
    description:
      - Size of the well-known group (RFC 2539) to use. The well-known groups are sent as a one-octet index on the wire.
      - 768 bits is what BIND's documentation uses as its example, but a 768-bit discrete logarithm has been computed
        publicly; 1536 bits is the largest well-known group and the default.
      - Ignored when O(prime) is given.
    type: int
    default: 1536
    choices: [768, 1024, 1536]
  prime:
    description:
      - An explicit prime instead of a well-known group, in decimal, as C(0x) hexadecimal, or as a PEM C(DH PARAMETERS)
        block from C(openssl dhparam) (whose generator then wins over O(generator)).
    type: str
  generator:
    description:
      - Generator for O(prime).
    type: int
    default: 2
  state:
    description:
      - V(absent) removes every DH key pair of O(name) from O(directory).
    type: str
    default: present
    choices: [present, absent]
notes:
  - The private file is written atomically with mode C(0640) and group C(bind) by default, because C(named) drops to
    user C(bind) before it reads it. C(dnssec-keygen) writes C(0600), which C(named) running as C(bind) cannot open
    when the file is owned by root.
"""

EXAMPLES = r"""
- name: Make the primary's TKEY server key
  dnsops.tkey.dh_keypair:
    name: server
    directory: /var/cache/bind
  register: dhkey

- name: Use it in named.conf options
  ansible.builtin.debug:
    msg: 'tkey-domain "server"; tkey-dhkey "server" {{ dhkey.key_tag }};'
"""

RETURN = r"""
name:
  description: Owner name of the key, absolute.
  returned: always
  type: str
  sample: server.
key_tag:
  description: Key tag (key id), the second argument of C(tkey-dhkey). Not returned when check mode would create a key.
  returned: when state=present and the key exists or was created
  type: int
  sample: 29650
basename:
  description: File name stem, C(K<name>.+002+<tag>).
  returned: when state=present and the key exists or was created
  type: str
  sample: Kserver.+002+29650
public_key:
  description: The content of the C(.key) file, the KEY record to give secondaries as O(dnsops.tkey.tkey_negotiate#module:server_public_key).
  returned: when state=present and the key exists or was created
  type: str
  sample: "server. IN KEY 512 3 2 AAEBAAAAYPcjIa0BbZlQ..."
public_file:
  description: Path of the C(.key) file.
  returned: when state=present and the key exists or was created
  type: str
private_file:
  description: Path of the C(.private) file.
  returned: when state=present and the key exists or was created
  type: str
size:
  description: Size of the prime in bits.
  returned: when state=present
  type: int
  sample: 1536
removed:
  description: Base names of the pairs removed (state=absent).
  returned: when state=absent
  type: list
  elements: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import (
    DHGroup,
    DHKey,
    DHKeyError,
    find_key_pairs,
    normalize_key_name,
)
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError

# A key tag already on disk: draw again (2^16 tags, so hardly ever twice).
_TAG_ATTEMPTS = 16


def _describe(key, directory):
    stem = os.path.join(directory, key.basename)
    return dict(
        key_tag=key.tag,
        basename=key.basename,
        public_key=key.public_text().strip(),
        public_file=stem + ".key",
        private_file=stem + ".private",
        size=key.group.bits,
    )


def _new_key(name, group, directory):
    for _attempt in range(_TAG_ATTEMPTS):
        key = DHKey.generate(name, group)
        if not os.path.exists(os.path.join(directory, key.basename + ".key")):
            return key
    raise DHKeyError("could not find a free key tag for %s in %s; remove old key files" % (name, directory))


def _remove(module, directory, name):
    """Remove every DH key file of NAME (none in check mode); the base names that were (or would be) removed."""
    prefix = "K%s+002+" % name
    removed = []
    for entry in sorted(os.listdir(directory)):
        if entry.startswith(prefix) and entry.endswith((".key", ".private")):
            removed.append(entry.rsplit(".", 1)[0])
            if not module.check_mode:
                _files.remove(os.path.join(directory, entry))
    return sorted(set(removed))


def run(module):
    params = module.params
    # both are written into named.conf: tkey-dhkey "NAME" TAG; directory "DIRECTORY";
    name = normalize_key_name(_validate.key_name(params["name"], "name"))
    directory = _validate.directory(params["directory"], "directory")
    if params["prime"]:
        group = DHGroup.from_text(params["prime"], params["generator"])
    else:
        group = DHGroup.well_known(params["size"])
    if os.path.isdir(directory):
        pairs, problems = find_key_pairs(directory, name)
    elif module.check_mode:  # an earlier task of the same run would make it
        pairs, problems = [], []
    else:
        raise OptionError("directory %s does not exist; create it first (named's 'directory' option)" % directory)
    for key in pairs:
        _module.hide(module, str(key.x))
    result = dict(changed=False, name=name)
    before = sorted(key.basename for key in pairs)
    diff = dict(before={"keys": before}, after={"keys": before})

    if params["state"] == "absent":
        removed = _remove(module, directory, name) if os.path.isdir(directory) else []
        result.update(changed=bool(removed), removed=removed)
        diff["after"] = {"keys": []}
    else:
        result["size"] = group.bits
        matching = [key for key in pairs if key.group == group]
        if matching:  # keep the pair (the newest first), but give both files the requested attributes
            result.update(_describe(matching[0], directory))
            changed = _module.ensure_attributes(module, result["private_file"], diff)
            result["changed"] = _module.ensure_attributes(module, result["public_file"], diff) or changed
        else:
            result["changed"] = True
            if module.check_mode:
                diff["after"] = {"keys": before + ["K%s+002+(new)" % name]}
            else:
                key = _new_key(name, group, directory)
                result.update(_describe(key, directory))
                # .private first: a .key without its .private is the state named cannot use.
                _module.write_file(module, result["private_file"], key.private_text())
                _module.write_file(module, result["public_file"], key.public_text())
                diff["after"] = {"keys": sorted(before + [key.basename])}
    for problem in problems:
        module.warn("ignored an unusable key pair: %s" % problem)
    if module._diff:
        result["diff"] = diff
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            directory=dict(type="path", required=True),
            size=dict(type="int", default=1536, choices=[768, 1024, 1536]),
            prime=dict(type="str"),
            generator=dict(type="int", default=2),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    _module.require_libraries(module, "cryptography")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
