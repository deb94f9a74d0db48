#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: tkey_rollover
short_description: Keep a BIND secondary's transfer key with one primary current, and prove it
version_added: 0.2.0
description:
  - Runs on the secondary. The same engine runs in C(dnsops-tkey-renew), the renewal agent the
    R(dnsops.tkey.secondary role,ansible_collections.dnsops.tkey.secondary_role) installs, so Ansible and the agent do
    exactly the same thing.
  - "Sequence: one query signed with the key in use tells whether the primary still accepts it. Only if the key is
    missing, expiring, forced, lost by the primary (a restart) or made for other settings: a new key is negotiated
    by TKEY Diffie-Hellman and proved with one signed query; the key file and the primaries list are written
    atomically; C(rndc reconfig) makes named use them; each zone is checked on the primary with the new key, named's
    own transfer of one zone with the new key is seen in its xfer-in log, and every zone's serial here is compared
    with the primary's; then the superseded key is deleted on the primary (signed with the initial key), unless the
    primary had already lost it."
  - A key-level failure (named cannot transfer with the new key) puts the previous key back if the primary still
    accepts it, and deletes the new one. A zone-level failure (a zone the primary refuses or does not serve) is
    reported by zone name and does not hold the key back for the other zones; the module then fails after the switch.
  - named.conf never changes on a rotation. The zones use the named list C(dnsops-tkey-PRIMARY) in
    O(primary.primaries_file), which named.conf includes (through the collection's include file) with
    O(primary.key_file).
  - Takes the run lock O(lock_file), which the agent takes too, so the two never work at the same time.
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
options:
  primary:
    description:
      - The primary, as this secondary sees it. The agent's configuration holds the same settings.
    type: dict
    required: true
    suboptions:
      name:
        description: Inventory name of the primary; it names the list C(dnsops-tkey-NAME).
        type: str
        required: true
      address:
        description: Address of the primary.
        type: str
        required: true
      port:
        description: Port of the primary.
        type: int
        default: 53
      transport:
        description: Transport for the TKEY exchange.
        type: str
        default: tcp
        choices: [tcp, udp]
      timeout:
        description: Seconds to wait for each answer.
        type: float
        default: 10.0
      server_public_key:
        description: The primary's DH public key (the content of its C(K*.key)), pinned.
        type: str
      bind_version:
        description:
          - The primary's BIND version as C(named -v) told the primary role. A primary recorded as 9.19 or later gets
            no query at all (BIND 9.20.0 to 9.20.20 crash on a signed TKEY query).
        type: str
      signal_zone:
        description:
          - The zone of the primary's TKEY signal (the primary role's C(primary_signal_zone)). Before any TKEY query
            the module asks it, signed with the initial key, and sends TKEY only if the signed answer says the primary
            runs BIND 9.18 (and, to negotiate, that it uses the tkey method) at that moment; a C(version.bind) that
            says 9.19 or later is refused too. Without it no TKEY query is sent at all.
        type: str
      tkey_domain:
        description:
          - The primary's C(tkey-domain). With it, the name a new key will have is recorded before the TKEY query
            leaves, so a run killed before it heard the answer leaves no key on the primary.
        type: str
      journal_file:
        description:
          - Where a key switch records, before it starts, what it still owes (reconfig, proof, deleting the keys left
            on the primary), so that a run killed half-way is finished by the next run. No secret is written there.
          - Default C(pending-NAME.json) beside O(primary.key_file); the role uses C(/var/lib/dnsops-tkey).
        type: path
      initial_key_file:
        description: The initial key (named.conf syntax) that signs TKEY queries and deletions.
        type: path
        required: true
      key_file:
        description: The transfer key file (key statements only).
        type: path
        required: true
      primaries_file:
        description: The file with the named primaries list the zones use.
        type: path
        required: true
      legacy_key_file:
        description: The key file of a dnsops.tkey 0.1 layout; its key is adopted without a new negotiation.
        type: path
      key_name:
        description: Base of the negotiated key's name.
        type: str
        required: true
      lifetime:
        description: Lifetime of a negotiated key, in seconds or as a duration such as V(30d); V(0) never expires.
        type: str
        default: 30d
      renew_before:
        description: Renew when the key expires within this time (seconds, or a duration such as V(7d)).
        type: str
        default: 7d
      zones:
        description: The zones this secondary transfers from the primary.
        type: list
        elements: str
        default: []
      method:
        description:
          - V(tkey) negotiates keys by TKEY (BIND 9.18 primaries). V(static) uses the key the primary made for this
            secondary, which the role stages in O(primary.static_key_file); no TKEY query is ever sent then, and the
            agent only checks that the primary accepts the key (a new one needs Ansible).
        type: str
        default: tkey
        choices: [tkey, static]
      static_key_file:
        description: With O(primary.method=static), the key the primary made (key statement), staged by the role.
        type: path
      proof_zones:
        description:
          - The zones whose first primary (named tries them in order) is this one; named's own transfer is proved with
            one of them. Default O(primary.zones).
        type: list
        elements: str
  named:
    description:
      - This secondary's named.
    type: dict
    default: {}
    suboptions:
      rndc:
        description: The rndc command, as a list.
        type: list
        elements: str
        default: [rndc]
      address:
        description: Address named answers on here.
        type: str
        default: 127.0.0.1
      port:
        description: Port named answers on here.
        type: int
        default: 53
      xfer_log:
        description:
          - The file named's C(xfer-in) category logs to; the proof reads it. V(journal) (or V(journal:UNIT)) reads
            named's messages from the systemd journal instead, where named logs to syslog.
        type: str
      transfer_wait:
        description: Seconds to wait for named's transfers after a switch.
        type: float
        default: 30.0
  force:
    description: Negotiate a new key even if the current one is good (rotation).
    type: bool
    default: false
  state:
    description:
      - V(absent) gives the key back (revocation) - deletes it on the primary, signed with itself, and leaves the
        key file and the primaries list as before the first key (comments only, no key), so named.conf stays valid.
    type: str
    default: present
    choices: [present, absent]
  named_ready:
    description:
      - V(false) while named's configuration cannot be loaded yet, because it includes files a later task writes (the
        first run in include mode); the key is negotiated and written, and named's use of it is proved later (O(prove)).
    type: bool
    default: true
  prove:
    description:
      - Prove named's transfers with the current key even when nothing else is to do (after named.conf changed, or on
        the first run, when named was not running yet at the negotiation).
    type: bool
    default: false
  lock_file:
    description: The run lock shared with the agent; it is never deleted.
    type: path
    default: /var/lib/dnsops-tkey/lock
  lock_timeout:
    description: Seconds to wait for the lock.
    type: float
    default: 300
