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
  - With O(keys), one call keeps many key files (a primary's initial keys for all its secondaries, a secondary's
    initial keys with all its primaries, the rndc key), and O(directories) makes the directories they go in first;
    the cost of a run stays one call whatever the number of keys.
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
      - Required unless O(keys) is given; the two exclude each other.
    type: str
  path:
    description:
      - File to write. Its directory must exist (or be listed in O(directories)).
      - An absolute path without quotes, backslashes, C(;), braces or spaces (named.conf includes it); anything else
        is refused.
      - Required with O(name).
    type: path
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
  keys:
    description:
      - Several key files in one call, each kept as O(name), O(path), O(algorithm) and O(secret) keep one (the file
        options O(mode), O(owner), O(group) apply to each). O(regenerate) and O(state) do not apply.
      - A path listed twice is refused (one key name in several files is fine).
    type: list
    elements: dict
    suboptions:
      name:
        description: Name of the key.
        type: str
        required: true
      path:
        description: File to write.
        type: path
        required: true
      algorithm:
        description: HMAC algorithm.
        type: str
        default: hmac-sha256
        choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
      secret:
        description: Base64 secret to store; when omitted a random one is made if the file holds none.
        type: str
      replace:
        description:
          - Replace the file even if it holds another key (a key staged under a fixed path whose name changes when it
            is rotated). Otherwise such a file is refused.
        type: bool
        default: false
  directories:
    description:
      - Directories made (with their missing parents) before any key is written, or given the owner, group and mode
        listed here when they differ, as M(ansible.builtin.file) with O(ansible.builtin.file#module:state=directory)
        would. A path that exists and is not a directory is refused.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The directory.
        type: path
        required: true
      owner:
        description: Its owner.
        type: str
        default: root
      group:
        description: Its group.
        type: str
        default: bind
      mode:
        description: Its mode, in octal.
        type: str
        default: "0750"
  return_secrets:
    description:
      - Return the secret of every key kept (RV(secrets)), so that a play can give each secondary its initial key
        without reading the file once per secondary.
      - Refused unless the task sets C(no_log), so that the secrets reach neither the output nor a log.
    type: bool
    default: false
seealso:
  - module: dnsops.tkey.tkey_negotiate
notes:
  - A file at O(path) that is not a key file is never overwritten; the module fails instead.
"""

EXAMPLES = r"""
- name: Make the key directory, the rndc key and one initial key per secondary in one call
  dnsops.tkey.tsig_key:
    directories:
      - path: /etc/bind/tkey
    keys:
      - name: rndc-key
        path: /etc/bind/rndc.key
      - name: tkeyinit-sec1
        path: /etc/bind/tkey/tkeyinit-sec1.key
      - name: tkeyinit-sec2
        path: /etc/bind/tkey/tkeyinit-sec2.key
    return_secrets: true
  register: initial_keys
  no_log: true

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
  returned: with O(name)
  type: str
  sample: tkeyinit-sec1
algorithm:
  description: Algorithm of the key.
  returned: with O(name)
  type: str
  sample: hmac-sha256
path:
  description: The key file.
  returned: with O(name)
  type: str
  sample: /etc/bind/tkeyinit-sec1.key
key_files:
  description: Each key of O(keys), in order, and whether its file changed (or would, in check mode).
  returned: with O(keys)
  type: list
  elements: dict
  sample: [{"name": "tkeyinit-sec1", "path": "/etc/bind/tkey/tkeyinit-sec1.key", "algorithm": "hmac-sha256", "changed": false}]
changed_paths:
  description: The directories and key files that changed (or would, in check mode); never a secret.
  returned: success
  type: list
  elements: str
  version_added: 1.1.0
  sample: [/etc/bind/tkey, /etc/bind/tkey/tkeyinit-sec2.key]
secrets:
  description:
    - "The secret of each key kept, by key name: only with O(return_secrets), and never for a key that check mode only
      predicts."
  returned: with O(return_secrets)
  type: dict
  sample: {"tkeyinit-sec1": "(base64)"}
"""

import base64
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import (
    ALGORITHMS,
    KeyFileError,
    KeyStatement,
    check_key_name,
    check_secret,
    parse_key_file,
)


def _existing_key(module, path, name, hide=True, replace=False):
    """(text, the key statement called NAME) of PATH: (None, None) if PATH is absent, (text, None) if empty."""
    text = _module.read_text(path)
    if text is None:
        return None, None
    try:
        keys = parse_key_file(text, source="the file")
    except KeyFileError as exc:
        raise KeyFileError("%s exists and is not a key file (%s); remove it or choose another path" % (path, exc))
    for key in keys if hide else ():
        _module.hide(module, key.secret)
    existing = next((key for key in keys if key.name.lower() == name.lower()), None)
    if existing is None and keys and not replace:
        raise KeyFileError("%s holds other keys (%s), not %s; choose another path" % (path, ", ".join(k.name for k in keys), name))
    return text, existing


def _keep(existing, spec):
    """Whether the key in the file is what SPEC asks for, so that it stays as it is."""
    if existing is None or existing.algorithm != spec["algorithm"]:
        return False
    if spec["secret"] is not None:
        return existing.secret_bytes == base64.b64decode(spec["secret"])
    return not spec["regenerate"]


def _check(spec, option):
    """SPEC's name and path, refused unless named.conf can take them; its secret checked when given."""
    name = check_key_name(_validate.key_name(spec["name"], option + "name"))
    path = _validate.path(spec["path"], option + "path")
    if spec.get("secret") is not None:
        check_secret(spec["secret"], option + "secret")
    return name, path


def _ensure(module, spec, option=""):
    """Make the key file SPEC asks for (or remove it): (changed, diff, the secret the file holds or None)."""
    name, path = _check(spec, option)
    state = spec.get("state", "present")
    if state == "present":
        _module.require_directory_of(module, path, option + "path")
    existing_text, existing = _existing_key(module, path, name, hide=not module.params["return_secrets"],
                                            replace=spec.get("replace", False))
    before = {"path": path, "state": "absent"}
    if existing is not None:
        before.update(state="present", name=existing.name, algorithm=existing.algorithm)
    if state == "absent":
        changed = existing_text is not None
        if changed and not module.check_mode:
            _files.remove(path)
        return changed, dict(before=before, after={"path": path, "state": "absent"}), None
    diff = dict(before=before, after={"path": path, "state": "present", "name": name, "algorithm": spec["algorithm"]})
    if _keep(existing, spec):
        return _module.ensure_attributes(module, path, diff), diff, existing.secret
    if existing_text is not None:
        diff["after"]["secret"] = "(replaced, not shown)"
    if spec["secret"] is not None:
        secret = spec["secret"].strip()
    else:
        secret = base64.b64encode(os.urandom(ALGORITHMS[spec["algorithm"]][1])).decode("ascii")
        if not module.params["return_secrets"]:
            _module.hide(module, secret)
    if not module.check_mode:
        _module.write_file(module, path, KeyStatement(name, spec["algorithm"], secret).render())
    # in check mode no secret exists yet: none is returned
    return True, diff, None if module.check_mode else secret


def _octal_mode(mode):
    try:
        return int(mode, 8) if 0 <= int(mode, 8) <= 0o7777 else None
    except ValueError:
        return None


def _directories(module, directories):
    """Make each of DIRECTORIES (or give it its owner, group and mode): (changed, diff)."""
    changed, before, after = False, {}, {}
    for entry in directories:
        path = entry["path"]
        args = module.load_file_common_arguments(dict(owner=entry["owner"], group=entry["group"], mode=entry["mode"]), path=path)
        if not os.path.isdir(path):
            changed = True
            before[path], after[path] = "absent", "directory"
            if module.check_mode:
                continue
            _files.make_directory(path, _octal_mode(entry["mode"]), entry["group"])
        entry_diff = dict(before={}, after={})
        if module.set_fs_attributes_if_different(args, False, diff=entry_diff):
            changed = True
            before[path] = before.get(path) or entry_diff["before"]
            after[path] = entry_diff["after"] if after.get(path) != "directory" else "directory"
    return changed, dict(before=before, after=after)


def run(module):
    params = module.params
    if params["return_secrets"] and not module.no_log:
        raise OptionError("return_secrets returns secrets: set no_log: true on the task")
    if params["return_secrets"]:  # the task hides its whole result: give back the secrets given too
        for entry in params["keys"] or ():
            module.no_log_values.discard(entry["secret"])
    # every refusal before the first change
    for index, entry in enumerate(params["directories"]):
        entry["path"] = _validate.path(entry["path"], "directories[%d].path" % index)
        if os.path.lexists(entry["path"]) and not os.path.isdir(entry["path"]):
            raise OptionError("%s exists and is not a directory; move it away, or choose another path" % entry["path"])
        if _octal_mode(entry["mode"]) is None:
            raise OptionError("directories[%d].mode %r is not an octal mode; give one such as '0750'" % (index, entry["mode"]))
    if params["keys"] is not None:
        paths = [os.path.normpath(entry["path"]) for entry in params["keys"]]
        if len(set(paths)) != len(paths):  # one name in several files is fine: a secondary's initial key with each primary
            raise OptionError("keys lists the path %s twice; give each key file once"
                              % next(path for path in paths if paths.count(path) > 1))
    for index, entry in enumerate(params["keys"] or ()):
        name, path = _check(entry, "keys[%d]." % index)
        _existing_key(module, path, name, hide=not params["return_secrets"], replace=entry["replace"])
    result = dict(changed=False)
    diff = dict(before={}, after={})
    if params["directories"]:
        result["changed"], dirs_diff = _directories(module, params["directories"])
        if dirs_diff["before"] or dirs_diff["after"]:
            diff["before"]["directories"], diff["after"]["directories"] = dirs_diff["before"], dirs_diff["after"]
    secrets = {}
    if params["keys"] is None:
        spec = dict((option, params[option]) for option in ("name", "path", "algorithm", "secret", "regenerate", "state"))
        key_changed, key_diff, secret = _ensure(module, spec)
        result.update(changed=result["changed"] or key_changed, name=spec["name"], algorithm=spec["algorithm"], path=spec["path"])
        diff["before"].update(key_diff["before"])
        diff["after"].update(key_diff["after"])
        if secret is not None:
            secrets[spec["name"]] = secret
    else:
        result["key_files"] = []
        for index, entry in enumerate(params["keys"]):
            spec = dict(entry, regenerate=False, state="present")
            changed, key_diff, secret = _ensure(module, spec, "keys[%d]." % index)
            result["changed"] = result["changed"] or changed
            result["key_files"].append(dict(name=entry["name"], path=entry["path"], algorithm=entry["algorithm"], changed=changed))
            if changed:
                diff["before"][entry["path"]], diff["after"][entry["path"]] = key_diff["before"], key_diff["after"]
            if secret is not None:
                secrets[entry["name"]] = secret
    result["changed_paths"] = sorted(set(diff["after"].get("directories", {})) | set(
        entry["path"] for entry in result.get("key_files", []) if entry["changed"]))
    if params["keys"] is None and key_changed:
        result["changed_paths"].append(params["path"])
    if params["return_secrets"]:
        result["secrets"] = secrets
    if module._diff:
        result["diff"] = diff
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str"),
            path=dict(type="path"),
            algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
            secret=dict(type="str", no_log=True),
            regenerate=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            keys=dict(type="list", elements="dict", no_log=False, options=dict(
                name=dict(type="str", required=True),
                path=dict(type="path", required=True),
                algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
                secret=dict(type="str", no_log=True),
                replace=dict(type="bool", default=False),
            )),
            directories=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="bind"),
                mode=dict(type="str", default="0750"),
            )),
            return_secrets=dict(type="bool", default=False),
        ),
        required_one_of=[("name", "keys")],
        required_together=[("name", "path")],
        mutually_exclusive=[("name", "keys"), ("secret", "keys")],
        add_file_common_args=True,
        supports_check_mode=True,
    )
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
