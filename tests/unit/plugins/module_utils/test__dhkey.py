# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import base64
import os
import struct
import subprocess

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHGroup, DHKey, DHKeyError

KEYGEN_CASES = [
    (["-b", "768"], 1),
    (["-b", "1024"], 2),
    (["-b", "1536"], 3),
    (["-b", "512"], None),  # dnssec-keygen makes a fresh prime: written in full
    (["-b", "768", "-g", "5"], None),  # generator 5: the well-known prime is written in full
]


def keygen(directory, args, name="server"):
    out = subprocess.run(
        ["dnssec-keygen", "-K", str(directory), "-T", "KEY", "-a", "DH", "-n", "HOST"] + args + [name],
        check=True, capture_output=True, text=True, timeout=120,
    ).stdout.strip()
    return os.path.join(str(directory), out)


@pytest.mark.parametrize("args,index", KEYGEN_CASES)
def test_dnssec_keygen_files_round_trip_byte_for_byte(tmp_path, args, index):
    stem = keygen(tmp_path, args)
    key = _dhkey.load_key(stem)
    with open(stem + ".key") as handle:
        public = handle.read()
    with open(stem + ".private") as handle:
        private = handle.read()
    assert key.public_text() == public
    assert key.private_text() == private
    assert key.basename == os.path.basename(stem)
    assert key.group.well_known_index == index
    key.check_pair()


def test_key_tags_match_dnssec_keygen_over_many_keys(tmp_path):
    for _round in range(12):
        stem = keygen(tmp_path, ["-b", "768"], name="tagtest")
        key = _dhkey.load_key(stem + ".key")
        assert key.tag == int(stem.rsplit("+", 1)[1])


@pytest.mark.parametrize("size", [768, 1024, 1536])
def test_generated_keys_load_back_and_are_consistent(tmp_path, size):
    key = DHKey.generate("tkey.example.com", DHGroup.well_known(size))
    (tmp_path / (key.basename + ".key")).write_text(key.public_text())
    (tmp_path / (key.basename + ".private")).write_text(key.private_text())
    again = _dhkey.load_key(str(tmp_path / key.basename))
    assert again.same_public(key) and again.x == key.x
    assert pow(2, key.x, key.group.p) == key.y
    assert key.public_text().startswith("tkey.example.com. IN KEY 512 3 2 ")
    assert [field for field, _value in key.metadata] == ["Created", "Publish", "Activate"]


def test_well_known_group_is_sent_as_an_index():
    group = DHGroup.well_known(768)
    data = _dhkey.encode_public(group, 12345)
    assert data == struct.pack("!HBHH", 1, 1, 0, 2) + (12345).to_bytes(2, "big")
    assert _dhkey.decode_public(data) == (group, 12345)


def test_explicit_group_is_written_in_full_with_minimal_public_value():
    group = DHGroup(DHGroup.well_known(768).p, 5)
    y = 1 << 700  # 88 octets, shorter than the 96-octet prime: no padding
    data = _dhkey.encode_public(group, y)
    plen = struct.unpack("!H", data[:2])[0]
    assert plen == 96
    assert data[2 + plen:2 + plen + 3] == b"\x00\x01\x05"
    assert struct.unpack("!H", data[2 + plen + 3:2 + plen + 5])[0] == 88
    assert _dhkey.decode_public(data) == (group, y)


@pytest.mark.parametrize("data,message", [
    (b"\x00", "truncated before the prime length"),
    (b"\x00\x01\x04\x00\x00\x00\x01\x05", "well-known group 4"),
    (b"\x00\x03abc\x00\x00", "3-octet prime"),
    (b"\x00\x01\x01\x00\x01\x05\x00\x01\x05", "generator 5"),
    (b"\x00\x01\x01\x00\x00\x00\x00", "empty public value"),
    (b"\x00\x01\x01\x00\x00\x00\x01\x05\xff", "trailing"),
    (b"\x00\x01\x01\x00\x00\x00\x09\x05", "inside the public value"),
])
def test_decode_public_rejects_what_bind_rejects(data, message):
    with pytest.raises(DHKeyError, match=message):
        _dhkey.decode_public(data)


def test_key_tag_matches_rfc4034_reference_computation():
    # RFC 4034 Appendix B, written out independently with a different loop shape
    rdata = bytes(range(1, 60))
    words = [rdata[i] << 8 | (rdata[i + 1] if i + 1 < len(rdata) else 0) for i in range(0, len(rdata), 2)]
    total = sum(words)
    assert _dhkey.key_tag(rdata) == (total + (total >> 16)) & 0xFFFF


@pytest.mark.parametrize("name", ["", ".", "bad name", "a..b", "x" * 64, "ünï"])
def test_invalid_key_names_are_refused(name):
    with pytest.raises(DHKeyError):
        _dhkey.normalize_key_name(name)


def test_mismatched_private_file_is_refused(tmp_path):
    one = DHKey.generate("server", DHGroup.well_known(768))
    two = DHKey.generate("server", DHGroup.well_known(768))
    with pytest.raises(DHKeyError, match="another key"):
        DHKey.from_texts(one.public_text(), two.private_text())


