# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A serial never goes backwards: RFC 1982 comparison, the SOA serial of a zone file, and the one-line refusals."""

from __future__ import annotations

import random
import struct

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _serials
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, OptionError

TOP = 2 ** 32 - 1
HALF = 2 ** 31


def bind_serial_gt(a, b):
    """isc_serial_gt() of BIND's lib/isc/serial.c: ((int32_t)(a - b) > 0), written independently of _serials."""
    return struct.unpack("!i", struct.pack("!I", (a - b) & 0xFFFFFFFF))[0] > 0


@pytest.mark.parametrize("wanted,current,verdict", [
    (2026112501, 2026112501, "equal"),
    (2026112502, 2026112501, "higher"),
    (2026112509, 2026112501, "higher"),
    (2026112501, 2026112509, "lower"),
    (0, 0, "equal"),
    (TOP, TOP, "equal"),
    (1, 0, "higher"),
    (0, 1, "lower"),
    # wrap-around: past 4294967295 comes 0
    (0, TOP, "higher"),
    (5, 4294967290, "higher"),
    (TOP, 0, "lower"),
    (4294967290, 5, "lower"),
    # the edges of the half circle
    (HALF - 1, 0, "higher"),
    (HALF + 1, 0, "lower"),
    (0, HALF - 1, "lower"),
    (0, HALF + 1, "higher"),
    (HALF, 0, "undefined"),
    (0, HALF, "undefined"),
    (2026112501 + HALF, 2026112501, "undefined"),
    # RFC 1982 section 5.1's SERIAL_BITS = 2 example, scaled to 32 bits: 0 < 1 < 2 < 3 < 0, 0 and 2 undefined
    (1 << 30, 0, "higher"),
    (2 << 30, 1 << 30, "higher"),
    (3 << 30, 2 << 30, "higher"),
    (0, 3 << 30, "higher"),
    (2 << 30, 0, "undefined"),
])
def test_compare(wanted, current, verdict):
    assert _serials.compare(wanted, current) == verdict
    assert _serials.moves_secondaries(wanted, current) == (verdict in ("equal", "higher"))


def test_compare_agrees_with_bind_on_random_and_boundary_pairs():
    rng = random.Random(1982)
    edges = [0, 1, HALF - 1, HALF, HALF + 1, TOP - 1, TOP, 2026112501]
    pairs = [(a, b) for a in edges for b in edges] + [(rng.randrange(2 ** 32), rng.randrange(2 ** 32)) for _draw in range(5000)]
    pairs += [(b + d & TOP, b) for b in edges for d in (-2, -1, 1, 2, HALF - 2, HALF + 2)]
    for wanted, current in pairs:
        verdict = _serials.compare(wanted, current)
        # a secondary (BIND) takes WANTED after CURRENT exactly when it is higher; equal needs no transfer
        assert (verdict == "higher") == bind_serial_gt(wanted, current), (wanted, current)
        assert (verdict == "lower") == (bind_serial_gt(current, wanted) and wanted != current), (wanted, current)


ROLE_TEMPLATE = (  # what roles/primary/templates/zone.db.j2 renders, tabs and all
    "; Ansible managed\n"
    "$TTL 300\n"
    "@\tIN SOA ns.example.com. hostmaster.example.com. (\n"
    "\t\t2026112501 ; serial: kept fixed, raise it when the records change\n"
    "\t\t3600 600 1209600 300 )\n"
    "@\tIN NS ns.example.com.\n"
    "ns\tIN A 192.0.2.53\n"
)


