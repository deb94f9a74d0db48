# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The rollover engine: one secondary's transfer key with one primary, kept current.

probe (one signed query) -> decide (renewal_reason) -> negotiate and prove -> write the key file and the
primaries list atomically, keeping the previous ones -> rndc reconfig -> prove that named itself transfers
with the new key -> delete the superseded key on the primary. Used by the tkey_rollover module (Ansible)
and by dnsops-tkey-renew (the agent on each secondary), so the sequence exists once.

Files per primary, which named.conf includes through the collection's include file and which are the
only ones a rotation changes:
  key_file         key statements only (`dig -k` and tsig_key_file read it); before the first key: comments only
  primaries_file   primaries "dnsops-tkey-PRIMARY" { ADDRESS port P key "NAME"; };  before the first key the
                   list has no key, so named starts and the primary refuses its unsigned transfers
Failures come in two kinds: a key-level one (negotiation, TSIG refused, named cannot transfer with the new
key) puts the previous key back only if the primary still accepts it; a zone-level one (a zone the primary
refuses or does not serve) is reported by zone and does not hold the key back. Pure Python.
"""

from __future__ import annotations

import json
import os
import time

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _tkey, _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHKey
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import (
    DHKeyError,
    DnsopsError,
    KeyFileError,
    NamedError,
    OptionError,
    RolloverError,
    TkeyError,
    UnsupportedServer,
)
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, check_key_name, parse_key_file, read_key_file
from ansible_collections.dnsops.tkey.plugins.module_utils._localnamed import LocalNamed
from ansible_collections.dnsops.tkey.plugins.module_utils._transport import Server

LIST_PREFIX = "dnsops-tkey-"

# field -> (type, default; REQUIRED when it must be given)
REQUIRED = object()
PRIMARY_FIELDS = {
    "name": (str, REQUIRED),
    "address": (str, REQUIRED),
    "port": (int, 53),
    "transport": (str, "tcp"),
    "timeout": (float, 10.0),
    "server_public_key": (str, ""),
    "bind_version": (str, ""),
    "initial_key_file": (str, REQUIRED),
    "key_file": (str, REQUIRED),
    "primaries_file": (str, REQUIRED),
    "legacy_key_file": (str, ""),
    "key_name": (str, REQUIRED),
    "lifetime": (str, "30d"),
    "renew_before": (str, "7d"),
    "zones": (list, []),
    "proof_zones": (list, None),
    "method": (str, "tkey"),
    "static_key_file": (str, ""),
    # the zone where the primary says, signed, that it runs BIND 9.18 (the primary role's primary_signal_zone)
    "signal_zone": (str, ""),
    # the primary's tkey-domain: the name of a key being negotiated is known (and recorded) before the query leaves
    "tkey_domain": (str, ""),
    # what a key switch still owes (reconfig, proof, deletions), recorded before each switch: default beside the key file
    "journal_file": (str, ""),
}
NAMED_FIELDS = {
    "rndc": (list, ["rndc"]),
    "address": (str, "127.0.0.1"),
    "port": (int, 53),
    "xfer_log": (str, ""),
    "transfer_wait": (float, 30.0),
}


def _settings(kind, fields, values):
    if not isinstance(values, dict):
        raise OptionError("the %s settings must be a mapping, not %r" % (kind, values))
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise OptionError("unknown %s setting %s; the settings are %s" % (kind, ", ".join(unknown), ", ".join(sorted(fields))))
    out = {}
    for field, (kind_of, default) in fields.items():
        value = values.get(field)
        if value is None or value == "" and default is REQUIRED:
            if default is REQUIRED:
                raise OptionError("the %s setting %s is missing" % (kind, field))
            value = list(default) if isinstance(default, list) else default
            if value is None:
                out[field] = None
                continue
        try:
            out[field] = kind_of(value) if kind_of is not list else [str(item) for item in value]
        except (TypeError, ValueError):
            raise OptionError("the %s setting %s must be %s, not %r" % (kind, field, kind_of.__name__, value))
    return out


class PrimarySettings(object):
    """One primary as this secondary sees it (the agent's config, or the tkey_rollover module's options)."""

    def __init__(self, values):
        for field, value in _settings("primary", PRIMARY_FIELDS, values).items():
            setattr(self, field, value)
        # what reaches named's files (the primaries list) or the file system, checked where it enters
        self.address = _validate.address(self.address, "primary %s: address" % self.name)
        for field in ("initial_key_file", "key_file", "primaries_file", "legacy_key_file", "static_key_file", "journal_file"):
            if getattr(self, field):
                setattr(self, field, _validate.path(getattr(self, field), "primary %s: %s" % (self.name, field)))
        if self.signal_zone:
            self.signal_zone = _validate.key_name(self.signal_zone, "primary %s: signal_zone" % self.name)
        if self.tkey_domain:
            self.tkey_domain = _validate.key_name(self.tkey_domain, "primary %s: tkey_domain" % self.name)
        self.lifetime = _tkey.parse_duration(self.lifetime, "primary %s: lifetime" % self.name)
        self.renew_before = _tkey.parse_duration(self.renew_before, "primary %s: renew_before" % self.name)
        if not 0 < self.port < 65536:
            raise OptionError("primary %s: port %d is not a port number" % (self.name, self.port))
        if self.transport not in ("tcp", "udp"):
            raise OptionError("primary %s: transport must be tcp or udp" % self.name)
        if self.method not in ("tkey", "static"):
            raise OptionError("primary %s: method must be tkey or static, not %r" % (self.name, self.method))
        if self.method == "static" and not self.static_key_file:
            raise OptionError("primary %s: method static needs static_key_file (the key the primary made for this secondary)" % self.name)
        if self.lifetime < 0 or self.lifetime > _tkey.MAX_LIFETIME or self.renew_before < 0:
            raise OptionError("primary %s: lifetime must be 0 to %d seconds, renew_before positive" % (self.name, _tkey.MAX_LIFETIME))
        if self.lifetime and self.renew_before >= self.lifetime:
            raise OptionError("primary %s: renew_before (%ds) must be shorter than lifetime (%ds)" % (self.name, self.renew_before, self.lifetime))
        _tkey.check_base_name(self.key_name)
        try:
            check_key_name(self.name)
        except KeyFileError as exc:
            raise OptionError("primary name %r cannot name a primaries list: %s" % (self.name, exc))
        self.list_name = LIST_PREFIX + self.name
        if not self.journal_file:
            self.journal_file = os.path.join(os.path.dirname(os.path.abspath(self.key_file)), "pending-%s.json" % self.name)
        # the zones named transfers from this primary first (it tries a zone's primaries in order): the proof zones
        if self.proof_zones is None:
            self.proof_zones = list(self.zones)

    def server(self):
        return Server(self.address, self.port, self.transport, self.timeout)

    def server_key(self):
        """The pinned DH key of the primary, or None."""
        if not self.server_public_key.strip():
            return None
        try:
            return DHKey.from_texts(self.server_public_key, source="server_public_key of %s" % self.name)
        except DHKeyError as exc:
            raise OptionError("primary %s: %s" % (self.name, exc))


def named_from(values):
    settings = _settings("named", NAMED_FIELDS, values or {})
    settings["address"] = _validate.address(settings["address"], "named: address")
    settings["port"] = _validate.port(settings["port"], "named: port")
    return LocalNamed(settings["rndc"], settings["address"], settings["port"], settings["xfer_log"] or None, settings["transfer_wait"])


def render_key_file(primary, statement):
    """The key file: the key statement with its metadata, or comments only before the first key."""
    if statement is None:
        return (
            "# No transfer key with %s yet. dnsops.tkey (Ansible, or dnsops-tkey-renew) writes it here after the\n"
            "# first TKEY negotiation; until then the primaries list %s has no key.\n" % (primary.name, primary.list_name)
        )
    return statement.render([
        "Transfer key with %s (%s#%d), negotiated by TKEY Diffie-Hellman: the secret was computed here and on the"
        % (primary.name, primary.address, primary.port),
        "primary, never sent. Renewed by dnsops.tkey (Ansible, or dnsops-tkey-renew); do not edit.",
    ])


def render_primaries_file(primary, key_name):
    """The named primaries list the zones use: with the current key, or without one before the first key."""
    head = (
        "# Written by dnsops.tkey. Zones say: primaries { %s; };\n"
        "# A key renewal changes this file and the key file, never named.conf.\n" % primary.list_name
    )
    if key_name is None:
        return head + (
            "# No key yet: named starts, and the primary refuses its unsigned transfers until the first key is negotiated.\n"
            'primaries "%s" { %s port %d; };\n' % (primary.list_name, primary.address, primary.port)
        )
    return head + 'primaries "%s" { %s port %d key "%s"; };\n' % (primary.list_name, primary.address, primary.port, key_name)


def _read_statement(path, primary):
    text = _files.read_text(path)
    if text is None or not text.strip() or all(line.startswith("#") or not line.strip() for line in text.splitlines()):
        return None
    try:
        keys = parse_key_file(text, source=path)
    except KeyFileError as exc:
        raise KeyFileError("%s is not a key file dnsops.tkey wrote (%s); move it away and run again" % (path, exc))
    if len(keys) != 1:
        raise KeyFileError("%s holds %d keys; it must hold the one transfer key with %s" % (path, len(keys), primary.name))
    return keys[0]


def current_key(primary):
    """(the key statement in use with PRIMARY or None, the file it came from): the key file, or a 0.1 layout's key file."""
    statement = _read_statement(primary.key_file, primary)
    if statement is not None:
        return statement, primary.key_file
    if primary.legacy_key_file:
        legacy = _read_statement(primary.legacy_key_file, primary)
        if legacy is not None and legacy.metadata.get("server") == primary.address:
            return legacy, primary.legacy_key_file
    return None, None


