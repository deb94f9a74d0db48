# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""A zone's serial never goes backwards: the serial the inventory wants against the one the primary has now.

Serials are compared as RFC 1982 says and BIND does (isc_serial_gt): a secondary takes a new serial only when it is
higher in serial arithmetic, so a lower one (or one exactly 2**31 away, which BIND takes as neither) would leave
every secondary on its old serial until the inventory's passes it again. The comparison, the zone file reader and
check() are pure Python; PrimarySerials asks named (an unsigned SOA query, through _tkey on dnspython) and reads the
zone files (through _files). Nothing here imports Ansible.
"""

from __future__ import annotations

import os
import re

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, OptionError, TkeyError, TransportError

MODULUS = 1 << 32
HALF = 1 << 31
MAX_SERIAL = MODULUS - 1
HEAD = 64 * 1024  # how much of a zone file is read: its SOA record comes first

EQUAL, HIGHER, LOWER, UNDEFINED = "equal", "higher", "lower", "undefined"

# One token of a master file line: a quoted string, a parenthesis, a comment, or a word (with \-escapes).
_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"?|[()]|;.*|(?:[^\s"();\\]|\\.)+')
_TTL_RE = re.compile(r"^(?:\d+|(?:\d+[wdhms])+)$", re.I)
_CLASS_RE = re.compile(r"^(?:IN|CH|CS|HS|CLASS\d+)$", re.I)
_SERIAL_RE = re.compile(r"^[0-9]{1,10}$")


class SerialWouldGoBackwards(DnsopsError):
    """The inventory would lower a zone's serial; .result carries every problem."""

    def __init__(self, problems, zones):
        more = len(problems) - 1
        super(SerialWouldGoBackwards, self).__init__(problems[0] + (" (and %d more: see problems)" % more if more else ""))
        self.result = dict(changed=False, problems=list(problems), zones=zones)


def compare(wanted, current):
    """EQUAL, HIGHER, LOWER or UNDEFINED: WANTED against CURRENT in RFC 1982 serial arithmetic (SERIAL_BITS 32).

    UNDEFINED is a distance of exactly 2**31, which BIND takes as neither higher nor lower: no secondary moves.
    """
    distance = (wanted - current) % MODULUS
    if distance == 0:
        return EQUAL
    if distance < HALF:
        return HIGHER
    if distance > HALF:
        return LOWER
    return UNDEFINED


def moves_secondaries(wanted, current):
    """Whether a primary going from CURRENT to WANTED leaves its secondaries able to follow (equal or higher)."""
    return compare(wanted, current) in (EQUAL, HIGHER)


def _records(text):
    """(owner given, tokens) of each complete record of a master file; parentheses join lines, comments go.

    A record still open at the end (a file read only in part, or a broken one) is not returned.
    """
    tokens, depth, owner_given = [], 0, True
    for line in text.splitlines():
        if depth == 0:
            tokens, owner_given = [], not line[:1].isspace()
        for match in _TOKEN_RE.finditer(line):
            token = match.group(0)
            if token.startswith(";"):
                break
            if token == "(":
                depth += 1
            elif token == ")":
                depth = max(depth - 1, 0)
            else:
                tokens.append(token)
        if depth == 0 and tokens:
            yield owner_given, tokens
            tokens = []


def parse_serial(text):
    """The serial (an int) of the first SOA record in master file TEXT, or None if none is there or it is not one.

    A narrow reader on purpose: it needs only the head of a zone of any size, and takes what dnspython's zone parser
    would refuse without the zone's $INCLUDE files or a $GENERATE it does not know.
    """
    for owner_given, tokens in _records(text):
        if owner_given and tokens[0].startswith("$"):
            continue  # $TTL, $ORIGIN, $INCLUDE, $GENERATE
        index = 1 if owner_given else 0
        while index < len(tokens) - 1 and index < (1 if owner_given else 0) + 2 and (
                _TTL_RE.match(tokens[index]) or _CLASS_RE.match(tokens[index])):
            index += 1
        if index >= len(tokens) or tokens[index].upper() != "SOA":
            continue
        rdata = tokens[index + 1:]
        if len(rdata) < 3 or not _SERIAL_RE.match(rdata[2]) or int(rdata[2]) > MAX_SERIAL:
            return None
        return int(rdata[2])
    return None


def _serial_option(zone, where):
    serial = zone.get("serial")
    content = zone.get("content")
    if (serial is None) == (content is None):
        raise OptionError("%s: give serial or content, one of them" % where)
    if serial is not None and (isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= MAX_SERIAL):
        raise OptionError("%s: serial %r is not a number from 0 to %d" % (where, serial, MAX_SERIAL))
    return serial