def test_damaged_private_value_is_refused():
    key = DHKey.generate("server", DHGroup.well_known(768))
    text = key.private_text().replace(
        "Private_value(x): %s" % base64.b64encode(_dhkey._int_to_bytes(key.x)).decode(),
        "Private_value(x): %s" % base64.b64encode(_dhkey._int_to_bytes(key.x + 1)).decode(),
    )
    with pytest.raises(DHKeyError, match="does not match"):
        DHKey.from_texts(key.public_text(), text)


@pytest.mark.parametrize("text,message", [
    ("", "expected one KEY record"),
    ("server. IN DNSKEY 257 3 8 AwEAAa==", "not a KEY record"),
    ("server. IN KEY 512 3 8 AAEBAAAAAQU=", "algorithm 8 is not DH"),
    ("server. IN KEY 512 3 2 !!!notbase64", "not valid base64"),
])
def test_malformed_public_files_are_refused(text, message):
    with pytest.raises(DHKeyError, match=message):
        DHKey.from_texts(text)


def test_renamed_key_file_is_detected(tmp_path):
    key = DHKey.generate("server", DHGroup.well_known(768))
    wrong = "Kserver.+002+%05d" % ((key.tag + 1) % 65536)
    (tmp_path / (wrong + ".key")).write_text(key.public_text())
    (tmp_path / (wrong + ".private")).write_text(key.private_text())
    with pytest.raises(DHKeyError, match="renamed or edited"):
        _dhkey.load_key(str(tmp_path / wrong))


def test_group_from_pem_and_numbers():
    p = DHGroup.well_known(1024).p
    assert DHGroup.from_text(str(p)) == DHGroup.well_known(1024)
    assert DHGroup.from_text(hex(p)) == DHGroup.well_known(1024)
    with pytest.raises(DHKeyError, match="neither"):
        DHGroup.from_text("0xZZ")
    with pytest.raises(DHKeyError, match="odd"):
        DHGroup.from_text(str(p + 1))


def test_degenerate_peer_values_are_refused():
    group = DHGroup.well_known(768)
    for y in (0, 1, group.p - 1, group.p, group.p + 5):
        with pytest.raises(DHKeyError, match="degenerate"):
            group.check_public(y)


def test_shared_value_has_no_leading_zero_and_matches_plain_arithmetic():
    group = DHGroup.well_known(768)
    server = DHKey.generate("server", group)
    client = _client_with_leading_zero(group, server.y)
    shared = client.shared_value(server.y)
    expected = pow(server.y, client.x, group.p)
    assert shared[0] != 0
    assert int.from_bytes(shared, "big") == expected
    assert len(shared) < 96  # the padded value would be 96 octets


def _client_with_leading_zero(group, server_y):
    """A deterministic client key whose shared value with SERVER_Y has a leading zero octet."""
    for x in range(2, 100000):
        if pow(server_y, x, group.p).bit_length() <= group.bits - 8:
            return DHKey("client", group, pow(group.g, x, group.p), x)
    raise AssertionError("no leading-zero shared value found in 100000 tries")


def test_find_key_pairs_reports_broken_pairs(tmp_path):
    good = DHKey.generate("server", DHGroup.well_known(768))
    (tmp_path / (good.basename + ".key")).write_text(good.public_text())
    (tmp_path / (good.basename + ".private")).write_text(good.private_text())
    (tmp_path / "Kserver.+002+00001.key").write_text("garbage\n")
    found, problems = _dhkey.find_key_pairs(str(tmp_path), "server")
    assert [key.basename for key in found] == [good.basename]
    assert len(problems) == 1


def test_primes_up_to_4096_bits_are_accepted_and_longer_ones_refused():
    DHGroup((1 << 4095) | 1, 2).check()  # 4096 bits: BIND's limit
    with pytest.raises(DHKeyError, match="has 4097 bits; BIND accepts at most 4096"):
        DHGroup((1 << 4096) | 1, 2).check()
    with pytest.raises(DHKeyError, match="at most 4096"):
        DHGroup.from_text(str((1 << 4096) | 1))


def test_a_malformed_private_line_is_named_by_number_not_shown():
    key = DHKey.generate("server", DHGroup.well_known(768))
    secret_line = base64.b64encode(_dhkey._int_to_bytes(key.x)).decode()
    text = key.private_text().replace("Private_value(x): ", "Private_value(x) ")
    with pytest.raises(DHKeyError, match="line 5 of the .private file") as info:
        DHKey.from_texts(key.public_text(), text)
    assert secret_line[:20] not in str(info.value)


def test_a_key_file_replaced_by_a_link_to_dev_zero_is_an_error_not_a_memory_exhaustion(tmp_path):
    """named's directory is the bind group's to write in: the DH key files there are read bounded, never via a link."""
    from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import load_key  # pylint: disable=import-outside-toplevel

    (tmp_path / "Kserver.+002+12345.key").symlink_to("/dev/zero")
    (tmp_path / "Kserver.+002+12345.private").symlink_to("/dev/zero")
    with pytest.raises(DHKeyError) as failure:
        load_key(str(tmp_path / "Kserver.+002+12345.key"))
    assert "symbolic link" in str(failure.value) and "\n" not in str(failure.value)
