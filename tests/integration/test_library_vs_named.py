# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The TKEY library against a real named 9.18: PROTOCOL.md's error table and the leading-zero rule, re-checked."""

from __future__ import annotations

import base64
import os

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest
from dns.rdtypes.ANY.TKEY import TKEY

from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey, _errors, _tkey, _transport
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHGroup, DHKey


@pytest.fixture
def setup(named):
    server = _transport.Server("127.0.0.1", named.port, timeout=5)
    initial = _tkey.tsig_key("tkeyinit", named.secrets["tkeyinit"], "hmac-sha256")
    server_key = _dhkey.load_key(named.dh_public_file(), private=False)
    return named, server, initial, server_key


def leading_zero_client(server_key, start=2):
    group = server_key.group
    for x in range(start, start + 200000):
        if pow(server_key.y, x, group.p).bit_length() <= group.bits - 8:
            return DHKey("client", group, pow(group.g, x, group.p), x)
    raise AssertionError("no leading-zero client key found")


def test_leading_zero_shared_value_works_only_stripped(setup):
    named, server, initial, server_key = setup
    client = leading_zero_client(server_key)
    key = _tkey.negotiate(server, initial, "zero", server_key=server_key, client_key=client)
    assert len(key.secret) == 95  # 768-bit group, shared value one octet short
    assert named.axfr("example.test", ("hmac-md5", key.name, key.secret_b64))[0]
    assert _tkey.probe(server, key.tsig())

    # The same exchange by hand: the secret from the padded value (what cryptography's exchange() returns)
    # is rejected by named, the one from the stripped value is accepted.
    qname = _tkey.request_name("zero-by-hand")
    nonce = os.urandom(16)
    query = _tkey._build_dh_query(qname, client, nonce, 0, 0, initial)
    response = server.send(query, "test")
    rrset = [r for r in response.answer if r.rdtype == dns.rdatatype.TKEY][0]
    stripped = client.shared_value(server_key.y)
    padded = stripped.rjust(96, b"\x00")
    assert padded != stripped
    name = rrset.name.to_text(True)
    good = _tkey.derive_secret(stripped, nonce, rrset[0].key)
    bad = _tkey.derive_secret(padded, nonce, rrset[0].key)
    assert _tkey.probe(server, _tkey.tsig_key(name, base64.b64encode(good).decode(), "hmac-md5"))
    assert not _tkey.probe(server, _tkey.tsig_key(name, base64.b64encode(bad).decode(), "hmac-md5"))


def test_many_negotiations_all_verify(setup):
    """Enough random negotiations that leading zeros turn up by themselves (about 1 in 256 each)."""
    named, server, initial, server_key = setup
    for index in range(300):
        key = _tkey.negotiate(server, initial, "many%d" % index, server_key=server_key, lifetime=600)
        assert _tkey.probe(server, key.tsig()), key.name
        assert _tkey.delete(server, key.name + ".", key.tsig())


def raw_query(server, qname, tkey_mode=2, algorithm="hmac-md5.sig-alg.reg.int.", client=None, owner=None, sign=None, with_key=True):
    qname = dns.name.from_text(qname)
    query = dns.message.make_query(qname, dns.rdatatype.TKEY, dns.rdataclass.ANY)
    query.flags = 0
    tkey = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, dns.name.from_text(algorithm), 0, 0, tkey_mode, 0, os.urandom(16), b"")
    query.find_rrset(query.additional, owner or qname, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(tkey, 0)
    if with_key:
        rd = dns.rdata.GenericRdata(dns.rdataclass.IN, 25, _dhkey.key_rdata(client.group, client.y))
        query.find_rrset(query.additional, qname, dns.rdataclass.IN, 25, create=True).add(rd, 0)
    if sign is not None:
        query.use_tsig(sign)
    return dns.query.tcp(query, "127.0.0.1", port=server.port, timeout=5)


def tkey_error(response):
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TKEY:
            return rrset[0].error
    return None


@pytest.mark.parametrize("variant,rcode,error", [
    ("unsigned", dns.rcode.FORMERR, None),
    ("hmac-sha256 requested", dns.rcode.NOERROR, 21),
    ("missing client KEY", dns.rcode.FORMERR, None),
    ("other DH group", dns.rcode.NOERROR, 17),
    ("y = 1", dns.rcode.SERVFAIL, None),
    ("y = p-1", dns.rcode.SERVFAIL, None),
    ("owner differs", dns.rcode.FORMERR, None),
    ("mode 0", dns.rcode.NOERROR, 19),
    ("mode 1", dns.rcode.NOTIMP, None),
    ("mode 3", dns.rcode.REFUSED, None),
])
def test_error_table(setup, variant, rcode, error):
    named, server, initial, server_key = setup
    group = server_key.group
    client = DHKey.generate("client", group)
    kwargs = dict(client=client, sign=initial)
    if variant == "unsigned":
        kwargs["sign"] = None
    elif variant == "hmac-sha256 requested":
        kwargs["algorithm"] = "hmac-sha256."
    elif variant == "missing client KEY":
        kwargs["with_key"] = False
    elif variant == "other DH group":
        kwargs["client"] = DHKey.generate("client", DHGroup.well_known(1024))
    elif variant == "y = 1":
        kwargs["client"] = DHKey("client", group, 1)
    elif variant == "y = p-1":
        kwargs["client"] = DHKey("client", group, group.p - 1)
    elif variant == "owner differs":
        kwargs["owner"] = dns.name.from_text("elsewhere.")
    elif variant.startswith("mode"):
        kwargs["tkey_mode"] = int(variant.split()[1])
    response = raw_query(server, "table-%s." % os.urandom(3).hex(), **kwargs)
    assert response.rcode() == rcode
    if error is not None:
        assert tkey_error(response) == error


def test_reused_live_name_gets_badname_and_old_key_survives(setup, monkeypatch):
    named, server, initial, server_key = setup
    monkeypatch.setattr(_tkey.os, "urandom", lambda n, _real=os.urandom: b"\xab" * n if n == 2 else _real(n))
    first = _tkey.negotiate(server, initial, "same", server_key=server_key, now=1795588131)
    with pytest.raises(_errors.TkeyRefused, match="BADNAME") as info:
        _tkey.negotiate(server, initial, "same", server_key=server_key, now=1795588131)
    assert info.value.code == 20
    assert _tkey.probe(server, first.tsig())


def test_lifetime_zero_key_never_expires_and_expired_key_is_rejected(setup):
    named, server, initial, server_key = setup
    forever = _tkey.negotiate(server, initial, "forever", server_key=server_key, lifetime=0)
    assert (forever.inception, forever.expiration) == (0, 0)
    assert _tkey.probe(server, forever.tsig())
    past = _tkey._now() - 7200
    expired = _tkey.negotiate(server, initial, "expired", server_key=server_key, lifetime=3600, now=past)
    assert not _tkey.probe(server, expired.tsig())
    assert not _tkey.server_knows_key(server, expired.name)


def test_server_knows_key_without_its_secret(setup):
    named, server, initial, server_key = setup
    key = _tkey.negotiate(server, initial, "known", server_key=server_key)
    assert _tkey.server_knows_key(server, key.name)
    assert not _tkey.server_knows_key(server, "unknown-name.server")
    assert _tkey.delete(server, key.name + ".", initial)
    assert not _tkey.server_knows_key(server, key.name)
    assert not _tkey.delete(server, key.name + ".", initial)