class Outcome(object):
    """What a run did (or, in check mode, would do) with one primary."""

    def __init__(self, primary):
        self.primary = primary.name
        self.changed = False
        self.reason = None
        self.key_name = ""
        self.expiration = 0
        self.superseded_key_name = ""
        self.deleted_superseded = False
        self.negotiated = False
        self.named_proof = "not needed"
        self.files = []
        self.legacy_files = []
        self.zone_failures = {}
        self.warnings = []

    def as_dict(self):
        out = dict((field, getattr(self, field)) for field in (
            "primary", "changed", "reason", "key_name", "expiration", "superseded_key_name", "deleted_superseded",
            "negotiated", "named_proof", "files", "legacy_files", "zone_failures"))  # warnings: module.warn
        out["expiration_utc"] = _tkey.isoformat(self.expiration) or ("never" if self.key_name else "")
        return out


class Journal(object):
    """What an interrupted key switch still owes, in a small file written atomically before each step that could leave
    something behind (no secret): 'left', the negotiated keys that must not stay on the primary once named is proved to
    use the key in the files (the key being negotiated, the superseded one while the primary held it, a negotiated key
    after a move to static keys). The next run (agent or Ansible) that finds it reconfigures named, proves the key in
    the files, deletes every name of 'left' but that key on the primary, and removes the file.
    """

    def __init__(self, path):
        self.path = path

    def read(self):
        """The pending switch as a dict, or None; a damaged file still means something is owed (a proof)."""
        text = _files.read_text(self.path)
        if text is None:
            return None
        try:
            entry = json.loads(text)
        except ValueError:
            entry = {}
        return entry if isinstance(entry, dict) else {}

    def write(self, **entry):
        _files.make_directory(os.path.dirname(os.path.abspath(self.path)), 0o750, group=None)
        _files.write_atomic(self.path, json.dumps(entry, sort_keys=True) + "\n", mode=0o600, group=None)

    def clear(self):
        _files.remove(self.path)


