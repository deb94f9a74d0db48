# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's logic against scripted answers built as real dnspython messages (wire format, TSIG).

What named itself does is tested in tests/integration against a real named.
"""

from __future__ import annotations

import hashlib
import os

import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest
from dns.rdtypes.ANY.TKEY import TKEY

from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHGroup, DHKey
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, parse_key_file

INITIAL = _tkey.tsig_key("tkeyinit", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")
GROUP = DHGroup.well_known(768)
SERVER_KEY = DHKey.generate("server", GROUP)


def bind_secret(shared, client_nonce, server_nonce):
    """compute_secret() of BIND's tkey.c, written independently of _tkey.derive_secret."""
    digests = bytearray(hashlib.md5(client_nonce + shared).digest() + hashlib.md5(server_nonce + shared).digest())
    if len(shared) > 32:
        out = bytearray(shared)
        for i in range(32):
            out[i] ^= digests[i]
        return bytes(out)
    for i in range(len(shared)):
        digests[i] ^= shared[i]
    return bytes(digests)


class ScriptedServer(object):
    """Answers a TKEY query the way named does, with knobs to break the answer."""

    def __init__(self, server_key=SERVER_KEY, tkey_error=0, rcode=dns.rcode.NOERROR, sign=True, signing_key=None,
                 drop_tkey=False, rename=None, mode=None, extra_server_keys=()):
        self.server_key = server_key
        self.tkey_error = tkey_error
        self.rcode = rcode
        self.sign = sign
        self.signing_key = signing_key
        self.drop_tkey = drop_tkey
        self.rename = rename
        self.mode = mode
        self.extra_server_keys = extra_server_keys
        self.secret = None
        self.queries = []
        self.address, self.port, self.transport, self.timeout = "192.0.2.1", 53, "tcp", 1.0

    def __str__(self):
        return "192.0.2.1#53"

    def send(self, query, what):
        wire = query.to_wire()
        self.queries.append(wire)
        received = dns.message.from_wire(wire, keyring={INITIAL.name: INITIAL})
        qname = received.question[0].name
        tkey_in = received.find_rrset(received.additional, qname, dns.rdataclass.ANY, dns.rdatatype.TKEY)[0]
        key_rrset = [r for r in received.additional if r.rdtype == 25][0]
        _flags, _proto, group, client_y = _dhkey.parse_key_rdata(key_rrset[0].to_digestable())
        response = dns.message.make_response(received)
        response.set_rcode(self.rcode)
        if self.signing_key is not None:
            response.use_tsig(self.signing_key)
        elif not self.sign:
            response.keyring = None
            response.tsig = None
        server_nonce = os.urandom(16)
        shared = pow(client_y, self.server_key.x, group.p)
        shared = shared.to_bytes((shared.bit_length() + 7) // 8, "big")
        self.secret = bind_secret(shared, tkey_in.key, server_nonce)
        response.find_rrset(response.answer, key_rrset.name, dns.rdataclass.IN, 25, create=True).add(key_rrset[0], 0)
        for key in (self.server_key,) + tuple(self.extra_server_keys):
            rd = dns.rdata.GenericRdata(dns.rdataclass.ANY, 25, key.rdata)
            response.find_rrset(response.answer, dns.name.from_text(key.name), dns.rdataclass.ANY, 25, create=True).add(rd, 0)
        if not self.drop_tkey:
            final = self.rename or dns.name.Name(qname.labels[:-1] + (b"server", b""))
            out = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, tkey_in.algorithm, tkey_in.inception, tkey_in.expiration,
                       self.mode if self.mode is not None else tkey_in.mode, self.tkey_error, server_nonce, b"")
            response.find_rrset(response.answer, final, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(out, 0)
        answer = response.to_wire()
        return dns.message.from_wire(answer, keyring=query.keyring, request_mac=query.mac)


def test_negotiation_derives_the_servers_secret_and_name():
    server = ScriptedServer()
    key = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, lifetime=3600, now=1795588131)
    assert key.secret == server.secret
    assert key.name.startswith("sec1-20261125062851-") and key.name.endswith(".server")
    assert (key.inception, key.expiration) == (1795588131, 1795591731)
    assert key.server_key.same_public(SERVER_KEY)
    assert server.secret.hex() not in repr(key)


