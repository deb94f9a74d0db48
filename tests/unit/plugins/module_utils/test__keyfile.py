# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import subprocess

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _keyfile
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyFileError, KeyStatement


@pytest.mark.parametrize("algorithm", sorted(_keyfile.ALGORITHMS))
def test_render_matches_tsig_keygen_byte_for_byte(algorithm):
    text = subprocess.run(["tsig-keygen", "-a", algorithm, "somekey"], check=True, capture_output=True, text=True).stdout
    (key,) = _keyfile.parse_key_file(text)
    assert key.name == "somekey" and key.algorithm == algorithm
    assert len(key.secret_bytes) == _keyfile.ALGORITHMS[algorithm][1]
    assert key.render() == text


def test_rndc_confgen_key_block_parses():
    text = subprocess.run(["rndc-confgen", "-k", "rndc-key"], check=True, capture_output=True, text=True).stdout
    block = text[:text.index("options {")]  # the key statement and the leading comment
    (key,) = _keyfile.parse_key_file(block)
    assert key.name == "rndc-key" and key.algorithm == "hmac-sha256"


def test_comments_and_metadata_are_read():
    statement = KeyStatement("sec1-x.server", "hmac-md5", "c2VjcmV0", {"server": "127.0.0.1", "expiration": "10"})
    text = statement.render(["a comment"])
    (key,) = _keyfile.parse_key_file("// other comment\n/* block\ncomment */\n" + text)
    assert key.metadata == {"server": "127.0.0.1", "expiration": "10"}
    assert key.secret == "c2VjcmV0"


def test_repr_never_shows_the_secret():
    assert "c2VjcmV0" not in repr(KeyStatement("k", "hmac-md5", "c2VjcmV0"))


@pytest.mark.parametrize("text,message", [
    ('key "a" { algorithm hmac-md5; };', "exactly 'algorithm' and 'secret'"),
    ('key "a" { algorithm hmac-md5; secret "x"; }', "ends inside"),
    ('options { directory "/"; };', "expected 'key'"),
    ('key "a" { algorithm hmac-foo; secret "c2VjcmV0"; };', "not supported"),
    ('key "a" { algorithm hmac-md5; secret "***"; };', "not valid base64"),
    ('key "a b" { algorithm hmac-md5; secret "c2VjcmV0"; };', "may hold only"),
])
def test_bad_key_files_are_refused(text, message):
    with pytest.raises(KeyFileError, match=message):
        _keyfile.parse_key_file(text)


def test_select_key_needs_a_name_when_several():
    keys = _keyfile.parse_key_file(
        'key "a" { algorithm hmac-md5; secret "c2VjcmV0"; };\nkey "b" { algorithm hmac-sha256; secret "c2VjcmV0"; };\n'
    )
    with pytest.raises(KeyFileError, match="holds 2 keys"):
        _keyfile.select_key(keys)
    assert _keyfile.select_key(keys, "B.").name == "b"
    with pytest.raises(KeyFileError, match="no key named c"):
        _keyfile.select_key(keys, "c")


@pytest.mark.parametrize("given,canonical", [
    ("HMAC-MD5.SIG-ALG.REG.INT.", "hmac-md5"),
    ("hmac-md5.sig-alg.reg.int", "hmac-md5"),
    ("hmac-sha256.", "hmac-sha256"),
    ("HMAC-SHA512", "hmac-sha512"),
])
def test_canonical_algorithm(given, canonical):
    assert _keyfile.canonical_algorithm(given) == canonical


@pytest.mark.parametrize("text", [
    'key "a" { algorithm hmac-md5; "c2VjcmV0c2VjcmV0"; };',  # the field name lost
    'key "a" { algorithm hmac-md5; secret "c2VjcmV0c2VjcmV0" };',  # a semicolon lost
    'key "a" { algorithm hmac-md5; secret c2VjcmV0c2VjcmV0 c2VjcmV0c2VjcmV0; };',
])
def test_a_damaged_key_file_is_refused_without_quoting_its_secret(text):
    with pytest.raises(KeyFileError, match="found") as info:
        _keyfile.parse_key_file(text)
    assert "c2VjcmV0c2VjcmV0" not in str(info.value)