def _wanted_files(primary, statement):
    return {
        primary.key_file: render_key_file(primary, statement),
        primary.primaries_file: render_primaries_file(primary, statement.name if statement is not None else None),
    }


def _differing(wanted):
    """The files whose content, or mode, owner or group (a key file made readable to others), is not as wanted."""
    return sorted(path for path, text in wanted.items()
                  if _files.read_text(path) != text or not _files.attributes_match(path, _files.KEY_MODE))


def _write(primary, wanted):
    """The key file first, then the list. Between the two renames the list still names the previous key, which the key
    file no longer defines: named reading its configuration in that instant (a reload, a restart after a power cut)
    fails to load the list, until the run, or the next one (journal), writes the list and reconfigures named."""
    for path in sorted(wanted, key=lambda path: path != primary.key_file):
        try:
            _files.write_atomic(path, wanted[path])
        except NamedError:
            raise
        except DnsopsError as exc:
            raise NamedError(str(exc))
        except (IOError, OSError) as exc:
            raise NamedError("cannot write %s: %s" % (path, exc.strerror or exc))


def _metadata_int(statement, field):
    try:
        return int(statement.metadata.get(field, "0") or 0)
    except ValueError:
        return 0


class Rollover(object):
    """The sequence for one primary. HIDE(secret) is called with every secret as soon as it is known."""

    def __init__(self, primary, named, hide=None, log=None, named_ready=True):
        self.primary = primary
        self.named = named
        # False while named's configuration cannot be loaded yet (it includes files written after this step)
        self.named_ready = named_ready
        self.server = primary.server()
        self.hide = hide or (lambda secret: None)
        self.log = log or (lambda line: None)
        self.journal = Journal(primary.journal_file)
        self._allowed = set()  # what the primary's TKEY signal allowed in this run: "negotiate", "delete"
        self._carry = []  # negotiated keys an interrupted switch left, to delete once named is proved

    def run(self, force=False, check=False, prove=False, check_signal=False):
        """Keep the key current (see the module docstring); first finish a switch a killed run left owed (journal).

        CHECK_SIGNAL (the agent's --check): in check mode, ask the primary's signal too when a negotiation would
        follow (Ansible's check mode does not: the primary play of the same run publishes it).
        """
        pending = self.journal.read()
        if pending is None:
            return self._run(force, check, prove, check_signal)
        if check:
            outcome = self._run(force, True, False, check_signal)
            if not outcome.changed:
                outcome.changed, outcome.reason = True, "interrupted"
            return outcome
        left = pending.get("left") if isinstance(pending.get("left"), list) else []
        self._carry = [name for name in left if isinstance(name, str) and name]
        self.log("%s: finishing an interrupted key switch (to %s; keys to delete once it is proved: %s)"
                 % (self.primary.name, pending.get("new_key") or "unknown", ", ".join(self._carry) or "none"))
        running = self.named_ready and self.named.running()
        outcome = self._run(force, False, running, False)  # prove: named reconfigured, its transfer seen
        outcome.changed = True
        if outcome.reason == "current":
            outcome.reason = "interrupted"
        if not running or outcome.named_proof == "pending":
            outcome.named_proof = "pending"
            self._settle()  # named is not proved on the key in the files: the keys left stay until it is
            return outcome
        self._finish(outcome)
        return outcome

    def _record(self, step, new_key, left, superseded=""):
        """Write the journal before STEP: LEFT (and what an earlier interrupted switch left) must go once proved."""
        self.journal.write(step=step, new_key=new_key, superseded_key=superseded,
                           left=list(dict.fromkeys(self._carry + [name for name in left if name])))

    def _settle(self):
        """The switch is over but its proof is not: keep only what is still to delete (or nothing) in the journal."""
        if self._carry:
            self.journal.write(step="unproved", new_key="", superseded_key="", left=list(self._carry))
        else:
            self.journal.clear()

    def _finish(self, outcome, done=()):
        """named is proved on OUTCOME's key: delete every negotiated key left behind but it (and DONE), then the journal."""
        for name in dict.fromkeys(self._carry):
            if name != outcome.key_name and name not in done:
                if self._delete_left(name, outcome) and not outcome.superseded_key_name:
                    outcome.superseded_key_name, outcome.deleted_superseded = name, True
        self._carry = []
        self.journal.clear()

    def _check_directories(self):
        """Before any TKEY query: every file a switch writes can be written (else a new key would be left behind)."""
        for path in (self.primary.key_file, self.primary.primaries_file):
            _files.check_directory(os.path.dirname(os.path.abspath(path)), group=_files.KEY_GROUP, purpose="write %s" % path)
        _files.make_directory(os.path.dirname(os.path.abspath(self.primary.journal_file)), 0o750, group=None)

    def _require_tkey(self, credential, negotiate=True):
        """Raise UnsupportedServer unless the primary's signal, asked once a run, allows this TKEY query now."""
        if "negotiate" in self._allowed or (not negotiate and "delete" in self._allowed):
            return
        _tkey.refuse_unsafe_server(self.server, self.primary.bind_version, signal=(self.primary.signal_zone, credential),
                                   negotiate=negotiate)
        self._allowed.add("negotiate" if negotiate else "delete")

    def _delete_left(self, name, outcome):
        """Delete a negotiated key an interrupted switch left on the primary (signed with the initial key that made it)."""
        if not os.path.exists(self.primary.initial_key_file):
            outcome.warnings.append("the key %s may be left on %s (no initial key to delete it with); it expires on its own"
                                    % (name, self.primary.name))
            return False
        try:
            credential = self._initial_key()
            self._require_tkey(credential, negotiate=False)
            deleted = _tkey.delete(self.server, name + ".", credential)
        except UnsupportedServer as exc:
            outcome.warnings.append("the key %s was left alone on %s: %s" % (name, self.primary.name, exc))
            return False
        except (TkeyError, KeyFileError) as exc:
            outcome.warnings.append("the key %s could not be deleted on %s: %s" % (name, self.primary.name, exc))
            return False
        if deleted:
            self.log("%s: deleted %s, left by an interrupted switch" % (self.primary.name, name))
        return deleted

    def _run(self, force, check, prove, check_signal=False):
        primary, outcome = self.primary, Outcome(self.primary)
        if primary.legacy_key_file and os.path.exists(primary.legacy_key_file):
            outcome.legacy_files = [primary.legacy_key_file]  # the role removes them once named.conf no longer needs them
        server_key = primary.server_key()
        current, source = current_key(primary)
        if current is not None:
            self.hide(current.secret)
            outcome.key_name, outcome.expiration = current.name, _metadata_int(current, "expiration")
        if primary.method == "static":
            return self._static(current, source, outcome, check, prove)
        reason = _tkey.renewal_reason(current, self.server, primary.key_name, server_key, primary.renew_before, force)
        if current is not None and current.metadata.get("method") == "static":
            reason = "method_changed"  # back from a static key to TKEY
        outcome.reason = reason
        if reason == "current":
            return self._keep(current, source, outcome, check, prove)
        outcome.changed = True
        outcome.superseded_key_name = current.name if current is not None else ""
        outcome.files = _differing(_wanted_files(primary, current)) or [primary.key_file, primary.primaries_file]
        if check:
            outcome.negotiated = True
            if check_signal and os.path.exists(primary.initial_key_file):
                self._require_tkey(self._initial_key())  # a real run would be refused: say so now
            return outcome
        return self._renew(current, source, reason, outcome)

    def revoke(self, check=False):
        """Give the key back: delete it on the primary (signed with itself, else with the initial key) and leave the
        files as before the first key (comments only, a list without key), so named.conf stays valid."""
        primary, outcome = self.primary, Outcome(self.primary)
        current, _source = current_key(primary)
        wanted = _wanted_files(primary, None)
        outcome.files = _differing(wanted)
        outcome.reason = "revoked"
        if current is not None:
            self.hide(current.secret)
            outcome.superseded_key_name = current.name
            try:
                if primary.method == "static" or current.metadata.get("method") == "static":
                    outcome.deleted_superseded = False  # the primary removes a static key itself; never a TKEY query
                elif not _tkey.probe(self.server, _tkey.key_from_statement(current)):
                    outcome.deleted_superseded = False  # the primary no longer has it (a restart): nothing to delete
                elif check:
                    outcome.deleted_superseded = True
                else:
                    # the signal is asked with the key itself (its identity is the initial key that made it)
                    self._require_tkey(_tkey.key_from_statement(current), negotiate=False)
                    outcome.deleted_superseded = _tkey.delete(self.server, current.name + ".", _tkey.key_from_statement(current))
            except TkeyError as exc:
                outcome.warnings.append("the key %s could not be deleted on %s (%s); it expires on its own" % (current.name, primary.name, exc))
        outcome.changed = bool(outcome.files) or outcome.deleted_superseded
        if not check:
            _write(primary, wanted)
            if outcome.files and self.named.running():
                self.named.reconfig()
            pending = self.journal.read()  # an interrupted switch's keys go with the revocation
            if pending is not None:
                self._carry = [name for name in pending.get("left", []) if isinstance(name, str) and name and name != outcome.superseded_key_name]
                self._finish(Outcome(primary))
        return outcome

    def _keep(self, current, source, outcome, check, prove):
        """The key is good: only the files may need writing (the first run, or a 0.1 layout), and a proof if asked."""
        wanted = _wanted_files(self.primary, current)
        outcome.files = _differing(wanted)
        outcome.changed = bool(outcome.files)
        if source is not None and source != self.primary.key_file:
            self.log("%s: adopting the key %s from %s (no negotiation)" % (self.primary.name, current.name, source))
        if check:
            return outcome
        _write(self.primary, wanted)
        running = self.named_ready and self.named.running()
        if running and (outcome.files or prove):
            self.named.reconfig()
        if prove:
            if not running:
                raise NamedError("named is not running, so its transfers with key %s cannot be proved; start named" % current.name)
            outcome.zone_failures, outcome.named_proof = self._prove(current.name, _tkey.key_from_statement(current))
        return outcome

    def _static(self, current, source, outcome, check, prove):
        """A key the primary made (static method): switch to the one Ansible staged, prove it; never any TKEY query.

        The agent has nothing new to stage: it only asks the primary whether it still accepts the key in use.
        """
        primary = self.primary
        staged = _read_statement(primary.static_key_file, primary)
        if staged is not None:
            self.hide(staged.secret)
        if staged is None and current is None and check:
            outcome.reason, outcome.changed = "absent", True  # the key the primary role would make in this run
            outcome.files = [primary.key_file, primary.primaries_file]
            return outcome
        if staged is None or (current is not None and current.name == staged.name and current.secret == staged.secret):
            if current is None:
                raise KeyFileError("no static key with %s is on this host yet (%s); run the dnsops.tkey.site playbook"
                                   % (primary.name, primary.static_key_file))
            if not _tkey.probe(self.server, _tkey.key_from_statement(current)):
                raise RolloverError("%s no longer accepts the static key %s; renewal needs the primary: run the "
                                    "dnsops.tkey.site playbook" % (primary.name, current.name))
            outcome.reason = "current"
            return self._keep(current, source, outcome, check, prove)
        outcome.reason = "absent" if current is None else ("rotated" if current.metadata.get("method") == "static" else "method_changed")
        outcome.changed, outcome.negotiated = True, False
        outcome.superseded_key_name = current.name if current is not None else ""
        metadata = dict(server=primary.address, port=str(primary.port), key_name=primary.key_name, method="static",
                        created=staged.metadata.get("created") or str(int(time.time())), expiration="0", expiration_utc="never")
        statement = KeyStatement(staged.name, staged.algorithm, staged.secret, metadata)
        wanted = _wanted_files(primary, statement)
        outcome.files = _differing(wanted)
        outcome.key_name = statement.name
        if check:
            return outcome
        previous = dict((path, _files.read_text(path)) for path in wanted)
        negotiated = current.name if current is not None and current.metadata.get("method") != "static" else ""
        self._record("switch to a static key", statement.name, [negotiated], superseded=negotiated)
        try:
            _write(primary, wanted)
            self.log("%s: static key %s (%s), written" % (primary.name, statement.name, outcome.reason))
            if not self.named_ready or not self.named.running():
                outcome.named_proof = "pending"
            else:
                self.named.reconfig()
                outcome.zone_failures, outcome.named_proof = self._prove(statement.name, _tkey.key_from_statement(statement))
        except (NamedError, TkeyError) as exc:
            raise self._roll_back(current, outcome.reason, previous, None, None, exc, new_name=statement.name)
        if outcome.named_proof == "pending":
            self._carry = list(dict.fromkeys(self._carry + [name for name in (negotiated,) if name]))
            self._settle()  # the negotiated key goes once named is seen to use the static one
            return outcome
        if negotiated:
            outcome.deleted_superseded = self._delete_negotiated(current, outcome)
        self._finish(outcome, done=[negotiated])
        return outcome

    def _delete_negotiated(self, current, outcome):
        """After a move from TKEY to a static key: delete the negotiated key, signed with the initial key, on a
        primary recorded as BIND 9.18 only (a 9.20 one lost it in its upgrade, and must never get TKEY)."""
        if not os.path.exists(self.primary.initial_key_file):
            return False
        try:
            credential = self._initial_key()
            self._require_tkey(credential, negotiate=False)
            return _tkey.delete(self.server, current.name + ".", credential)
        except UnsupportedServer:
            outcome.warnings.append("the negotiated key %s was left alone on %s, which does not say it runs BIND 9.18: no TKEY "
                                    "query is sent there (on BIND 9.20 named lost the key when it was upgraded; else it expires "
                                    "on its own)" % (current.name, self.primary.name))
            return False
        except (TkeyError, KeyFileError) as exc:
            outcome.warnings.append("the negotiated key %s was not deleted on %s: %s" % (current.name, self.primary.name, exc))
            return False

    def _initial_key(self):
        try:
            statement = read_key_file(self.primary.initial_key_file)
        except KeyFileError as exc:
            raise KeyFileError("the initial key for %s: %s" % (self.primary.name, exc))
        self.hide(statement.secret)
        return _tkey.key_from_statement(statement)

    def _renew(self, current, source, reason, outcome):
        primary, server = self.primary, self.server
        credential = self._initial_key()
        self._check_directories()
        self._require_tkey(credential)
        superseded = current.name if current is not None and reason != "rejected" else ""  # alive on the primary

        def before_sending(qname):
            # a kill from here on leaves a key switch owed: the next run finishes it (run), knowing the new key's name
            if primary.tkey_domain:
                name = ".".join([label.decode("ascii") for label in qname.labels[:-1]] + [primary.tkey_domain])
                self._record("negotiate", name, [name, superseded], superseded=superseded)

        key = _tkey.negotiate_proved(server, credential, primary.key_name, server_key=primary.server_key(), lifetime=primary.lifetime,
                                     before_sending=before_sending)
        self.hide(key.secret_b64)
        outcome.negotiated = True
        try:
            self._record("switch", key.name, [key.name, superseded], superseded=superseded)
        except DnsopsError as exc:
            try:
                _tkey.delete(server, key.name + ".", credential)
            except TkeyError:
                pass  # it expires on its own
            raise RolloverError("%s: the new key %s could not be recorded (%s); it was deleted on the primary again" % (primary.name, key.name, exc))
        statement = key.statement(server, primary.key_name)
        wanted = _wanted_files(primary, statement)
        previous = dict((path, _files.read_text(path)) for path in wanted)
        if current is not None and previous[primary.key_file] is None:  # adopted from the 0.1 layout
            previous = _wanted_files(primary, current)
        outcome.key_name, outcome.expiration = key.name, key.expiration
        # named.conf of a 0.1 layout still names the old key itself: it moves to the list first, then named is proved
        migrating = source is not None and source != primary.key_file
        try:
            _write(primary, wanted)
            self.log("%s: new key %s (%s), written" % (primary.name, key.name, reason))
            if migrating or not self.named_ready or not self.named.running():
                outcome.named_proof = "pending"  # proved after named.conf (the role's next step, or named's start)
            else:
                self.named.reconfig()
                outcome.zone_failures, outcome.named_proof = self._prove(key.name, key.tsig())
        except (NamedError, TkeyError) as exc:
            raise self._roll_back(current, reason, previous, key, credential, exc)
        if outcome.named_proof == "pending":
            self._carry = list(dict.fromkeys(self._carry + [name for name in (superseded,) if name]))
            self._settle()  # the superseded key goes once named is seen to use the new one (the role's next step)
            return outcome
        if superseded:
            try:
                outcome.deleted_superseded = _tkey.delete(server, superseded + ".", credential)
            except TkeyError as exc:  # the new key works; the old one expires on its own
                outcome.warnings.append("the superseded key %s could not be deleted on %s: %s" % (superseded, primary.name, exc))
        self._finish(outcome, done=[superseded])
        return outcome

    def _prove(self, key_name, tsig):
        """Zone by zone, whether the primary transfers it to the key; then named's own transfer with the key (once
        per primary, a zone named serves) and every served zone's serial here.

        Return ({zone: reason} of the zones that failed, how named's use of the key was proved).
        """
        server, failures, serials = self.server, {}, {}
        for zone in self.primary.zones:
            serial = _tkey.soa_serial(server, zone)
            if serial is None:
                failures[zone] = "%s does not serve it" % self.primary.name
                continue
            refusal = _tkey.transfer_refusal(server, zone, tsig, serial)
            if refusal is not None:
                failures[zone] = "%s answers %s to a transfer with this key: check its allow-transfer" % (self.primary.name, refusal)
                continue
            if self.named.serves(zone):  # a zone new in the inventory reaches named.conf after this
                serials[zone] = serial
        if not serials:
            return failures, "no zone to prove with" if self.primary.zones else "no zones"
        candidates = sorted(zone for zone in serials if zone in self.primary.proof_zones)
        if candidates:
            self.named.prove_transfer(candidates[0], key_name)
            proof = "done"
        else:  # named transfers every zone from another primary first: only the primary's acceptance is proved
            proof = "on the primary only (it is not the first primary of any zone)"
        # named refreshes at most serial-query-rate (20 by default) zones a second: a first load of many zones takes time
        wait = self.named.transfer_wait + len(serials) / 20.0
        for zone, here in sorted(self.named.wait_for_serials(serials, wait).items()):
            failures[zone] = "serial %s here, %d on %s" % (here if here is not None else "none", serials[zone], self.primary.name)
        return failures, proof

    def _key_file_names(self, key_name):
        """Whether the key file on disk now holds KEY_NAME."""
        try:
            statement = _read_statement(self.primary.key_file, self.primary)
        except DnsopsError:
            return False
        return statement is not None and statement.name == key_name

    def _roll_back(self, current, reason, previous, key, credential, cause, new_name=None):
        """Put the previous key back if the primary still accepts it, then delete the new key (a negotiated one); the
        RolloverError to raise."""
        name = self.primary.name
        new_name = new_name or key.name
        try:
            alive = current is not None and reason != "rejected" and _tkey.probe(self.server, _tkey.key_from_statement(current))
        except TkeyError:
            alive = False
        if not alive:
            if key is not None and not self._key_file_names(new_name):
                # the new key never reached its file: no run could use it, so it must not stay on the primary
                try:
                    _tkey.delete(self.server, key.name + ".", credential)
                except TkeyError:
                    pass  # it expires on its own
                self._settle()
                return RolloverError("%s: the new key %s could not be put in place (%s); it was deleted on the primary again"
                                     % (name, new_name, cause))
            kept = ("the new key stays, since the primary no longer accepts the previous one" if current is not None else
                    "the new key stays (there was no previous one)")
            self._settle()  # the new key is the one in use now; the agent proves it on each run until named does
            return RolloverError("%s: the new key %s does not work for named (%s); %s" % (name, new_name, cause, kept))
        try:
            for path in sorted(previous, key=lambda path: path != self.primary.key_file):
                if previous[path] is None:
                    _files.remove(path)
                else:
                    _files.write_atomic(path, previous[path])
            self.named.reconfig()
        except (DnsopsError, IOError, OSError) as exc:
            # named may still hold the new key: leave it alive on the primary (it expires on its own)
            return RolloverError("%s: the new key %s does not work for named (%s), and putting the previous key %s back failed "
                                 "too (%s); both keys stay valid on the primary: fix named and run again" % (name, new_name, cause, current.name, exc))
        if key is not None:
            try:
                _tkey.delete(self.server, key.name + ".", credential)
            except TkeyError:
                pass  # it expires on its own
        self._settle()
        return RolloverError("%s: the new key %s does not work for named (%s); the previous key %s is back in place%s"
                             % (name, new_name, cause, current.name, " and the new one deleted" if key is not None else ""),
                             rolled_back=True)
