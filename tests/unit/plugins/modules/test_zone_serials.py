# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""zone_serials: the primary's serials (named's answers, else its zone files) against the inventory's, changing nothing."""

from __future__ import annotations

import os

import pytest

from ansible_collections.dnsops.tkey.plugins.modules import zone_serials
from tests.support.files import tree_digest

SERVED = 2026112509
REFUSAL = ("zone example.test: the inventory's serial 2026112501 is lower than the 2026112509 the primary serves now; "
           "raise serial in tkey_zones above 2026112509 (someone changed the zone by hand?)")


@pytest.fixture
def zone_dir(tmp_path):
    directory = tmp_path / "zones"
    directory.mkdir()
    return str(directory)


def _args(zone_dir, *zones):
    return dict(server="192.0.2.53", port=53, zone_dir=zone_dir, zones=list(zones) or [dict(name="example.test", serial=2026112501)])


def _zone_file(zone_dir, zone, serial):
    with open(os.path.join(zone_dir, "db." + zone), "w") as handle:
        handle.write("$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. (\n\t%d ; serial\n\t3600 600 86400 300 )\n@ IN NS ns\n" % (zone, zone, serial))


def _count_queries(monkeypatch, named):
    asked = []
    exchange = named.exchange

    def counted(query, server):
        asked.append(query.question[0].name.to_text())
        return exchange(query, server)

    monkeypatch.setattr(named, "exchange", counted)
    return asked


@pytest.mark.parametrize("check", [False, True])
def test_a_lower_serial_than_named_serves_is_refused_in_one_line(run_module, named, zone_dir, check):
    named.serve("example.test", serial=SERVED)
    _zone_file(zone_dir, "example.test", SERVED)
    before = tree_digest(zone_dir)
    outcome = run_module(zone_serials, _args(zone_dir), check=check)
    outcome.assert_clean_failure(REFUSAL)
    assert outcome["msg"] == REFUSAL and outcome["problems"] == [REFUSAL] and not outcome.changed
    assert outcome["zones"] == [dict(name="example.test", wanted=2026112501, current=SERVED, source="named", verdict="lower")]
    assert tree_digest(zone_dir) == before


@pytest.mark.parametrize("serial,verdict", [(SERVED, "equal"), (SERVED + 1, "higher")])
def test_an_equal_or_higher_serial_passes_and_changes_nothing(run_module, named, zone_dir, serial, verdict):
    named.serve("example.test", serial=SERVED)
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=serial)))
    assert not outcome.failed and not outcome.changed, outcome.text
    assert outcome["zones"][0]["verdict"] == verdict and outcome["problems"] == [] and outcome["named_answered"]


def test_the_query_is_unsigned_soa_over_udp_without_recursion(run_module, named, zone_dir, monkeypatch):
    named.serve("example.test", serial=SERVED)
    seen = []
    exchange = named.exchange

    def spy(query, server):
        seen.append((query.question[0].rdtype, query.had_tsig or query.keyname is not None, query.flags, server.transport, str(server)))
        return exchange(query, server)

    monkeypatch.setattr(named, "exchange", spy)
    run_module(zone_serials, dict(_args(zone_dir), port=5353))
    (rdtype, signed, flags, transport, where), = seen
    assert rdtype == 6 and not signed and flags == 0 and transport == "udp" and where == "192.0.2.53#5353"


def test_named_stopped_the_zone_file_speaks_and_named_is_asked_once(run_module, named, zone_dir, monkeypatch):
    named.down = True
    asked = _count_queries(monkeypatch, named)
    _zone_file(zone_dir, "example.test", SERVED)
    _zone_file(zone_dir, "other.test", 7)
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=2026112501), dict(name="other.test", serial=7),
                                             dict(name="new.test", serial=1)))
    path = os.path.join(zone_dir, "db.example.test")
    outcome.assert_clean_failure(
        "zone example.test: the inventory's serial 2026112501 is lower than the 2026112509 in %s (named does not serve the zone now); "
        "raise serial in tkey_zones above 2026112509" % path)
    assert asked == ["example.test."]  # no answer at all: the other zones are not asked
    assert [(zone["source"], zone["verdict"]) for zone in outcome["zones"]] == [("file", "lower"), ("file", "equal"), ("none", "new")]


def test_a_timeout_is_not_served_too(run_module, named, zone_dir):
    named.silent = True
    _zone_file(zone_dir, "example.test", 2026112501)
    outcome = run_module(zone_serials, dict(_args(zone_dir), timeout=0.2))
    assert not outcome.failed and outcome["zones"][0]["source"] == "file" and not outcome["named_answered"], outcome.text