def _remedy(zone, current):
    where = "the SOA serial in %s" % zone["file"] if zone.get("file") else "serial in tkey_zones"
    remedy = "raise %s above %d" % (where, current)
    last = current + HALF - 1
    if last > MAX_SERIAL:  # the serials above CURRENT wrap past 4294967295
        remedy += ", or to 0-%d (serials wrap)" % (last % MODULUS)
    return remedy


def problem(zone, wanted, current, where):
    """The one-line refusal for ZONE (a zones item) whose WANTED serial does not move its secondaries past CURRENT
    (found WHERE: 'serves now', or a file), or None when it does."""
    verdict = compare(wanted, current)
    if verdict in (EQUAL, HIGHER):
        return None
    subject = "the inventory's serial %d" % wanted
    if zone.get("file"):
        subject += " (the SOA of %s)" % zone["file"]
    have = "the %d the primary serves now" % current if where == "named" else (
        "the %d in %s (named does not serve the zone now)" % (current, where))
    if verdict == LOWER:
        told = "is lower than %s" % have
    else:
        told = "is exactly 2^31 away from %s, which secondaries take as neither higher nor lower" % have
    return "zone %s: %s %s; %s (someone changed the zone by hand?)" % (zone["name"], subject, told, _remedy(zone, current))


def check(zones, served, on_disk):
    """(report, problems, warnings) for ZONES: [{name, serial or content, file (optional)}].

    SERVED(name) is the serial named serves now or None; ON_DISK(name) is (path, its SOA serial or None) of the zone
    file, asked only when named does not serve the zone ((path, None) for a missing file: a first run).
    """
    if not isinstance(zones, list):
        raise OptionError("zones must be a list of {name, serial or content}")
    report, problems, warnings = [], [], []
    for index, zone in enumerate(zones):
        where = "zones[%d]" % index
        if not isinstance(zone, dict) or not isinstance(zone.get("name"), str) or not zone["name"]:
            raise OptionError("%s must be a mapping with name and serial or content" % where)
        if "/" in zone["name"] or "\0" in zone["name"] or zone["name"].startswith("."):
            raise OptionError("%s: %r is not a zone name" % (where, zone["name"]))
        wanted = _serial_option(zone, "%s (zone %s)" % (where, zone["name"]))
        if wanted is None:
            wanted = parse_serial(zone["content"])
            if wanted is None:
                warnings.append("zone %s: no SOA serial found in %s, so it is not compared with the primary's"
                                % (zone["name"], zone.get("file") or "its content"))
        entry = dict(name=zone["name"], wanted=wanted, current=None, source="none", verdict="new")
        current = served(zone["name"])
        if current is not None:
            entry.update(current=current, source="named")
            source = "named"
        else:
            source, current = on_disk(zone["name"])
            if current is not None:
                entry.update(current=current, source="file")
        if wanted is None:
            entry["verdict"] = "unknown"
        elif current is not None:
            entry["verdict"] = compare(wanted, current)
            found = problem(zone, wanted, current, source)
            if found:
                problems.append(found)
        report.append(entry)
    return report, problems, warnings


def require_forward(zones, served, on_disk):
    """check(), raising SerialWouldGoBackwards with every problem; (report, warnings) otherwise."""
    report, problems, warnings = check(zones, served, on_disk)
    if problems:
        raise SerialWouldGoBackwards(problems, report)
    return report, warnings


class PrimarySerials(object):
    """The serials a primary has now: what named serves while it answers, else the SOA of ZONE_DIR/db.ZONE.

    SERVER is a _transport.Server (UDP). After one query without any answer named is taken as stopped and not asked
    again in this run; REFUSED, SERVFAIL or an answer without the zone's SOA mean that named does not serve the zone.
    """

    def __init__(self, server, zone_dir):
        self.server = server
        self.zone_dir = zone_dir
        self.silent = False
        self.answered = False
        self.warnings = []

    def served(self, zone):
        """The serial named serves for ZONE, or None."""
        if self.silent:
            return None
        try:
            _rcode, serial = _tkey.soa_query(self.server, zone)
        except TransportError:
            self.silent = True
            return None
        except TkeyError:
            return None
        self.answered = True
        return serial

    def on_disk(self, zone):
        """(path of ZONE's file, the serial of its SOA or None); a file read in part ends at its last whole line."""
        path = os.path.join(self.zone_dir, "db." + zone)
        if not os.path.lexists(path):
            return path, None
        try:
            data, _offset = _files.read_tail(path, 0, HEAD)
        except DnsopsError as exc:
            raise DnsopsError("zone %s: %s; its serial must be known before the file is replaced" % (zone, exc))
        text = data.decode("utf-8", "replace")
        if len(data) >= HEAD:  # a last line cut short could end in part of a serial
            text = text[:text.rfind("\n") + 1]
        serial = parse_serial(text)
        if serial is None:
            self.warnings.append("zone %s: no SOA serial found at the start of %s, so it is not compared" % (zone, path))
        return path, serial
