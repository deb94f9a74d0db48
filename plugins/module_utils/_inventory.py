# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The inventory the roles read (tkey_zones, the host groups and the hosts' variables), checked before anything changes.

Each problem is one line that names the zone or host, the field and the fix. Pure Python; the records are
parsed with dnspython when it is importable, else named-checkzone judges them on the primary.
"""

from __future__ import annotations

import re

try:
    import dns.exception
    import dns.name
    import dns.zone
except ImportError:
    HAS_DNSPYTHON = False
else:
    HAS_DNSPYTHON = True

from ansible_collections.dnsops.tkey.plugins.module_utils import _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError

ZONE_FIELDS = ("name", "primaries", "secondaries", "serial", "records", "file", "ttl", "mname", "rname", "refresh", "retry",
               "expire", "minimum")
_TIMER_FIELDS = ("ttl", "refresh", "retry", "expire", "minimum")
_LABEL_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
MAX_SERIAL = 2 ** 32 - 1
MAX_TTL = 2 ** 31 - 1  # RFC 2181: TTLs and SOA timers are 31-bit


def dns_name_problem(text):
    """Why TEXT cannot be a zone or host name, or None. Letters, digits, '-' and '_' in labels of 1-63."""
    if not isinstance(text, str) or not text.strip():
        return "is empty"
    bare = text.strip().rstrip(".")
    if not bare:
        return "is the root, which cannot be served here"
    if len(bare) > 253:
        return "is longer than 253 characters"
    for label in bare.split("."):
        if not _LABEL_RE.match(label):
            return "has the label %r; use letters, digits, '-' and '_' (1-63 per label, no '-' at either end)" % label
    return None


def canonical_zone(name):
    """'Example.TEST.' -> 'example.test': how two zone entries are compared."""
    return name.strip().rstrip(".").lower()


def _integer(value, low, high):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        return None
    return number if low <= number <= high else None


def _record_problem(zone, record):
    """Why RECORD (one zone file line, relative to ZONE) does not parse, or None."""
    if not HAS_DNSPYTHON:
        return None
    origin = dns.name.from_text(zone)
    try:
        parsed = dns.zone.from_text("$TTL 300\n%s\n" % record, origin=origin, relativize=False, check_origin=False)
    except dns.exception.DNSException as exc:
        return "does not parse (%s)" % str(exc).split(": ", 1)[-1]
    if not record.lstrip().startswith("$") and not parsed.nodes:
        return "is outside the zone; give names relative to the zone or ending in .%s." % zone.rstrip(".")
    return None


def check_zones(zones, secondaries, group="tkey_secondaries", primaries=None, primaries_group="tkey_primaries"):
    """The problems of ZONES (tkey_zones) against SECONDARIES (the hosts of GROUP) and PRIMARIES (the hosts of
    PRIMARIES_GROUP; None: not checked), each one line; [] if none."""
    if zones is None:
        return []
    if not isinstance(zones, list):
        return ["tkey_zones must be a list of zones (each with name and secondaries), not %s" % type(zones).__name__]
    known = list(secondaries or [])
    problems, seen = [], {}
    for index, zone in enumerate(zones):
        where = "tkey_zones[%d]" % index
        if not isinstance(zone, dict):
            problems.append("%s must be a mapping with name and secondaries, not %r" % (where, zone))
            continue
        name = zone.get("name")
        problem = dns_name_problem(name) if isinstance(name, str) else "is missing" if name is None else "must be a string"
        if problem:
            problems.append("%s: the zone name %s%s" % (where, ("%r " % name) if isinstance(name, str) else "", problem))
            continue
        where = "%s (zone %s)" % (where, name)
        key = canonical_zone(name)
        if key in seen:
            problems.append("%s is listed twice (also tkey_zones[%d]); list each zone once" % (where, seen[key]))
            continue
        seen[key] = index
        unknown = sorted(set(zone) - set(ZONE_FIELDS))
        if unknown:
            problems.append("%s: unknown field %s; the fields are %s" % (where, ", ".join(unknown), ", ".join(ZONE_FIELDS)))
        problems.extend(_secondaries_problems(where, zone.get("secondaries"), known, group))
        if primaries is not None:
            problems.extend(_hosts_problems(where, "primaries", zone.get("primaries"), list(primaries), primaries_group))
        if "serial" in zone and _integer(zone["serial"], 0, MAX_SERIAL) is None:
            problems.append("%s: serial %r is not a number from 0 to %d" % (where, zone["serial"], MAX_SERIAL))
        for field in _TIMER_FIELDS:
            if field in zone and _integer(zone[field], 0, MAX_TTL) is None:
                problems.append("%s: %s %r is not a number of seconds from 0 to %d" % (where, field, zone[field], MAX_TTL))
        for field in ("mname", "rname"):
            if field in zone and dns_name_problem(zone[field]):
                problems.append("%s: %s %r %s" % (where, field, zone[field], dns_name_problem(zone[field])))
        problems.extend(_content_problems(where, name, zone))
    return problems


def _secondaries_problems(where, listed, known, group):
    return _hosts_problems(where, "secondaries", listed, known, group)


def _hosts_problems(where, field, listed, known, group):
    if listed is None:
        return []
    if not isinstance(listed, list) or not all(isinstance(host, str) for host in listed):
        return ["%s: %s must be a list of host names, not %r" % (where, field, listed)]
    problems = []
    for host in listed:
        if host not in known:
            problems.append(
                "%s: %s names %s, which is not a host of %s (%s); fix the name or add the host to the group"
                % (where, field, host, group, ", ".join(known) or "none")
            )
    if len(set(listed)) != len(listed):
        problems.append("%s: %s lists a host twice" % (where, field))
    if field == "primaries" and not listed:
        problems.append("%s: primaries is empty; name the primaries that serve the zone, or leave the field out (all of %s)" % (where, group))
    return problems


def _content_problems(where, name, zone):
    records, path = zone.get("records"), zone.get("file")
    if records is not None and path is not None:
        return ["%s: give records or file, not both" % where]
    if path is not None and (not isinstance(path, str) or not path.strip()):
        return ["%s: file must be the path of a zone file on the controller" % where]
    if records is None:
        return []
    if not isinstance(records, list) or not all(isinstance(record, str) for record in records):
        return ["%s: records must be a list of zone file lines such as 'www IN A 192.0.2.10'" % where]
    problems = []
    for record in records:
        problem = _record_problem(name, record)
        if problem:
            problems.append("%s: record %r %s" % (where, record, problem))
    return problems


def require_valid_zones(zones, secondaries, group="tkey_secondaries", primaries=None):
    """Raise an OptionError whose message is the first problem (and how many more there are)."""
    problems = check_zones(zones, secondaries, group, primaries)
    if problems:
        more = " (and %d more problem%s)" % (len(problems) - 1, "s" if len(problems) > 2 else "") if len(problems) > 1 else ""
        raise OptionError(problems[0] + more)


# --- the hosts' own variables ------------------------------------------------------------------------

# The variables of a host that the roles write into named's files (named.conf, its includes, key file names), by the
# group that reads them, each with its check. The address is tkey_address unless the role's own variable is set.
SECONDARY_VARIABLES = (
    ("secondary_port", _validate.port),
    ("secondary_control_port", _validate.port),
    ("secondary_key_name", _validate.key_name),
    ("secondary_directory", _validate.directory),
    ("secondary_key_dir", _validate.directory),
    ("secondary_log_dir", _validate.directory),
    ("secondary_named_conf_path", _validate.path),
)
PRIMARY_VARIABLES = (
    ("primary_port", _validate.port),
    ("primary_control_port", _validate.port),
    ("primary_tkey_domain", _validate.key_name),
    ("primary_dh_name", _validate.key_name),
    ("primary_static_suffix", _validate.key_name),
    ("primary_directory", _validate.directory),
    ("primary_key_dir", _validate.directory),
    ("primary_zone_dir", _validate.directory),
    ("primary_log_dir", _validate.directory),
    ("primary_fragment_dir", _validate.directory),
    ("primary_named_conf_path", _validate.path),
)
HOST_VARIABLES = ("tkey_address", "secondary_address", "primary_address") + tuple(
    name for name, _check in SECONDARY_VARIABLES + PRIMARY_VARIABLES)


class Unrendered(object):
    """A host variable whose template could not be rendered from the host's inventory variables."""

    def __init__(self, reason):
        self.reason = " ".join(str(reason).split())[:200]