def test_query_is_what_bind_expects():
    server = ScriptedServer()
    _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, lifetime=0)
    query = dns.message.from_wire(server.queries[0], keyring={INITIAL.name: INITIAL})
    assert query.had_tsig and query.keyname == INITIAL.name
    question = query.question[0]
    assert (question.rdtype, question.rdclass) == (dns.rdatatype.TKEY, dns.rdataclass.ANY)
    tkey_rrset = query.find_rrset(query.additional, question.name, dns.rdataclass.ANY, dns.rdatatype.TKEY)
    assert tkey_rrset.ttl == 0
    tkey = tkey_rrset[0]
    assert tkey.mode == 2 and tkey.error == 0 and len(tkey.key) == 16
    assert tkey.algorithm == dns.name.from_text("hmac-md5.sig-alg.reg.int.")
    assert (tkey.inception, tkey.expiration) == (0, 0)  # lifetime 0: a key that never expires
    flags, protocol, group, _y = _dhkey.parse_key_rdata([r for r in query.additional if r.rdtype == 25][0][0].to_digestable())
    assert (flags, protocol, group) == (512, 3, GROUP)


def test_every_negotiation_uses_a_fresh_name_and_ephemeral_key():
    server = ScriptedServer()
    first = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY)
    second = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY)
    assert first.name != second.name and first.secret != second.secret


@pytest.mark.parametrize("code,fragment", [
    (17, "another DH group"),
    (19, "BIND 9.20"),
    (20, "still in use"),
    (21, "only hmac-md5"),
])
def test_tkey_errors_become_clear_messages(code, fragment):
    with pytest.raises(_tkey.TkeyRefused, match=fragment) as info:
        _tkey.negotiate(ScriptedServer(tkey_error=code), INITIAL, "sec1", server_key=SERVER_KEY)
    assert info.value.code == code


@pytest.mark.parametrize("rcode,fragment", [
    (dns.rcode.REFUSED, "no tkey-dhkey"),
    (dns.rcode.NOTIMP, "BIND 9.20"),
    (dns.rcode.FORMERR, "malformed"),
    (dns.rcode.SERVFAIL, "failed to compute"),
])
def test_rcodes_become_clear_messages(rcode, fragment):
    with pytest.raises(_tkey.TkeyRefused, match=fragment):
        _tkey.negotiate(ScriptedServer(rcode=rcode), INITIAL, "sec1", server_key=SERVER_KEY)


def test_unsigned_answer_is_refused():
    with pytest.raises(_tkey.ResponseError, match="not signed"):
        ScriptedServerWithWire(sign=False).negotiate()


def test_answer_signed_with_another_key_is_refused():
    other = _tkey.tsig_key("tkeyinit", "b3RoZXJvdGhlcm90aGVyb3RoZXI=", "hmac-sha256")
    with pytest.raises(_tkey.ResponseError, match="TSIG verification"):
        ScriptedServerWithWire(signing_key=other).negotiate()


class ScriptedServerWithWire(ScriptedServer):
    def negotiate(self):
        return _tkey.negotiate(_WireServer(self), INITIAL, "sec1", server_key=SERVER_KEY)


class _WireServer(_tkey.Server):
    """The real Server.send error mapping, with the scripted server answering instead of a socket."""

    def __init__(self, scripted):
        super(_WireServer, self).__init__("127.0.0.1", 53)
        self.scripted = scripted

    def _resolve(self):
        return "127.0.0.1"

    def exchange(self, query, address):
        return self.scripted.send(query, "test")


def test_pinned_key_mismatch_is_refused():
    impostor = DHKey.generate("server", GROUP)
    with pytest.raises(_tkey.PinMismatch, match="not the pinned"):
        _tkey.negotiate(ScriptedServer(server_key=impostor), INITIAL, "sec1", server_key=SERVER_KEY)


