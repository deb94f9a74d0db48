# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""dnsops-tkey-renew: the renewal agent on each secondary, run by a systemd timer (or cron).

Each run takes the lock Ansible takes too, and hands every primary of its configuration (written by the
secondary role: paths and settings, no secret) to the rollover engine: one signed query when nothing is due,
a renewal when the key expires soon or the primary lost it (a restart). Exit 0 when nothing was due or the
repair worked; 1 with one line per problem on stderr (the journal) when it could not. While a primary keeps
failing, its next attempt waits longer each time (one timer interval, then twice as long each time, up to 60
minutes), so a primary that is down or misbehaving never gets a TKEY query at every run of the timer. Counters
survive runs in a state file; an optional node_exporter textfile exports them. Pure Python on Debian's python3-dnspython and python3-cryptography.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys
import time
import traceback

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, OptionError, RolloverError
from ansible_collections.dnsops.tkey.plugins.module_utils._rollover import PrimarySettings, Rollover, current_key, named_from

PROG = "dnsops-tkey-renew"
# The module_utils the agent imports: its whole library on a secondary (tkey_agent installs exactly these).
LIBRARY = ("_agent", "_dhkey", "_errors", "_files", "_keyfile", "_localnamed", "_rollover", "_tkey", "_transport", "_validate")
DEFAULT_CONFIG = "/etc/dnsops-tkey/agent.json"
BACKOFF_MAX = 3600
# interval: the timer's (tkey_agent writes it), where the back-off after a failure starts
CONFIG_FIELDS = ("named", "primaries", "lock_file", "lock_timeout", "state_file", "metrics_file", "interval")
COUNTERS = ("renewals_total", "failures_total")


def backoff_max(config):
    """The longest wait between two attempts with a failing primary: an hour, or the timer's interval if longer."""
    return max(BACKOFF_MAX, config.get("interval", 300))


def _stamp(epoch):
    if not epoch:
        return "never"
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_config(path):
    """The agent's configuration (JSON written by the secondary role); an OptionError saying what is wrong."""
    text = _files.read_text(path)
    if text is None:
        raise OptionError("%s does not exist; run the dnsops.tkey.secondary role (secondary_agent: true) to write it" % path)
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise OptionError("%s is not valid JSON (%s); run the dnsops.tkey.secondary role again" % (path, exc))
    if not isinstance(config, dict) or not isinstance(config.get("primaries"), list):
        raise OptionError("%s has no list of primaries; run the dnsops.tkey.secondary role again" % path)
    unknown = sorted(set(config) - set(CONFIG_FIELDS))
    if unknown:
        raise OptionError("%s has unknown settings %s" % (path, ", ".join(unknown)))
    config.setdefault("lock_file", "/var/lib/dnsops-tkey/lock")
    config.setdefault("lock_timeout", 300)
    config.setdefault("state_file", "/var/lib/dnsops-tkey/state.json")
    config.setdefault("metrics_file", "")
    config.setdefault("interval", 300)
    if not isinstance(config["interval"], int) or isinstance(config["interval"], bool) or config["interval"] < 1:
        raise OptionError("%s: interval must be a whole number of seconds; run the dnsops.tkey.secondary role again" % path)
    return config


def load_state(path):
    text = _files.read_text(path)
    try:
        state = json.loads(text) if text else {}
    except ValueError:
        state = {}  # a damaged state file only costs the counters
    return state if isinstance(state, dict) else {}


def _entry(state, name):
    entry = state.setdefault(name, {})
    for counter in COUNTERS:
        entry.setdefault(counter, 0)
    for field in ("consecutive_failures", "next_try", "last_check", "last_renewal", "expiration"):
        entry.setdefault(field, 0)
    entry.setdefault("accepted", False)
    entry.setdefault("unproved", False)  # a key switched to whose use by named is not proved yet: prove it each run
    entry.setdefault("key_name", "")
    entry.setdefault("last_error", "")
    return entry