def check_hosts(host_vars, secondaries, primaries, group="tkey_secondaries", primaries_group="tkey_primaries"):
    """The problems of the hosts' own variables that the roles write into named's files, each one line; [] if none.

    HOST_VARS maps each host to the variables of HOST_VARIABLES set for it (rendered; an Unrendered if its template
    could not be). SECONDARIES and PRIMARIES are the hosts of GROUP and PRIMARIES_GROUP. A host of either group needs
    an address: secondary_address / primary_address when set, else tkey_address.
    """
    problems = []
    for role_group, hosts, role, variables in ((group, secondaries, "secondary", SECONDARY_VARIABLES),
                                               (primaries_group, primaries, "primary", PRIMARY_VARIABLES)):
        for host in hosts or ():
            values = host_vars.get(host)
            if values is None:
                problems.append("host %s of %s is not in the inventory; add it or remove it from the group" % (host, role_group))
                continue
            problems.extend(_host_problems(host, values, role, variables))
    unique = []
    for problem in problems:  # a host of both groups: one line per problem
        if problem not in unique:
            unique.append(problem)
    return unique


def _host_problems(host, values, role, variables):
    where = "host %s" % host
    problems = []
    try:
        _validate.key_name("tkeyinit-%s" % host, where)
    except OptionError:
        problems.append("%s: its inventory name becomes part of key names and file names in named.conf (tkeyinit-%s); "
                        "name it with letters, digits, '-', '_' and '.' only" % (where, host))
    override = "%s_address" % role
    name = override if override in values else "tkey_address"
    if name not in values:
        problems.append("%s: tkey_address is not set (nor %s); give the host the address named listens on in the "
                        "inventory, such as tkey_address: 192.0.2.53" % (where, override))
    for name, check in ((name, _validate.address),) + tuple(variables):
        if name not in values:
            continue
        value = values[name]
        if isinstance(value, Unrendered):
            problems.append("%s: %s cannot be rendered from the host's inventory variables (%s); set it to a value, or "
                            "to a template of variables the inventory defines"
                            % (where, name, value.reason))
            continue
        try:
            check(value, "%s: %s" % (where, name))
        except OptionError as exc:
            problems.append(str(exc))
    return problems
