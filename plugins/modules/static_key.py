#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: static_key
short_description: One secondary's static transfer keys on a primary, rotated with overlap
version_added: 0.2.0
description:
  - For primaries that cannot negotiate keys by TKEY (BIND 9.20 removed it) or that are told not to, the primary
    makes one transfer key per secondary (like C(tsig-keygen), C(hmac-sha256) by default) and the zone ACLs name it.
  - Keeps the keys of one secondary in O(directory), one file per key (key statement with the time it was made).
    A new key is made when there is none, when the newest is older than O(lifetime) minus O(renew_before), or with
    O(rotate) (both unless O(replace_due=false)); the older keys stay, so that the ACLs accept old and new while the
    secondary switches. Each key returned says when it will be replaced (RV(static_keys[].replace_after_utc)).
    O(keep) then retires every key but the one the secondary proved it uses.
  - The secret is never shown in a diff, and returned only with O(return_secrets) (the primary role gives each
    secondary its newest key that way, from one call for all of them).
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
options:
  secondary:
    description:
      - Inventory name of the secondary; the keys are called C(<secondary>-<UTC time>.<suffix>).
      - Required unless O(secondaries) is given; the two exclude each other.
    type: str
  suffix:
    description: Last labels of the key names (the primary's name, so that keys of different primaries differ).
    type: str
    required: true
  directory:
    description: Directory of this secondary's keys (created root:bind 0750). Required with O(secondary).
    type: path
  secondaries:
    description:
      - The keys of several secondaries in one call (a primary's whole list), each as O(secondary), O(directory),
        O(rotate) and O(keep) keep one; the other options apply to all. A name or a directory listed twice is refused.
    type: list
    elements: dict
    version_added: 1.1.0
    suboptions:
      name:
        description: Inventory name of the secondary.
        type: str
        required: true
      directory:
        description: Directory of its keys.
        type: path
        required: true
      rotate:
        description: Make a new key for it now.
        type: bool
        default: false
      keep:
        description: Retire every key of it but this one; empty keeps them all.
        type: str
        default: ""
  return_secrets:
    description:
      - Return the newest key's secret (RV(current_secret), with O(secondaries) in each of RV(secondaries)), so that a
        play can give each secondary its key without reading a file per secondary.
      - Refused unless the task sets C(no_log), so that the secrets reach neither the output nor a log.
    type: bool
    default: false
    version_added: 1.1.0
  algorithm:
    description: HMAC algorithm of new keys.
    type: str
    default: hmac-sha256
    choices: [hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512]
  lifetime:
    description: Age (seconds, or a duration such as V(30d)) after which a key is replaced; V(0) never.
    type: str
    default: 30d
  renew_before:
    description: Replace the key this long before it reaches O(lifetime).
    type: str
    default: 7d
  rotate:
    description: Make a new key now.
    type: bool
    default: false
  replace_due:
    description:
      - Whether a key due by age (or O(rotate)) is replaced. V(false) only reports when each key will be replaced
        (RV(static_keys[].replace_after)), without making or, in check mode, predicting a new key; a secondary without any key
        still gets its first. The primary role's C(facts) entry point reads the keys this way.
    type: bool
    default: true
    version_added: 0.3.0
  keep:
    description: Retire every key but this one (the secondary uses it); empty keeps them all.
    type: str
    default: ""
  state:
    description: V(absent) removes every key of the secondary (revocation).
    type: str
    default: present
    choices: [present, absent]
"""

EXAMPLES = r"""
- name: Keep a static transfer key for ns2
  dnsops.tkey.static_key:
    secondary: ns2
    suffix: ns1.xfr
    directory: /etc/bind/tkey/xfr-ns2
  register: ns2_keys

- name: Keep the static transfer keys of every secondary of this primary in one call
  dnsops.tkey.static_key:
    suffix: ns1.xfr
    secondaries:
      - name: ns2
        directory: /etc/bind/tkey/xfr-ns2
      - name: ns3
        directory: /etc/bind/tkey/xfr-ns3
        rotate: true
    return_secrets: true
  register: all_keys
  no_log: true
"""

RETURN = r"""
static_keys:
  description:
    - The keys, oldest first, without their secrets.
    - Before 1.0.0 this was C(keys), which Jinja's dot notation cannot reach (C(result.keys) is the dict method).
  returned: success
  type: list
  elements: dict
  version_added: 1.0.0
  contains:
    name:
      description: Key name.
      type: str
    file:
      description: Its file.
      type: str
    created:
      description: When it was made, seconds since the epoch.
      type: int
    algorithm:
      description: Its HMAC algorithm.
      type: str
      version_added: 1.1.0
    replace_after:
      description:
        - When a new key replaces it (O(lifetime) minus O(renew_before) after RV(static_keys[].created)), seconds since the
          epoch; V(0) with O(lifetime=0) (never). Keys older than that are replaced on the primary role's next run.
      type: int
      version_added: 0.3.0
    replace_after_utc:
      description: The same as UTC time, for example V(2027-01-01T00:00:00Z); empty for never.
      type: str
      version_added: 0.3.0
current:
  description: The newest key's name (the one secondaries switch to); empty with V(state=absent).
  returned: success
  type: str
current_file:
  description: Its file.
  returned: success
  type: str
rotated:
  description: Whether a new key was (or in check mode would be) made.
  returned: success
  type: bool
retired:
  description: The keys O(keep) removed.
  returned: when keys were retired
  type: list
  elements: str
current_secret:
  description: The newest key's secret; not for a key check mode only predicts.
  returned: with O(return_secrets)
  type: str
  version_added: 1.1.0
secondaries:
  description:
    - With O(secondaries), one result per secondary, in order, each with RV(static_keys), RV(current),
      RV(current_file), RV(rotated), RV(retired), RV(current_secret) as above, C(secondary) (its name) and C(changed).
    - The top-level RV(static_keys), RV(current) and the others are not returned then.
  returned: with O(secondaries)
  type: list
  elements: dict
  version_added: 1.1.0
"""

import base64
import datetime
import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import KeyFileError, OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import ALGORITHMS, KeyStatement, check_key_name, parse_key_file


def _read_keys(module, directory, hide_newest=True):
    keys = []
    if not os.path.isdir(directory):
        return keys
    for entry in sorted(os.listdir(directory)):
        if not entry.endswith(".key"):
            continue
        path = os.path.join(directory, entry)
        try:
            (statement,) = parse_key_file(_files.read_text(path), source=path)
        except (KeyFileError, ValueError):
            raise KeyFileError("%s is not a key file static_key wrote; move it away and run again" % path)
        try:
            created = int(statement.metadata.get("created", "0"))
        except ValueError:
            created = 0
        keys.append(dict(name=statement.name, file=path, created=created, algorithm=statement.algorithm, secret=statement.secret))
    keys.sort(key=lambda key: (key["created"], key["name"]))
    for key in keys[:-1] if not hide_newest else keys:  # the newest is returned with return_secrets
        _module.hide(module, key["secret"])
    return keys


def _replacement(created, lifetime, renew_before):
    """When a key made at CREATED is replaced: lifetime minus renew_before later; never (0) with lifetime 0."""
    if not lifetime:
        return dict(replace_after=0, replace_after_utc="")
    when = created + max(lifetime - renew_before, 0)
    return dict(replace_after=when, replace_after_utc=_tkey.isoformat(when))


def _one(module, secondary, directory, rotate, keep, lifetime, renew_before, now):
    """Keep SECONDARY's keys in DIRECTORY: (its result, its diff)."""
    params = module.params
    keys = _read_keys(module, directory, hide_newest=not params["return_secrets"])
    before = [key["name"] for key in keys]
    result = dict(secondary=secondary, changed=False, rotated=False)
    if params["state"] == "absent":
        result.update(changed=bool(keys) or os.path.isdir(directory), static_keys=[], current="", current_file="")
        if not module.check_mode:
            for key in keys:
                _files.remove(key["file"])
            if os.path.isdir(directory) and not os.listdir(directory):
                os.rmdir(directory)
        return result, dict(before=dict(keys=before), after=dict(keys=[]))
    for key in keys:
        key.update(_replacement(key["created"], lifetime, renew_before))
    newest = keys[-1] if keys else None
    due = newest is None or params["replace_due"] and (
        rotate or bool(lifetime and now - newest["created"] >= lifetime - renew_before))
    if keep and not due:
        retired = [key for key in keys if key["name"] != keep]
        if keep not in [key["name"] for key in keys]:
            retired = []  # the secondary reported a key this primary does not hold: retire nothing
        if retired:
            result["changed"] = True
            keys = [key for key in keys if key not in retired]
            if not module.check_mode:
                for key in retired:
                    _files.remove(key["file"])
            result["retired"] = [key["name"] for key in retired]
    secret = None
    if due:
        stamp = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
        name = check_key_name("%s-%s.%s" % (secondary, stamp, params["suffix"].strip(".")))
        path = os.path.join(directory, name + ".key")
        result.update(changed=True, rotated=True)
        if not module.check_mode:
            _files.make_directory(directory, 0o750, "bind")
            secret = base64.b64encode(os.urandom(ALGORITHMS[params["algorithm"]][1])).decode("ascii")
            if not params["return_secrets"]:
                _module.hide(module, secret)
            statement = KeyStatement(name, params["algorithm"], secret, dict(created=str(now), secondary=secondary))
            comment = "Static transfer key for %s, made by dnsops.tkey.static_key; do not edit." % secondary
            _files.write_atomic(path, statement.render([comment]))
        keys.append(dict(name=name, file=path, created=now, algorithm=params["algorithm"], **_replacement(now, lifetime, renew_before)))
    elif keys:
        secret = keys[-1].pop("secret")
    for key in keys:
        key.pop("secret", None)
    result.update(static_keys=keys, current=keys[-1]["name"], current_file=keys[-1]["file"])
    if params["return_secrets"] and secret is not None:
        result["current_secret"] = secret
    return result, dict(before=dict(keys=before), after=dict(keys=[key["name"] for key in keys]))


def run(module):
    params = module.params
    if params["return_secrets"] and not module.no_log:
        raise OptionError("return_secrets returns secrets: set no_log: true on the task")
    lifetime = _tkey.parse_duration(params["lifetime"], "lifetime")
    renew_before = _tkey.parse_duration(params["renew_before"], "renew_before")
    now = int(time.time())
    if params["secondaries"] is None:
        result, diff = _one(module, params["secondary"], params["directory"], params["rotate"], params["keep"],
                            lifetime, renew_before, now)
        del result["secondary"]
        if module._diff:
            result["diff"] = diff
        return result
    names = [entry["name"] for entry in params["secondaries"]]
    if len(set(names)) != len(names) or len(set(entry["directory"] for entry in params["secondaries"])) != len(names):
        raise OptionError("secondaries lists a secondary or a directory twice; give each once")
    for entry in params["secondaries"]:  # every refusal before the first change
        _read_keys(module, entry["directory"], hide_newest=not params["return_secrets"])
    results, before, after = [], {}, {}
    for entry in params["secondaries"]:
        one, diff = _one(module, entry["name"], entry["directory"], entry["rotate"], entry["keep"], lifetime, renew_before, now)
        results.append(one)
        if one["changed"]:
            before[entry["name"]], after[entry["name"]] = diff["before"]["keys"], diff["after"]["keys"]
    result = dict(changed=any(one["changed"] for one in results), secondaries=results)
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            secondary=dict(type="str"),
            suffix=dict(type="str", required=True),
            directory=dict(type="path"),
            secondaries=dict(type="list", elements="dict", options=dict(
                name=dict(type="str", required=True),
                directory=dict(type="path", required=True),
                rotate=dict(type="bool", default=False),
                keep=dict(type="str", default="", no_log=False),
            )),
            return_secrets=dict(type="bool", default=False),
            algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
            lifetime=dict(type="str", default="30d"),
            renew_before=dict(type="str", default="7d"),
            rotate=dict(type="bool", default=False),
            replace_due=dict(type="bool", default=True),
            keep=dict(type="str", default="", no_log=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        required_one_of=[("secondary", "secondaries")],
        required_together=[("secondary", "directory")],
        mutually_exclusive=[("secondary", "secondaries"), ("directory", "secondaries")],
        supports_check_mode=True,
    )
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