def render_metrics(state):
    """node_exporter textfile: timestamps, whether the primary accepts the key, counters; the primary as the only label."""
    series = [
        ("dnsops_tkey_key_expiration_timestamp_seconds", "gauge", "When the transfer key expires (0: never).", "expiration"),
        ("dnsops_tkey_key_accepted", "gauge", "Whether the primary accepted the key at the last check.", "accepted"),
        ("dnsops_tkey_last_check_timestamp_seconds", "gauge", "Last successful check of the key with the primary.", "last_check"),
        ("dnsops_tkey_last_renewal_timestamp_seconds", "gauge", "Last renewal of the key (negotiation) by the agent.", "last_renewal"),
        ("dnsops_tkey_renewals_total", "counter", "Keys the agent negotiated.", "renewals_total"),
        ("dnsops_tkey_failures_total", "counter", "Agent runs that could not check or repair the key.", "failures_total"),
    ]
    lines = []
    for metric, kind, text, field in series:
        lines.append("# HELP %s %s" % (metric, text))
        lines.append("# TYPE %s %s" % (metric, kind))
        for name in sorted(state):
            value = state[name].get(field, 0)
            label = name.replace("\\", "\\\\").replace('"', '\\"')
            lines.append('%s{primary="%s"} %d' % (metric, label, int(bool(value)) if field == "accepted" else int(value)))
    return "\n".join(lines) + "\n"


def status(config):
    """What the agent knows, as JSON: per primary the key in use (name and expiry, never the secret) and its counters."""
    state = load_state(config["state_file"])
    out = {}
    for values in config["primaries"]:
        primary = PrimarySettings(values)
        statement, _source = current_key(primary)
        entry = dict(_entry(state, primary.name))
        entry["key_name"] = statement.name if statement is not None else ""
        expiration = int(statement.metadata.get("expiration", "0") or 0) if statement is not None else 0
        entry["expiration"] = expiration
        entry["expiration_utc"] = _stamp(expiration) if expiration else ("never" if statement is not None else "")
        entry["next_try_utc"] = _stamp(entry["next_try"]) if entry["next_try"] else ""
        out[primary.name] = entry
    return out


def _say(stream, line):
    stream.write("%s: %s\n" % (PROG, line))
    stream.flush()