def test_a_zone_named_refuses_falls_back_to_its_file_and_the_first_run_passes(run_module, named, zone_dir):
    named.serve("example.test", serial=SERVED)  # other.test is not served: REFUSED
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=SERVED), dict(name="other.test", serial=1)))
    assert not outcome.failed, outcome.text
    assert outcome["zones"][1] == dict(name="other.test", wanted=1, current=None, source="none", verdict="new")
    _zone_file(zone_dir, "other.test", 2)
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=SERVED), dict(name="other.test", serial=1)))
    outcome.assert_clean_failure("zone other.test: the inventory's serial 1 is lower than the 2 in")


def test_several_problems_the_first_in_msg_all_in_problems(run_module, named, zone_dir):
    named.serve("example.test", serial=SERVED)
    named.serve("other.test", serial=10)
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=2026112501), dict(name="other.test", serial=9)))
    outcome.assert_clean_failure(REFUSAL + " (and 1 more: see problems)")
    assert outcome["problems"][1].startswith("zone other.test: the inventory's serial 9 is lower than the 10 the primary serves now")


def test_a_zone_given_as_a_file_is_judged_by_the_soa_of_its_content(run_module, named, zone_dir):
    named.serve("example.net", serial=SERVED)
    content = "$TTL 300\n@ IN SOA ns hm 2026112501 3600 600 86400 300\n@ IN NS ns\n"
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.net", content=content, file="files/db.example.net")))
    outcome.assert_clean_failure("zone example.net: the inventory's serial 2026112501 (the SOA of files/db.example.net) is lower than "
                                 "the 2026112509 the primary serves now; raise the SOA serial in files/db.example.net above 2026112509")


def test_a_big_zone_file_is_read_only_as_far_as_its_head(run_module, named, zone_dir):
    named.down = True
    _zone_file(zone_dir, "example.test", SERVED)
    with open(os.path.join(zone_dir, "db.example.test"), "a") as handle:
        handle.write("".join("host%d IN A 192.0.2.1\n" % index for index in range(200000)))  # several MiB
    outcome = run_module(zone_serials, _args(zone_dir))
    outcome.assert_clean_failure("zone example.test: the inventory's serial 2026112501 is lower than the 2026112509 in ")


def test_a_zone_file_that_is_a_link_is_refused_in_one_line(run_module, named, zone_dir, tmp_path):
    named.down = True
    target = tmp_path / "elsewhere"
    target.write_text("$TTL 300\n@ IN SOA ns hm 1 1 1 1 1\n")
    os.symlink(str(target), os.path.join(zone_dir, "db.example.test"))
    outcome = run_module(zone_serials, _args(zone_dir))
    outcome.assert_clean_failure("zone example.test: ")
    assert "symbolic link" in outcome["msg"]


@pytest.mark.parametrize("zone,fragment", [
    (dict(name="example.test"), "zones[0] (zone example.test): give serial or content, one of them"),
    (dict(name="example.test", serial=1, content="@ IN SOA ns hm 1 1 1 1 1"), "give serial or content, one of them"),
    (dict(name="example.test", serial=2 ** 32), "serial 4294967296 is not a number from 0 to 4294967295"),
    (dict(name="../../etc/shadow", serial=1), "is not a zone name"),
])
def test_unusable_options_fail_in_one_line(run_module, named, zone_dir, zone, fragment):
    run_module(zone_serials, _args(zone_dir, zone)).assert_clean_failure(fragment)


def test_a_serial_given_as_text_is_taken(run_module, named, zone_dir):
    named.serve("example.test", serial=SERVED)
    outcome = run_module(zone_serials, _args(zone_dir, dict(name="example.test", serial=str(SERVED))))
    assert not outcome.failed and outcome["zones"][0]["verdict"] == "equal", outcome.text


def test_a_zone_file_without_an_soa_is_not_compared_and_says_so(run_module, named, zone_dir):
    named.down = True
    with open(os.path.join(zone_dir, "db.example.test"), "w") as handle:
        handle.write("$INCLUDE /etc/bind/zones/soa.inc\n@ IN NS ns\n")
    outcome = run_module(zone_serials, _args(zone_dir))
    assert not outcome.failed and outcome["zones"][0]["verdict"] == "new", outcome.text
    assert "zone example.test: no SOA serial found at the start of %s/db.example.test, so it is not compared" % zone_dir in str(
        outcome.result.get("warnings"))
