# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The inventory check: each mistake a new user makes gets one line naming the zone, the field and the fix."""

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _inventory
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError

SECONDARIES = ["sec1", "sec2"]


def _zone(**fields):
    zone = dict(name="example.test", secondaries=["sec1"], serial=2026112501, records=["www IN A 192.0.2.10"])
    zone.update(fields)
    return dict((k, v) for k, v in zone.items() if v is not None)


def test_the_lab_inventory_passes():
    zones = [
        _zone(secondaries=["sec1", "sec2"], records=["www IN A 192.0.2.10", "mail IN A 192.0.2.25", "@ IN MX 10 mail",
                                                     'txt IN TXT "two words"', "v6 IN AAAA 2001:db8::1", "$TTL 600"]),
        _zone(name="alpha.test", serial="2026112501"),
        _zone(name="beta.test", records=None, file="files/db.beta.test", secondaries=["sec2"]),
        _zone(name="gamma.test", records=None, serial=None, secondaries=None),
    ]
    assert _inventory.check_zones(zones, SECONDARIES) == []
    _inventory.require_valid_zones(zones, SECONDARIES)


@pytest.mark.parametrize("zones,expected", [
    ([_zone(records=["www IN A 192.0.2.300"])], "tkey_zones[0] (zone example.test): record 'www IN A 192.0.2.300' does not parse"),
    ([_zone(serial="abc")], "tkey_zones[0] (zone example.test): serial 'abc' is not a number from 0 to 4294967295"),
    ([_zone(serial=2 ** 32)], "serial 4294967296 is not a number"),
    ([_zone(serial=True)], "serial True is not a number"),
    ([_zone(name="bad zone name!")], "tkey_zones[0]: the zone name 'bad zone name!' has the label 'bad zone name!'"),
    ([_zone(name="0/26.2.0.192.in-addr.arpa")], "has the label '0/26'"),
    ([_zone(name=".")], "is the root"),
    ([_zone(name=None)], "tkey_zones[0]: the zone name is missing"),
    ([_zone(), _zone(name="Example.TEST.")], "tkey_zones[1] (zone Example.TEST.) is listed twice (also tkey_zones[0])"),
    ([_zone(secondaries=["sec3"])], "secondaries names sec3, which is not a host of tkey_secondaries (sec1, sec2)"),
    ([_zone(secondaries="sec1")], "secondaries must be a list of host names"),
    ([_zone(secondaries=["sec1", "sec1"])], "lists a host twice"),
    ([_zone(secondary=["sec1"])], "unknown field secondary; the fields are name, primaries, secondaries"),
    ([_zone(file="db.example")], "give records or file, not both"),
    ([_zone(records="www IN A 192.0.2.1")], "records must be a list"),
    ([_zone(records=["www IN CNAME"])], "record 'www IN CNAME' does not parse"),
    ([_zone(records=["www.other.test. IN A 192.0.2.1"])], "is outside the zone"),
    ([_zone(refresh="1h")], "refresh '1h' is not a number of seconds"),
    ([_zone(mname="ns one")], "mname 'ns one' has the label"),
    (["example.test"], "tkey_zones[0] must be a mapping"),
    ({"name": "example.test"}, "tkey_zones must be a list"),
])
def test_each_mistake_is_one_line_naming_zone_and_field(zones, expected):
    problems = _inventory.check_zones(zones, SECONDARIES)
    assert problems and expected in problems[0], problems
    assert all("\n" not in problem for problem in problems)
    with pytest.raises(OptionError) as info:
        _inventory.require_valid_zones(zones, SECONDARIES)
    assert str(info.value).startswith(problems[0])


@pytest.mark.parametrize("zone,expected", [
    (_zone(primaries=["ns3"]), "primaries names ns3, which is not a host of tkey_primaries (ns1, ns2)"),
    (_zone(primaries=[]), "primaries is empty"),
    (_zone(primaries="ns1"), "primaries must be a list of host names"),
])
def test_primaries_are_hosts_of_the_group(zone, expected):
    problems = _inventory.check_zones([zone], SECONDARIES, primaries=["ns1", "ns2"])
    assert problems and expected in problems[0], problems
    assert _inventory.check_zones([_zone(primaries=["ns2", "ns1"])], SECONDARIES, primaries=["ns1", "ns2"]) == []


def test_every_problem_is_reported_and_counted():
    zones = [_zone(serial="abc"), _zone(name="alpha.test", secondaries=["sec9"]), _zone(name="alpha.test")]
    problems = _inventory.check_zones(zones, SECONDARIES)
    assert len(problems) == 3
    with pytest.raises(OptionError, match=r"\(and 2 more problems\)"):
        _inventory.require_valid_zones(zones, SECONDARIES)