def test_server_key_found_by_value_not_owner_name():
    renamed = DHKey("anything.else", GROUP, SERVER_KEY.y, SERVER_KEY.x)
    key = _tkey.negotiate(ScriptedServer(server_key=renamed), INITIAL, "sec1", server_key=SERVER_KEY)
    assert key.server_key.y == SERVER_KEY.y


def test_two_server_keys_are_ambiguous():
    extra = DHKey.generate("server2", GROUP)
    with pytest.raises(_tkey.ResponseError, match="2 server DH keys"):
        _tkey.negotiate(ScriptedServer(extra_server_keys=(extra,)), INITIAL, "sec1", server_key=SERVER_KEY)


def test_missing_tkey_answer_is_refused():
    with pytest.raises(_tkey.ResponseError, match="no TKEY answer"):
        _tkey.negotiate(ScriptedServer(drop_tkey=True), INITIAL, "sec1", server_key=SERVER_KEY)


def test_answer_for_another_name_is_refused():
    with pytest.raises(_tkey.ResponseError, match="does not start with"):
        _tkey.negotiate(ScriptedServer(rename=dns.name.from_text("evil.server.")), INITIAL, "sec1", server_key=SERVER_KEY)


def test_wrong_mode_is_refused():
    with pytest.raises(_tkey.ResponseError, match="mode 3"):
        _tkey.negotiate(ScriptedServer(mode=3), INITIAL, "sec1", server_key=SERVER_KEY)


def test_discovery_moves_on_after_badkey():
    class GroupPicky(ScriptedServer):
        def send(self, query, what):
            received = dns.message.from_wire(query.to_wire(), keyring={INITIAL.name: INITIAL})
            _f, _p, group, _y = _dhkey.parse_key_rdata([r for r in received.additional if r.rdtype == 25][0][0].to_digestable())
            self.tkey_error = 0 if group == GROUP else 17
            return super(GroupPicky, self).send(query, what)

    server = GroupPicky()
    key = _tkey.negotiate(server, INITIAL, "sec1")
    assert key.secret == server.secret
    assert len(server.queries) == 3  # 1536, 1024, then 768


def test_derive_secret_short_and_long_shared_values():
    client_nonce, server_nonce = b"c" * 16, b"s" * 16
    for shared in (b"\x01" * 10, b"\x02" * 32, bytes(range(1, 96)), b"\xff" * 192):
        assert _tkey.derive_secret(shared, client_nonce, server_nonce) == bind_secret(shared, client_nonce, server_nonce)
    assert len(_tkey.derive_secret(b"\x01" * 10, client_nonce, server_nonce)) == 32
    assert len(_tkey.derive_secret(bytes(range(1, 96)), client_nonce, server_nonce)) == 95


def test_leading_zero_shared_value_gives_bind_secret():
    client = None
    for x in range(2, 100000):  # deterministic search for a shared value with a leading zero octet
        if pow(SERVER_KEY.y, x, GROUP.p).bit_length() <= GROUP.bits - 8:
            client = DHKey("client", GROUP, pow(2, x, GROUP.p), x)
            break
    assert client is not None
    server = ScriptedServer()
    key = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, client_key=client)
    assert key.secret == server.secret
    assert len(key.secret) < 96


@pytest.mark.parametrize("base,fragment", [
    ("x" * 44, "too long"),
    ("", "empty"),
    ("a..b", "not a DNS name"),
])
def test_bad_key_names(base, fragment):
    with pytest.raises(_tkey.TkeyError, match=fragment):
        _tkey.request_name(base)


def test_request_name_layout():
    assert _tkey.request_name("sec1.example", now=1795588131, salt="abcd").to_text() == "sec1-20261125062851-abcd.example."


def test_lifetime_bounds():
    with pytest.raises(_tkey.TkeyError, match="out of range"):
        _tkey.negotiate(ScriptedServer(), INITIAL, "sec1", server_key=SERVER_KEY, lifetime=2 ** 31)


def test_client_key_in_another_group_is_refused_before_sending():
    server = ScriptedServer()
    client = DHKey.generate("client", DHGroup.well_known(1024))
    with pytest.raises(_tkey.TkeyError, match="server's group"):
        _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, client_key=client)
    assert server.queries == []