@pytest.mark.parametrize("text,serial", [
    (ROLE_TEMPLATE, 2026112501),
    ("$TTL 300\n@   IN SOA ns.z. hostmaster.z. 2026112509 3600 600 86400 300\n@ IN NS ns.z.\n", 2026112509),
    ("$ORIGIN example.com.\nexample.com. 300 IN SOA ns hostmaster 7 3600 600 86400 300\n", 7),
    ("@ SOA ns hm ( 12\n  3600 600 86400 300 )\n", 12),
    ("$TTL 1h\n  IN 3600 SOA ns hm 13 1 1 1 1\n", 13),  # owner left out, class and TTL in either order
    ("@ 1h30m IN SOA ns hm 14 1 1 1 1\n", 14),
    ("soa IN A 192.0.2.1\n@ IN SOA ns hm 15 1 1 1 1\n", 15),  # a name that reads 'soa' is an owner, not a type
    ('@ IN TXT "a ; ( b"\n@ IN SOA ns hm 16 1 1 1 1\n', 16),  # ; and ( inside quotes
    ("@ IN SOA ns hm ( ; serial next\n 17 ; serial\n 1 1 1 1 ) ; done\n", 17),
    ("@ in soa ns hm 18 1 1 1 1\n", 18),
    ("@ IN SOA ns hm 0 1 1 1 1\n", 0),
    ("@ IN SOA ns hm 4294967295 1 1 1 1\n", TOP),
    ("@ IN SOA ns hm 4294967296 1 1 1 1\n", None),  # not a serial
    ("@ IN SOA ns hm 1x 1 1 1 1\n", None),
    ("@ IN SOA ns hm (\n 19\n", None),  # cut off inside the record (a file read in part)
    ("@ IN NS ns\n", None),
    ("$INCLUDE /etc/bind/soa.inc\n@ IN NS ns\n", None),
    ("", None),
])
def test_parse_serial(text, serial):
    assert _serials.parse_serial(text) == serial


def test_parse_serial_agrees_with_dnspython():
    dns_zone = pytest.importorskip("dns.zone")
    for text in (ROLE_TEMPLATE, "$TTL 300\n@ IN SOA ns hm ( 4000000000 ; s\n 1 1 1 1 )\n@ IN NS ns\n",
                 "$ORIGIN example.com.\n$TTL 1h\nexample.com. 300 IN SOA ns hm 42 1 1 1 1\n  IN NS ns\n"):
        zone = dns_zone.from_text(text, origin="example.com.", relativize=False, check_origin=False)
        assert _serials.parse_serial(text) == zone.get_rdataset("example.com.", "SOA")[0].serial


BRIEF_EXAMPLE = ("zone example.com: the inventory's serial 2026112501 is lower than the 2026112509 the primary serves now; "
                 "raise serial in tkey_zones above 2026112509 (someone changed the zone by hand?)")


def _served(serials):
    return serials.get


def _disk(serials, directory="/etc/bind/zones"):
    return lambda zone: (directory + "/db." + zone, serials.get(zone))


def test_a_lower_serial_is_refused_in_one_line_naming_the_zone_and_both_serials():
    report, problems, warnings = _serials.check([dict(name="example.com", serial=2026112501)],
                                                _served({"example.com": 2026112509}), _disk({}))
    assert problems == [BRIEF_EXAMPLE] and warnings == []
    assert report == [dict(name="example.com", wanted=2026112501, current=2026112509, source="named", verdict="lower")]
    with pytest.raises(_serials.SerialWouldGoBackwards) as info:
        _serials.require_forward([dict(name="example.com", serial=2026112501)], _served({"example.com": 2026112509}), _disk({}))
    assert str(info.value) == BRIEF_EXAMPLE and isinstance(info.value, DnsopsError)
    assert info.value.result["problems"] == [BRIEF_EXAMPLE] and info.value.result["changed"] is False


@pytest.mark.parametrize("wanted,verdict", [(2026112509, "equal"), (2026112510, "higher"), (2026112509 + HALF - 1, "higher")])
def test_an_equal_or_higher_serial_passes(wanted, verdict):
    report, warnings = _serials.require_forward([dict(name="example.com", serial=wanted)],
                                                _served({"example.com": 2026112509}), _disk({}))
    assert report[0]["verdict"] == verdict and warnings == []


def test_named_s_serial_wins_over_the_file_while_it_serves_the_zone():
    on_disk = _disk({"example.com": 2026112599})  # raised in the file, not reloaded: the secondaries never saw it
    report, _warnings = _serials.require_forward([dict(name="example.com", serial=2026112501)],
                                                 _served({"example.com": 2026112501}), on_disk)
    assert report[0]["source"] == "named" and report[0]["verdict"] == "equal"


def test_the_zone_file_speaks_when_named_does_not_serve_the_zone():
    zones = [dict(name="example.com", serial=2026112501)]
    report, problems, _warnings = _serials.check(zones, _served({}), _disk({"example.com": 2026112509}))
    assert problems == [
        "zone example.com: the inventory's serial 2026112501 is lower than the 2026112509 in /etc/bind/zones/db.example.com "
        "(named does not serve the zone now); raise serial in tkey_zones above 2026112509 (someone changed the zone by hand?)"]
    assert report[0]["source"] == "file"
    report, problems, _warnings = _serials.check(zones, _served({}), _disk({}))  # no file either: a first run
    assert problems == [] and report == [dict(name="example.com", wanted=2026112501, current=None, source="none", verdict="new")]