seealso:
  - module: dnsops.tkey.tkey_negotiate
  - module: dnsops.tkey.tkey_delete
notes:
  - Check mode sends at most one query signed with the key in use, and reports whether a key would be negotiated and
    which files would change.
requirements:
  - dnspython >= 2.3.0
  - cryptography >= 38.0.0
"""

EXAMPLES = r"""
- name: Keep the transfer key with ns1 current
  dnsops.tkey.tkey_rollover:
    primary:
      name: ns1
      address: 192.0.2.53
      server_public_key: "{{ ns1_dh_public_key }}"
      bind_version: 9.18.49
      initial_key_file: /etc/bind/tkey/tkeyinit-ns1.key
      key_file: /etc/bind/tkey/transfer-ns1.key
      primaries_file: /etc/bind/tkey/primaries-ns1.conf
      key_name: ns2
      zones: [example.com]
    named:
      address: 192.0.2.54
      xfer_log: /var/log/named/named.log
"""

RETURN = r"""
reason:
  description: Why a key was negotiated, or V(current); see M(dnsops.tkey.tkey_negotiate).
  returned: success
  type: str
key_name:
  description: The key in use afterwards.
  returned: success
  type: str
expiration:
  description: Its expiry, seconds since the epoch; 0 for none.
  returned: success
  type: int
expiration_utc:
  description: Its expiry, UTC (V(never) for a key that does not expire).
  returned: success
  type: str
superseded_key_name:
  description: The key this run replaced, if any.
  returned: success
  type: str
deleted_superseded:
  description: Whether the superseded key was deleted on the primary.
  returned: success
  type: bool
named_proof:
  description: V(done) (named transferred with the key), V(pending) (named was not running), or V(not needed).
  returned: success
  type: str
