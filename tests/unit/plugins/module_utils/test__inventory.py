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


# --- the hosts' own variables: what the roles write into named.conf ---------------------------------

INJECTION = '127.0.10.3; }; include "/etc/passwd"; options { '
LAB = dict(ns1=dict(tkey_address="127.0.10.1"), sec1=dict(tkey_address="127.0.10.2"), sec2=dict(tkey_address="127.0.10.3"))


def _hosts(**changes):
    """The lab's host variables with CHANGES ({host: {variable: value, or None to unset}})."""
    hosts = dict((host, dict(values)) for host, values in LAB.items())
    for host, values in changes.items():
        hosts.setdefault(host, {})
        for name, value in values.items():
            if value is None:
                hosts[host].pop(name, None)
            else:
                hosts[host][name] = value
    return hosts


def test_the_lab_hosts_pass():
    assert _inventory.check_hosts(LAB, ["sec1", "sec2"], ["ns1"]) == []
    good = _hosts(ns1=dict(tkey_address=None, primary_address="2001:db8::53", primary_port="5353", primary_dh_name="ns1.tkey.",
                           primary_directory="/var/cache/bind/", primary_named_conf_path="/etc/bind/named.conf"),
                  sec1=dict(secondary_address="::1", secondary_port=53, secondary_key_name="sec1", secondary_key_dir="/etc/bind/tkey"))
    assert _inventory.check_hosts(good, ["sec1", "sec2"], ["ns1"]) == []


@pytest.mark.parametrize("changes,expected", [
    # issue 12: the secondary's address that went into the primary's also-notify
    (dict(sec2=dict(tkey_address=INJECTION)), "host sec2: tkey_address '127.0.10.3; }; include \"/etc/passwd\"; options { ' is not an IP address"),
    (dict(sec2=dict(secondary_address=INJECTION)), "host sec2: secondary_address '127.0.10.3; }; include"),
    (dict(ns1=dict(primary_address=INJECTION)), "host ns1: primary_address '127.0.10.3; }; include"),
    (dict(sec1=dict(tkey_address="localhost")), "host sec1: tkey_address 'localhost' is not an IP address; give an IPv4"),
    (dict(sec1=dict(tkey_address="127.0.0.1/32")), "host sec1: tkey_address '127.0.0.1/32' has a prefix length"),
    (dict(sec1=dict(tkey_address=" 127.0.0.1")), "host sec1: tkey_address ' 127.0.0.1' has spaces around it"),
    (dict(sec1=dict(tkey_address=None)), "host sec1: tkey_address is not set (nor secondary_address); give the host the address"),
    (dict(ns1=dict(tkey_address=None)), "host ns1: tkey_address is not set (nor primary_address)"),
    (dict(sec1=dict(tkey_address=_inventory.Unrendered("'undefined_thing' is undefined"))),
     "host sec1: tkey_address cannot be rendered from the host's inventory variables ('undefined_thing' is undefined)"),
    (dict(sec1=dict(secondary_port="53; }")), "host sec1: secondary_port '53; }' is not a number; give a port number"),
    (dict(ns1=dict(primary_port=0)), "host ns1: primary_port 0 is not a port number from 1 to 65535"),
    (dict(ns1=dict(primary_control_port=True)), "host ns1: primary_control_port must be a port number"),
    (dict(ns1=dict(primary_dh_name='x" 1; include "/etc/passwd')), "host ns1: primary_dh_name 'x\" 1; include"),
    (dict(ns1=dict(primary_tkey_domain="ns1 tkey")), "host ns1: primary_tkey_domain 'ns1 tkey' may hold only letters"),
    (dict(sec1=dict(secondary_key_name="a;b")), "host sec1: secondary_key_name 'a;b' may hold only"),
    (dict(ns1=dict(primary_zone_dir='/etc/bind"; include "/etc/passwd')), "host ns1: primary_zone_dir '/etc/bind\"; include"),
    (dict(sec1=dict(secondary_directory="var/cache/bind")), "host sec1: secondary_directory 'var/cache/bind' is not an absolute path"),
    (dict(**{"sec;1": dict(tkey_address="127.0.10.4")}), "host sec;1: its inventory name becomes part of key names"),
])
def test_each_host_mistake_is_one_line_naming_host_variable_and_fix(changes, expected):
    hosts = _hosts(**changes)
    secondaries = ["sec1", "sec2"] + [host for host in changes if host not in LAB]
    problems = _inventory.check_hosts(hosts, secondaries, ["ns1"])
    assert len(problems) == 1 and expected in problems[0], problems
    assert "\n" not in problems[0]


def test_a_secondary_s_variables_are_not_a_primary_s():
    """primary_* on a secondary (and the reverse) are never written by the role that reads them: not checked."""
    hosts = _hosts(sec1=dict(primary_port="nonsense", primary_address=INJECTION), ns1=dict(secondary_directory="relative"))
    assert _inventory.check_hosts(hosts, ["sec1", "sec2"], ["ns1"]) == []
    # but the role's own variable wins over tkey_address
    hosts = _hosts(sec1=dict(tkey_address=INJECTION, secondary_address="127.0.10.2"))
    assert _inventory.check_hosts(hosts, ["sec1", "sec2"], ["ns1"]) == []


def test_a_host_of_both_groups_is_checked_as_both_and_each_problem_said_once():
    hosts = _hosts(**{"ns 1": dict(secondary_port="x")})
    problems = _inventory.check_hosts(hosts, ["sec1", "ns 1"], ["ns 1"])
    assert problems == [
        "host ns 1: its inventory name becomes part of key names and file names in named.conf (tkeyinit-ns 1); name it "
        "with letters, digits, '-', '_' and '.' only",
        "host ns 1: tkey_address is not set (nor secondary_address); give the host the address named listens on in the "
        "inventory, such as tkey_address: 192.0.2.53",
        "host ns 1: secondary_port 'x' is not a number; give a port number from 1 to 65535",
        "host ns 1: tkey_address is not set (nor primary_address); give the host the address named listens on in the "
        "inventory, such as tkey_address: 192.0.2.53",
    ]


def test_every_host_problem_is_reported_and_a_host_outside_the_inventory_too():
    hosts = _hosts(sec1=dict(tkey_address="sec1.example"), sec2=dict(tkey_address=None), ns1=dict(primary_port=70000))
    problems = _inventory.check_hosts(hosts, ["sec1", "sec2", "sec9"], ["ns1"], group="dns_secondaries")
    assert [problem.split(":")[0] for problem in problems] == ["host sec1", "host sec2", "host sec9 of dns_secondaries is not in the "
                                                               "inventory; add it or remove it from the group", "host ns1"]