def test_a_zone_given_as_a_file_is_judged_by_its_soa_and_the_message_names_the_file():
    zones = [dict(name="example.net", content=ROLE_TEMPLATE, file="files/db.example.net")]
    _report, problems, _warnings = _serials.check(zones, _served({"example.net": 2026112502}), _disk({}))
    assert problems == [
        "zone example.net: the inventory's serial 2026112501 (the SOA of files/db.example.net) is lower than the 2026112502 "
        "the primary serves now; raise the SOA serial in files/db.example.net above 2026112502 (someone changed the zone by hand?)"]
    report, problems, _warnings = _serials.check(zones, _served({"example.net": 2026112501}), _disk({}))
    assert problems == [] and report[0]["verdict"] == "equal"


def test_content_without_an_soa_is_not_compared_and_says_so():
    zones = [dict(name="example.net", content="$INCLUDE /etc/bind/soa.inc\n", file="files/db.example.net")]
    report, problems, warnings = _serials.check(zones, _served({"example.net": 5}), _disk({}))
    assert problems == [] and report[0]["verdict"] == "unknown"
    assert warnings == ["zone example.net: no SOA serial found in files/db.example.net, so it is not compared with the primary's"]


def test_several_problems_first_in_the_message_all_in_problems():
    zones = [dict(name="a.test", serial=1), dict(name="b.test", serial=10), dict(name="c.test", serial=3)]
    with pytest.raises(_serials.SerialWouldGoBackwards) as info:
        _serials.require_forward(zones, _served({"a.test": 2, "b.test": 10}), _disk({"c.test": 4}))
    problems = info.value.result["problems"]
    assert len(problems) == 2 and problems[0].startswith("zone a.test: ") and problems[1].startswith("zone c.test: ")
    assert str(info.value) == problems[0] + " (and 1 more: see problems)"
    assert [zone["verdict"] for zone in info.value.result["zones"]] == ["lower", "equal", "lower"]


def test_the_files_are_read_only_for_zones_named_does_not_serve():
    asked = []

    def on_disk(zone):
        asked.append(zone)
        return "/z/db." + zone, None

    _serials.check([dict(name="a.test", serial=1), dict(name="b.test", serial=1)], _served({"a.test": 1}), on_disk)
    assert asked == ["b.test"]


def test_exactly_half_the_circle_away_is_refused_with_its_reason():
    _report, problems, _warnings = _serials.check([dict(name="example.com", serial=5 + HALF)], _served({"example.com": 5}), _disk({}))
    assert problems == ["zone example.com: the inventory's serial %d is exactly 2^31 away from the 5 the primary serves now, which "
                        "secondaries take as neither higher nor lower; raise serial in tkey_zones above 5 "
                        "(someone changed the zone by hand?)" % (5 + HALF)]


def test_the_remedy_near_the_top_says_that_serials_wrap():
    _report, problems, _warnings = _serials.check([dict(name="example.com", serial=4294967280)],
                                                  _served({"example.com": 4294967290}), _disk({}))
    assert problems == ["zone example.com: the inventory's serial 4294967280 is lower than the 4294967290 the primary serves now; "
                        "raise serial in tkey_zones above 4294967290, or to 0-2147483641 (serials wrap) "
                        "(someone changed the zone by hand?)"]
    assert _serials.compare(2147483641, 4294967290) == "higher" and _serials.compare(2147483642, 4294967290) == "undefined"


@pytest.mark.parametrize("zone,fragment", [
    (dict(name="example.com"), "zones[0] (zone example.com): give serial or content, one of them"),
    (dict(name="example.com", serial=1, content="x"), "give serial or content, one of them"),
    (dict(name="example.com", serial=2 ** 32), "serial 4294967296 is not a number from 0 to 4294967295"),
    (dict(name="example.com", serial=True), "serial True is not a number"),
    (dict(name="../etc/passwd", serial=1), "zones[0]: '../etc/passwd' is not a zone name"),
    (dict(name="a/b", serial=1), "is not a zone name"),
    (dict(serial=1), "zones[0] must be a mapping with name and serial or content"),
    ("example.com", "zones[0] must be a mapping"),
])
def test_unusable_zones_are_option_errors(zone, fragment):
    with pytest.raises(OptionError) as info:
        _serials.check([zone], _served({}), _disk({}))
    assert fragment in str(info.value)
