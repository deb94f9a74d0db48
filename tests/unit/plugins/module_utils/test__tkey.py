# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The client's logic against scripted answers built as real dnspython messages (wire format, TSIG).

What named itself does is tested in tests/integration against a real named.
"""

from __future__ import annotations

import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey, _errors, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHGroup, DHKey
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import KeyStatement, parse_key_file
from tests.support.scripted import GROUP, SERVER_KEY, ScriptedServer, bind_secret

INITIAL = _tkey.tsig_key("tkeyinit", "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0", "hmac-sha256")


def test_negotiation_derives_the_servers_secret_and_name():
    server = ScriptedServer()
    key = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, lifetime=3600, now=1795588131)
    assert key.secret == server.secret
    assert key.name.startswith("sec1-20261125062851-") and key.name.endswith(".server")
    assert (key.inception, key.expiration) == (1795588131, 1795591731)
    assert key.server_key.same_public(SERVER_KEY)


def test_no_representation_of_a_key_shows_its_secret():
    key = _tkey.negotiate(ScriptedServer(), INITIAL, "sec1", server_key=SERVER_KEY)
    statement = key.statement(ScriptedServer(), "sec1")
    shown = repr(key) + str(key) + repr(statement) + str(statement) + repr(key.__dict__.get("name"))
    for form in (key.secret_b64, key.secret.hex(), repr(key.secret), key.secret_b64[:24]):
        assert form not in shown


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
    with pytest.raises(_errors.TkeyRefused, match=fragment) as info:
        _tkey.negotiate(ScriptedServer(tkey_error=code), INITIAL, "sec1", server_key=SERVER_KEY)
    assert info.value.code == code


@pytest.mark.parametrize("rcode,fragment", [
    (dns.rcode.REFUSED, "no tkey-dhkey"),
    (dns.rcode.NOTIMP, "BIND 9.20"),
    (dns.rcode.FORMERR, "malformed"),
    (dns.rcode.SERVFAIL, "failed to compute"),
])
def test_rcodes_become_clear_messages(rcode, fragment):
    with pytest.raises(_errors.TkeyRefused, match=fragment):
        _tkey.negotiate(ScriptedServer(rcode=rcode), INITIAL, "sec1", server_key=SERVER_KEY)


def test_unsigned_answer_is_refused():
    with pytest.raises(_errors.ResponseError, match="not signed"):
        _tkey.negotiate(ScriptedServer(sign=False), INITIAL, "sec1", server_key=SERVER_KEY)


def test_answer_signed_with_another_key_is_refused():
    other = _tkey.tsig_key("tkeyinit", "b3RoZXJvdGhlcm90aGVyb3RoZXI=", "hmac-sha256")
    with pytest.raises(_errors.ResponseError, match="TSIG verification"):
        _tkey.negotiate(ScriptedServer(signing_key=other), INITIAL, "sec1", server_key=SERVER_KEY)


def test_pinned_key_mismatch_is_refused():
    impostor = DHKey.generate("server", GROUP)
    with pytest.raises(_errors.PinMismatch, match="not the pinned"):
        _tkey.negotiate(ScriptedServer(server_key=impostor), INITIAL, "sec1", server_key=SERVER_KEY)


def test_server_key_found_by_value_not_owner_name():
    renamed = DHKey("anything.else", GROUP, SERVER_KEY.y, SERVER_KEY.x)
    key = _tkey.negotiate(ScriptedServer(server_key=renamed), INITIAL, "sec1", server_key=SERVER_KEY)
    assert key.server_key.y == SERVER_KEY.y


def test_two_server_keys_are_ambiguous():
    extra = DHKey.generate("server2", GROUP)
    with pytest.raises(_errors.ResponseError, match="2 server DH keys"):
        _tkey.negotiate(ScriptedServer(extra_server_keys=(extra,)), INITIAL, "sec1", server_key=SERVER_KEY)


def test_missing_tkey_answer_is_refused():
    with pytest.raises(_errors.ResponseError, match="no TKEY answer"):
        _tkey.negotiate(ScriptedServer(drop_tkey=True), INITIAL, "sec1", server_key=SERVER_KEY)


def test_answer_for_another_name_is_refused():
    with pytest.raises(_errors.ResponseError, match="does not start with"):
        _tkey.negotiate(ScriptedServer(rename=dns.name.from_text("evil.server.")), INITIAL, "sec1", server_key=SERVER_KEY)


def test_wrong_mode_is_refused():
    with pytest.raises(_errors.ResponseError, match="mode 3"):
        _tkey.negotiate(ScriptedServer(mode=3), INITIAL, "sec1", server_key=SERVER_KEY)


def test_discovery_moves_on_after_badkey():
    server = ScriptedServer()  # its DH key is in the 768-bit group
    key = _tkey.negotiate(server, INITIAL, "sec1")
    assert key.secret == server.secret
    assert server.named.count("negotiate") == 3  # 1536 and 1024 refused with BADKEY, then 768
    assert len(server.named.negotiated) == 1


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
    ("bad name!", "not a DNS name"),
])
def test_bad_key_names(base, fragment):
    with pytest.raises(_errors.OptionError, match=fragment):
        _tkey.request_name(base)
    with pytest.raises(_errors.OptionError, match=fragment):
        _tkey.check_base_name(base)


def test_request_name_layout():
    assert _tkey.request_name("sec1.example", now=1795588131, salt="abcd").to_text() == "sec1-20261125062851-abcd.example."


def test_lifetime_bounds():
    with pytest.raises(_errors.OptionError, match="out of range"):
        _tkey.negotiate(ScriptedServer(), INITIAL, "sec1", server_key=SERVER_KEY, lifetime=2 ** 31)


def test_client_key_in_another_group_is_refused_before_sending():
    server = ScriptedServer()
    client = DHKey.generate("client", DHGroup.well_known(1024))
    with pytest.raises(_errors.OptionError, match="server's group"):
        _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY, client_key=client)
    assert server.queries == []


CURRENT_NAME = "sec1-20261125062851-a3f9.server"
CURRENT_SECRET = "c2VjcmV0c2VjcmV0"


def _holding_current(accepts=True):
    """A scripted server that still holds the current key (or, after a restart, does not)."""
    server = ScriptedServer()
    if accepts:
        name = dns.name.from_text(CURRENT_NAME)
        server.named.negotiated[name] = (dns.tsig.Key(name, CURRENT_SECRET, "hmac-md5.sig-alg.reg.int."), INITIAL.name)
    return server


def _current(**meta):
    base = dict(server="192.0.2.1", port="53", key_name="sec1", expiration="1795591731", server_key_tag=str(SERVER_KEY.tag))
    base.update(meta)
    return KeyStatement(CURRENT_NAME, "hmac-md5", CURRENT_SECRET, dict((k, v) for k, v in base.items() if v is not None))


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
        statement = KeyStatement(CURRENT_NAME, "hmac-md5", CURRENT_SECRET)
    elif isinstance(current, dict):
        statement = _current(**current)
    else:
        statement = None
    server = _holding_current()
    kwargs.setdefault("now", 1795588131)
    assert _tkey.renewal_reason(statement, server, "sec1", **kwargs) == reason
    assert server.named.count("probe") == probes  # only a key that is otherwise fine costs a query
    assert server.named.count("negotiate") == 0


def test_renewal_reason_rejected_after_a_restart():
    server = _holding_current()
    server.named.restart()
    assert _tkey.renewal_reason(_current(), server, "sec1.", now=1795588131) == "rejected"
    assert server.named.log == [("refused", "BADKEY")]


def test_probe_with_a_wrong_secret_is_not_accepted():
    server = _holding_current()
    wrong = _tkey.tsig_key(CURRENT_NAME, "d3JvbmdzZWNyZXQ=", "hmac-md5")
    assert _tkey.probe(server, wrong) is False
    assert server.named.log == [("refused", "BADSIG")]


def test_negotiate_proved_deletes_a_key_the_server_refuses():
    server = ScriptedServer(accept_negotiated=False)
    with pytest.raises(_errors.TkeyError, match="did not accept the key it just negotiated"):
        _tkey.negotiate_proved(server, INITIAL, "sec1", server_key=SERVER_KEY)
    assert server.named.count("delete") == 1
    assert server.named.negotiated == {}  # deleted with the initial key, its creator


def test_key_file_round_trips_its_metadata():
    server = ScriptedServer()
    key = _tkey.negotiate(server, INITIAL, "sec1.", server_key=SERVER_KEY, lifetime=3600, now=1795588131)
    (statement,) = parse_key_file(key.key_file_text(server, "sec1."))
    assert statement.secret_bytes == key.secret
    assert statement.metadata["key_name"] == "sec1"
    assert statement.metadata["expiration_utc"] == "2026-11-25T07:28:51Z"
    assert _tkey.renewal_reason(statement, server, "sec1", server_key=SERVER_KEY, now=1795588131) == "current"


def test_delete_signed_by_the_key_itself_by_its_creator_and_by_another_key():
    server = ScriptedServer()
    first = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY)
    second = _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY)
    assert _tkey.delete(server, first.name + ".", first.tsig()) is True
    assert _tkey.delete(server, first.name + ".", first.tsig()) is False  # the key itself is gone: BADKEY
    other = _tkey.tsig_key("tkeyinit", "b3RoZXJvdGhlcm90aGVyb3RoZXI=", "hmac-sha256")
    with pytest.raises(_errors.PeerRejectedSignature):
        _tkey.delete(server, second.name + ".", other)
    assert _tkey.delete(server, second.name + ".", INITIAL) is True
    assert _tkey.delete(server, second.name + ".", INITIAL) is False  # unknown name: BADNAME
    assert server.named.negotiated == {}


@pytest.mark.parametrize("text,seconds", [
    (3600, 3600), ("3600", 3600), ("30d", 2592000), ("12h", 43200), ("1d12h", 129600), ("2w", 1209600),
    ("90m", 5400), ("45s", 45), ("1d 2h", 93600), ("0", 0),
])
def test_parse_duration(text, seconds):
    assert _tkey.parse_duration(text, "lifetime") == seconds


@pytest.mark.parametrize("text", ["", "soon", "12x", "d", "1d-2h", "-5"])
def test_parse_duration_refuses(text):
    with pytest.raises(_errors.OptionError, match="lifetime"):
        _tkey.parse_duration(text, "lifetime")