def renew_all(config, check=False, force=False, now=None, out=sys.stdout, err=sys.stderr):
    """One agent run over every primary; the exit status."""
    now = int(time.time() if now is None else now)
    named = named_from(config.get("named"))
    state = load_state(config["state_file"])
    status_code = 0
    for values in config["primaries"]:
        try:
            primary = PrimarySettings(values)
        except DnsopsError as exc:
            _say(err, "a primary in the configuration cannot be used: %s; run the dnsops.tkey.secondary role again" % exc)
            status_code = 1
            continue
        entry = _entry(state, primary.name)
        # A next try further away than the longest back-off was stored while the clock ran ahead (or it went back
        # since): it is not waited for, so healing never stops for longer than the back-off's maximum.
        if not check and not force and now < entry["next_try"] <= now + backoff_max(config):
            _say(err, "%s: still failing, next try at %s (%d failures in a row); last error: %s"
                 % (primary.name, _stamp(entry["next_try"]), entry["consecutive_failures"], entry["last_error"]))
            status_code = 1
            continue
        error = ""
        try:
            # a key named has not been seen to use is proved on every run until it is, while named runs at all
            prove = entry["unproved"] and not check and named.running()
            engine = Rollover(primary, named, log=lambda line: _say(out, line))
            outcome = engine.run(force=force, check=check, prove=prove, check_signal=True)
        except RolloverError as exc:
            outcome, error = None, str(exc)
            if not check:
                entry["unproved"] = not exc.rolled_back  # the new key stayed without named's proof
        except DnsopsError as exc:
            outcome, error = None, str(exc)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            outcome, error = None, "unexpected %s: %s (a bug in dnsops.tkey; the traceback follows)" % (type(exc).__name__, exc)
            traceback.print_exc(file=err)
        if check:
            if outcome is None:
                _say(err, "%s: would fail: %s" % (primary.name, error))
                status_code = 1
            elif outcome.negotiated:
                _say(out, "%s: would negotiate a new key (%s), replacing %s" % (primary.name, outcome.reason, outcome.superseded_key_name or "none"))
            else:
                _say(out, "%s: nothing to do: key %s is current%s" % (
                    primary.name, outcome.key_name, ", would write %s" % ", ".join(outcome.files) if outcome.files else ""))
            continue
        if outcome is None:
            entry["failures_total"] += 1
            entry["consecutive_failures"] += 1
            entry["accepted"] = False
            delay = min(config.get("interval", 300) * 2 ** min(entry["consecutive_failures"] - 1, 16), backoff_max(config))
            entry["next_try"] = now + delay
            entry["last_error"] = error
            _say(err, "%s: %s; next try in %d s" % (primary.name, error, delay))
            status_code = 1
            continue
        entry.update(consecutive_failures=0, next_try=0, last_error="", last_check=now, accepted=True,
                     key_name=outcome.key_name, expiration=outcome.expiration,
                     unproved=outcome.named_proof == "pending" or (outcome.named_proof == "not needed" and entry["unproved"]))
        if outcome.negotiated:
            entry["renewals_total"] += 1
            entry["last_renewal"] = now
            proof = ("named transfers with it" if outcome.named_proof == "done" else
                     "named's transfers with it are not proved (%s)" % outcome.named_proof)
            _say(out, "%s: renewed the transfer key (%s): %s, expires %s; %s%s" % (
                primary.name, outcome.reason, outcome.key_name, _stamp(outcome.expiration), proof,
                "; deleted %s on the primary" % outcome.superseded_key_name if outcome.deleted_superseded else ""))
        for warning in outcome.warnings:
            _say(err, "%s: %s" % (primary.name, warning))
        if outcome.zone_failures:
            entry["failures_total"] += 1
            status_code = 1
            for zone, reason in sorted(outcome.zone_failures.items()):
                _say(err, "%s: zone %s: %s" % (primary.name, zone, reason))
    if not check:
        known = set(values["name"] for values in config["primaries"] if isinstance(values, dict) and "name" in values)
        state = dict((name, entry) for name, entry in state.items() if name in known)
        _files.write_atomic(config["state_file"], json.dumps(state, indent=1, sort_keys=True) + "\n", mode=0o600, group=None)
        if config["metrics_file"]:
            try:  # monitoring never holds the keys back: the renewals are done and recorded by now
                _files.write_atomic(config["metrics_file"], render_metrics(state), mode=0o644, group=None)
            except DnsopsError as exc:
                _say(err, "the metrics were not written: %s" % exc)
                status_code = 1
    return status_code


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROG, description=(
        "Keep this secondary's TKEY transfer keys current: renew a key before it expires, and at once when a primary "
        "lost it (a named restart). Installed and configured by the dnsops.tkey.secondary role."))
    parser.add_argument("--config", default=DEFAULT_CONFIG, help="the configuration the role wrote (default %(default)s)")
    parser.add_argument("--check", action="store_true", help="say what would be done, change nothing")
    parser.add_argument("--status", action="store_true", help="print the state as JSON (no query is sent)")
    parser.add_argument("--force", action="store_true", help="negotiate new keys now, even if the current ones are good")
    parser.add_argument("--random-delay", type=float, default=0, metavar="SECONDS",
                        help="first sleep up to SECONDS, to spread a fleet's runs (for cron; systemd timers have RandomizedDelaySec)")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if args.status:
            sys.stdout.write(json.dumps(status(config), indent=1, sort_keys=True) + "\n")
            return 0
        if args.random_delay > 0:
            time.sleep(random.uniform(0, args.random_delay))
        directory = os.path.dirname(os.path.abspath(config["state_file"]))
        if not os.path.isdir(directory) and not args.check:
            _files.make_directory(directory, 0o750, group=None)
        with _files.RunLock(config["lock_file"], config["lock_timeout"], create=not args.check):
            return renew_all(config, check=args.check, force=args.force)
    except DnsopsError as exc:
        _say(sys.stderr, str(exc))
        return 1
    except (IOError, OSError) as exc:
        _say(sys.stderr, "%s: %s" % (getattr(exc, "filename", None) or "I/O error", exc.strerror or exc))
        return 1