class ProbeServer(object):
    """Answers probes: signed with the probing key when it accepts it, TSIG BADKEY otherwise."""

    def __init__(self, accepts):
        self.accepts = accepts
        self.address, self.port, self.probes = "192.0.2.1", 53, 0

    def __str__(self):
        return "192.0.2.1#53"

    def send(self, query, what):
        self.probes += 1
        wire = query.to_wire()
        if not self.accepts:
            raise _tkey.PeerRejectedKey("BADKEY")
        received = dns.message.from_wire(wire, keyring=query.keyring)
        response = dns.message.make_response(received)
        return dns.message.from_wire(response.to_wire(), keyring=query.keyring, request_mac=query.mac)


def _current(**meta):
    base = dict(server="192.0.2.1", port="53", key_name="sec1", expiration="1795591731", server_key_tag=str(SERVER_KEY.tag))
    base.update(meta)
    return KeyStatement("sec1-20261125062851-a3f9.server", "hmac-md5", "c2VjcmV0c2VjcmV0", dict((k, v) for k, v in base.items() if v is not None))


@pytest.mark.parametrize("current,kwargs,reason,probes", [
    (None, {}, "absent", 0),
    ("good", dict(force=True), "forced", 0),
    ("nometa", {}, "unmanaged", 0),
    (dict(server="192.0.2.9"), {}, "server_changed", 0),
    (dict(port="5353"), {}, "server_changed", 0),
    (dict(key_name="sec2"), {}, "key_name_changed", 0),
    (dict(server_key_tag="1"), dict(server_key=SERVER_KEY), "server_key_changed", 0),
    ("good", dict(renew_before=3600, now=1795591731 - 3599), "expiring", 0),
    ("good", dict(renew_before=3600, now=1795591731 - 3601), "current", 1),
    (dict(expiration="0"), dict(renew_before=3600, now=2 ** 31), "current", 1),
    ("good", dict(server_key=SERVER_KEY), "current", 1),
])
def test_renewal_reason(current, kwargs, reason, probes):
    if current == "good":
        statement = _current()
    elif current == "nometa":
        statement = KeyStatement("sec1-x.server", "hmac-md5", "c2VjcmV0c2VjcmV0")
    elif isinstance(current, dict):
        statement = _current(**current)
    else:
        statement = None
    server = ProbeServer(accepts=True)
    kwargs.setdefault("now", 1795588131)
    assert _tkey.renewal_reason(statement, server, "sec1", **kwargs) == reason
    assert server.probes == probes  # only a key that is otherwise fine costs a query


def test_renewal_reason_rejected_after_a_restart():
    server = ProbeServer(accepts=False)
    assert _tkey.renewal_reason(_current(), server, "sec1.", now=1795588131) == "rejected"


def test_negotiate_proved_deletes_a_key_the_server_refuses():
    class RefusesTheNewKey(ScriptedServer):
        def __init__(self):
            super(RefusesTheNewKey, self).__init__()
            self.deletions = 0

        def send(self, query, what):
            if what.startswith("probe"):
                raise _tkey.PeerRejectedKey("BADKEY")
            if what.startswith("TKEY deletion"):
                self.deletions += 1
                raise _tkey.TransportError("gone")
            return super(RefusesTheNewKey, self).send(query, what)

    server = RefusesTheNewKey()
    with pytest.raises(_tkey.TkeyError, match="did not accept the key it just negotiated"):
        _tkey.negotiate_proved(server, INITIAL, "sec1", server_key=SERVER_KEY)
    assert server.deletions == 1


def test_key_file_round_trips_its_metadata():
    server = ScriptedServer()
    key = _tkey.negotiate(server, INITIAL, "sec1.", server_key=SERVER_KEY, lifetime=3600, now=1795588131)
    (statement,) = parse_key_file(key.key_file_text(server, "sec1."))
    assert statement.secret_bytes == key.secret
    assert statement.metadata["key_name"] == "sec1"
    assert statement.metadata["expiration_utc"] == "2026-11-25T07:28:51Z"
    assert _tkey.renewal_reason(statement, ProbeServer(accepts=True), "sec1", server_key=SERVER_KEY, now=1795588131) == "current"