files:
  description: The files written (or, in check mode, to be written).
  returned: success
  type: list
  elements: str
legacy_files:
  description: Files of a dnsops.tkey 0.1 layout still on the host (the role removes them after named.conf).
  returned: success
  type: list
  elements: str
zone_failures:
  description: Zones that failed, with the reason.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import RolloverError
from ansible_collections.dnsops.tkey.plugins.module_utils._rollover import PrimarySettings, Rollover, named_from

PRIMARY_SPEC = dict(
    name=dict(type="str", required=True),
    address=dict(type="str", required=True),
    port=dict(type="int", default=53),
    transport=dict(type="str", default="tcp", choices=["tcp", "udp"]),
    timeout=dict(type="float", default=10.0),
    server_public_key=dict(type="str"),
    bind_version=dict(type="str"),
    signal_zone=dict(type="str"),
    tkey_domain=dict(type="str", no_log=False),
    journal_file=dict(type="path"),
    initial_key_file=dict(type="path", required=True),
    key_file=dict(type="path", required=True),
    primaries_file=dict(type="path", required=True),
    legacy_key_file=dict(type="path"),
    key_name=dict(type="str", required=True, no_log=False),
    lifetime=dict(type="str", default="30d"),
    renew_before=dict(type="str", default="7d"),
    zones=dict(type="list", elements="str", default=[]),
    proof_zones=dict(type="list", elements="str"),
    method=dict(type="str", default="tkey", choices=["tkey", "static"]),
    static_key_file=dict(type="path"),
)
NAMED_SPEC = dict(
    rndc=dict(type="list", elements="str", default=["rndc"]),
    address=dict(type="str", default="127.0.0.1"),
    port=dict(type="int", default=53),
    xfer_log=dict(type="str"),
    transfer_wait=dict(type="float", default=30.0),
)


def run(module):
    params = module.params
    primary = PrimarySettings(params["primary"])
    named = named_from(params["named"])
    rollover = Rollover(primary, named, hide=lambda secret: _module.hide(module, secret), named_ready=params["named_ready"])
    with _files.RunLock(params["lock_file"], params["lock_timeout"], create=not module.check_mode):
        if params["state"] == "absent":
            outcome = rollover.revoke(check=module.check_mode)
        else:
            outcome = rollover.run(force=params["force"], check=module.check_mode, prove=params["prove"])
    result = outcome.as_dict()
    for warning in outcome.warnings:
        module.warn(warning)
    if module._diff:
        result["diff"] = _diff(outcome, module.check_mode)
    if outcome.zone_failures:
        zones = "; ".join("%s: %s" % item for item in sorted(outcome.zone_failures.items()))
        raise RolloverZonesError(
            "the key %s with %s is in use and proved, but %d zone(s) failed: %s"
            % (outcome.key_name, primary.name, len(outcome.zone_failures), zones), result)
    return result


def _diff(outcome, check):
    """Key names and the files written; never a secret."""
    if outcome.reason == "revoked":
        before, after = outcome.superseded_key_name, ""
    elif outcome.reason not in (None, "current"):  # a new key: negotiated, or a static one switched to
        before = outcome.superseded_key_name
        after = "(new key, %s)" % outcome.reason if check and outcome.negotiated else outcome.key_name
    else:
        before = after = outcome.key_name
    return dict(before=dict(key_name=before, files=[]), after=dict(key_name=after, files=outcome.files))


class RolloverZonesError(RolloverError):
    """Zones that failed after a good switch: the result is returned with the failure."""

    def __init__(self, message, result):
        super(RolloverZonesError, self).__init__(message, rolled_back=False)
        self.result = dict((k, v) for k, v in result.items() if k not in ("msg", "failed"))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            primary=dict(type="dict", required=True, options=PRIMARY_SPEC),
            named=dict(type="dict", default={}, options=NAMED_SPEC),
            force=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            prove=dict(type="bool", default=False),
            named_ready=dict(type="bool", default=True),
            lock_file=dict(type="path", default="/var/lib/dnsops-tkey/lock"),
            lock_timeout=dict(type="float", default=300.0),
        ),
        supports_check_mode=True,
    )
    _module.require_libraries(module, "dnspython", "cryptography")
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
