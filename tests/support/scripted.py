# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A scripted named 9.18 for unit tests: real dnspython messages on the wire (TSIG signed and verified),
the behaviour PROTOCOL.md records, and knobs to break each answer.

It answers what the collection sends: TKEY mode 2 (negotiate) and mode 5 (delete), queries signed with
a key (probes: BADKEY once the key is gone) and version.bind. What named itself does is tested against a
real named in tests/integration.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from unittest import mock

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
from dns.rdtypes.ANY.TKEY import TKEY

from ansible_collections.dnsops.tkey.plugins.module_utils import _dhkey, _transport
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHGroup, DHKey

INITIAL_SECRET = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
INITIAL = dns.tsig.Key("tkeyinit.", INITIAL_SECRET, "hmac-sha256.")
GROUP = DHGroup.well_known(768)
SERVER_KEY = DHKey.generate("server", GROUP)
SIGNAL_ZONE = "dnsops-tkey.server"
HMAC_MD5 = dns.name.from_text("hmac-md5.sig-alg.reg.int.")
BADSIG, BADKEY, BADTIME, BADMODE, BADNAME, BADALG = 16, 17, 18, 19, 20, 21


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


class ScriptedNamed(object):
    """named's TKEY and TSIG behaviour over dnspython messages, with knobs to break the answers.

    Knobs for a negotiation: tkey_error (TKEY error code), rcode, sign (False: unsigned answer), signing_key
    (sign with another key), drop_tkey, rename (final key name), mode (TKEY mode answered), server_key (the
    DH key it answers with), extra_server_keys, accept_negotiated (False: probes with new keys get BADKEY).
    Faults: down (connection refused), silent (timeout), clock_skew (seconds named's clock is ahead), version
    (version.bind answer, None: hidden).
    """

    def __init__(self, initial_keys=(INITIAL,), server_key=SERVER_KEY, tkey_domain="server", **knobs):
        self.initial = dict((key.name, key) for key in initial_keys)
        self.server_key = server_key
        self.tkey_domain = dns.name.from_text(tkey_domain)
        self.negotiated = {}  # key name -> (dns.tsig.Key, creator's key name)
        self.log = []  # (kind, name): negotiate, delete, probe, version, refused
        self.secret = None  # the last negotiated secret
        self.queries = []  # wire of every query
        self.tkey_error = 0
        self.rcode = dns.rcode.NOERROR
        self.sign = True
        self.signing_key = None
        self.drop_tkey = False
        self.rename = None
        self.mode = None
        self.extra_server_keys = ()
        self.accept_negotiated = True
        self.down = False
        self.silent = False
        self.version = "9.18.49-1~deb12u1-Debian"
        self.clock_skew = 0
        self.zones = {}  # zone name -> (serial, names of the keys whose negotiated keys allow-transfer admits)
        self.refuse_deletion = False
        # the primary role's TKEY signal, served to the initial keys (and keys they negotiated) only; None: absent
        self.signal_zone = dns.name.from_text(SIGNAL_ZONE)
        self.signal = {"bind": "9.18.49", "method": "tkey"}
        for knob, value in knobs.items():
            if not hasattr(self, knob):
                raise TypeError("unknown knob %s" % knob)
            setattr(self, knob, value)

    # --- what tests look at ------------------------------------------------------------------------
    def count(self, kind):
        return sum(1 for entry in self.log if entry[0] == kind)

    def serve(self, zone, serial=2026112501, allowed=(INITIAL.name,)):
        """Serve ZONE; keys negotiated with (or being) one of ALLOWED may transfer it."""
        self.zones[dns.name.from_text(zone)] = (serial, set(allowed))

    def knows(self, name):
        return dns.name.from_text(name) in self.negotiated

    def restart(self):
        """named restarted: every negotiated key is gone."""
        self.negotiated.clear()

    def key(self, name):
        return self.negotiated[dns.name.from_text(name)][0]

    # --- the wire ----------------------------------------------------------------------------------
    def _keyring(self, _message, name):
        if name in self.initial:
            return self.initial[name]
        if name in self.negotiated:
            return self.negotiated[name][0]
        return None

    def exchange(self, query, server):
        """What _transport.Server.exchange returns for QUERY: the parsed, TSIG-verified answer."""
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        if self.silent:
            raise _transport.socket.timeout("timed out")
        wire = query.to_wire()
        self.queries.append(wire)
        response = self._answer(wire, query)
        if self.clock_skew:  # named's clock differs from ours: its signature carries its time
            real_time = time.time
            with mock.patch("time.time", lambda: real_time() + self.clock_skew):
                answer = response.to_wire()
        else:
            answer = response.to_wire()
        return dns.message.from_wire(answer, keyring=query.keyring, request_mac=query.mac,
                                     raise_on_truncation=server.transport == "udp")

    def _error_response(self, query, tsig_error):
        """NOTAUTH with a TSIG error, for a query whose key or signature named does not accept."""
        response = dns.message.Message(id=query.id)
        response.flags = dns.flags.QR
        response.question = list(query.question)
        response.set_rcode(dns.rcode.NOTAUTH)
        response.use_tsig(query.keyring, keyname=query.keyname, tsig_error=tsig_error, algorithm=query.keyalgorithm)
        response.request_mac = query.mac
        self.log.append(("refused", {BADKEY: "BADKEY", BADSIG: "BADSIG", BADTIME: "BADTIME"}[tsig_error]))
        return response

    def _answer(self, wire, query):
        try:
            received = dns.message.from_wire(wire, keyring=self._keyring)
        except dns.message.UnknownTSIGKey:
            return self._error_response(query, BADKEY)
        except dns.tsig.BadSignature:
            return self._error_response(query, BADSIG)
        except dns.tsig.BadTime:
            return self._error_response(query, BADTIME)
        question = received.question[0]
        if question.rdclass == dns.rdataclass.CH and question.rdtype == dns.rdatatype.TXT:
            return self._version(received)
        if question.name == self.signal_zone and question.rdtype == dns.rdatatype.TXT:
            return self._signal(received)
        if question.rdtype == dns.rdatatype.TKEY:
            if not received.had_tsig:
                response = dns.message.make_response(received)
                response.set_rcode(dns.rcode.FORMERR)
                return response
            tkey = received.find_rrset(received.additional, question.name, dns.rdataclass.ANY, dns.rdatatype.TKEY)[0]
            if tkey.mode == 2:
                return self._negotiate(received, question.name, tkey)
            if tkey.mode == 5:
                return self._delete(received, question.name)
            response = dns.message.make_response(received)
            self._add_tkey(response, question.name, tkey, BADMODE)
            return response
        if question.name in self.zones and question.rdtype in (dns.rdatatype.SOA, dns.rdatatype.IXFR):
            return self._zone(received, question)
        if question.rdtype == dns.rdatatype.IXFR:
            response = dns.message.make_response(received)
            response.set_rcode(dns.rcode.NOTAUTH)
            return response
        if not received.had_tsig:
            response = dns.message.make_response(received)
            response.set_rcode(dns.rcode.REFUSED)
            return response
        return self._probe(received)

    def _creator(self, keyname):
        if keyname in self.negotiated:
            return self.negotiated[keyname][1]
        return keyname

    def _zone(self, received, question):
        serial, allowed = self.zones[question.name]
        response = dns.message.make_response(received)
        response.flags |= dns.flags.AA
        if question.rdtype == dns.rdatatype.IXFR:
            self.log.append(("ixfr", question.name))
            if not received.had_tsig or self._creator(received.keyname) not in allowed:
                response.set_rcode(dns.rcode.REFUSED)
                return response
        soa = "ns.%s hostmaster.%s %d 3600 600 86400 300" % (question.name, question.name, serial)
        response.answer.append(dns.rrset.from_text(question.name, 300, "IN", "SOA", soa))
        return response

    def _signal(self, received):
        self.log.append(("signal", received.keyname))
        response = dns.message.make_response(received)
        if self.signal is None or not received.had_tsig or self._creator(received.keyname) not in self.initial:
            response.set_rcode(dns.rcode.REFUSED)  # allow-query names the initial keys; no zone at all: REFUSED too
            return response
        response.flags |= dns.flags.AA
        words = ['"dnsops-tkey"'] + ['"%s=%s"' % item for item in sorted(self.signal.items())]
        response.answer.append(dns.rrset.from_text(self.signal_zone, 0, "IN", "TXT", " ".join(words)))
        return response

    def _version(self, received):
        self.log.append(("version", None))
        response = dns.message.make_response(received)
        if self.version is None:
            response.set_rcode(dns.rcode.REFUSED)
        else:
            rrset = dns.rrset.from_text(received.question[0].name, 0, "CH", "TXT", '"%s"' % self.version)
            response.answer.append(rrset)
        return response

    def _probe(self, received):
        name = received.keyname
        self.log.append(("probe", name))
        if name in self.negotiated and not self.accept_negotiated:
            return self._badkey_for(received)
        response = dns.message.make_response(received)
        response.set_rcode(dns.rcode.REFUSED)  # named answers REFUSED (signed) for a name it does not serve
        return response

    def _badkey_for(self, received):
        response = dns.message.make_response(received, tsig_error=BADKEY)
        response.set_rcode(dns.rcode.NOTAUTH)
        return response

    @staticmethod
    def _add_tkey(response, owner, tkey, error, key=b""):
        out = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, tkey.algorithm, tkey.inception, tkey.expiration, tkey.mode, error, key, b"")
        response.find_rrset(response.answer, owner, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(out, 0)

    def _negotiate(self, received, qname, tkey_in):
        self.log.append(("negotiate", qname))
        key_rrsets = [r for r in received.additional if r.rdtype == _dhkey.KEY_RRTYPE]
        response = dns.message.make_response(received)
        if not key_rrsets:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        key_rrset = key_rrsets[0]
        _flags, _proto, group, client_y = _dhkey.parse_key_rdata(key_rrset[0].to_digestable())
        final = self.rename or dns.name.Name(qname.labels[:-1] + self.tkey_domain.labels)
        error = self.tkey_error
        if not error and tkey_in.algorithm != HMAC_MD5:
            error = BADALG
        if not error and group != self.server_key.group:
            error = BADKEY
        if not error and final in self.negotiated:
            error = BADNAME
        response.set_rcode(self.rcode)
        if self.signing_key is not None:
            response.use_tsig(self.signing_key)
        elif not self.sign:
            response.keyring = None
            response.tsig = None
        server_nonce = os.urandom(16)
        response.find_rrset(response.answer, key_rrset.name, dns.rdataclass.IN, _dhkey.KEY_RRTYPE, create=True).add(key_rrset[0], 0)
        for key in (self.server_key,) + tuple(self.extra_server_keys):
            rd = dns.rdata.GenericRdata(dns.rdataclass.ANY, _dhkey.KEY_RRTYPE, key.rdata)
            response.find_rrset(response.answer, dns.name.from_text(key.name), dns.rdataclass.ANY, _dhkey.KEY_RRTYPE, create=True).add(rd, 0)
        if not error and self.rcode == dns.rcode.NOERROR:
            shared = pow(client_y, self.server_key.x, group.p)
            shared = shared.to_bytes((shared.bit_length() + 7) // 8, "big")
            self.secret = bind_secret(shared, tkey_in.key, server_nonce)
            self.negotiated[final] = (dns.tsig.Key(final, self.secret, HMAC_MD5), received.keyname)
        if not self.drop_tkey:
            answered = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, tkey_in.algorithm, tkey_in.inception, tkey_in.expiration,
                            self.mode if self.mode is not None else tkey_in.mode, error, server_nonce, b"")
            response.find_rrset(response.answer, final, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(answered, 0)
        return response

    def _delete(self, received, qname):
        self.log.append(("delete", qname))
        response = dns.message.make_response(received)
        if self.refuse_deletion:
            response.set_rcode(dns.rcode.SERVFAIL)
            return response
        tkey = received.find_rrset(received.additional, qname, dns.rdataclass.ANY, dns.rdatatype.TKEY)[0]
        entry = self.negotiated.get(qname)
        if entry is None:
            self._add_tkey(response, qname, tkey, BADNAME)
            return response
        if received.keyname not in (qname, entry[1]):
            response.set_rcode(dns.rcode.REFUSED)
            return response
        del self.negotiated[qname]
        self._add_tkey(response, qname, tkey, 0)
        return response


class ScriptedServer(_transport.Server):
    """A _transport.Server whose wire is a ScriptedNamed: the real error mapping, no socket."""

    def __init__(self, named=None, address="192.0.2.1", port=53, transport="tcp", timeout=1.0, **knobs):
        super(ScriptedServer, self).__init__(address, port, transport, timeout)
        self.named = named if named is not None else ScriptedNamed(**knobs)

    def _resolve(self):
        return self.address

    def exchange(self, query, address):
        return self.named.exchange(query, self)

    @property
    def secret(self):
        return self.named.secret

    @property
    def queries(self):
        return self.named.queries


def route_servers_to(monkeypatch, named):
    """Make every _transport.Server (those the modules build from their options) talk to NAMED."""
    monkeypatch.setattr(_transport.Server, "_resolve", lambda self: self.address)
    monkeypatch.setattr(_transport.Server, "exchange", lambda self, query, address: named.exchange(query, self))


class ScriptedLocalNamed(object):
    """The secondary's named as the engine drives it (rndc, its log), transferring through a ScriptedNamed primary.

    Knobs: is_running, fail_reconfig (how many reconfigs fail), break_transfer (named's transfer fails whatever the
    key), configured (zones in named.conf; None: every zone the primary serves).
    """

    def __init__(self, primary, primaries_file, running=True):
        self.primary = primary
        self.primaries_file = primaries_file
        self.is_running = running
        self.fail_reconfig = 0
        self.break_transfer = False
        self.configured = None
        self.refreshed = []
        self.loaded_key = None
        self.reconfigs = 0
        self.proofs = []
        self.serials = {}
        self.transfer_wait = 0.2

    def running(self):
        return self.is_running

    def reconfig(self):
        from ansible_collections.dnsops.tkey.plugins.module_utils._errors import NamedError  # pylint: disable=import-outside-toplevel

        self.reconfigs += 1
        if self.fail_reconfig:
            self.fail_reconfig -= 1
            raise NamedError("rndc reconfig failed: scripted")
        with open(self.primaries_file) as handle:
            found = re.search(r'key "([^"]+)"', handle.read())
        self.loaded_key = found.group(1) if found else None

    def serves(self, zone):
        return self.configured is None or zone in self.configured

    def refresh(self, zone):
        self.refreshed.append(zone)

    def _transfers(self, zone):
        key = self.loaded_key
        known = key is not None and (self.primary.knows(key) or dns.name.from_text(key) in self.primary.initial)
        if self.break_transfer or not known:
            return False
        entry = self.primary.zones.get(dns.name.from_text(zone))
        return entry is not None and self.primary._creator(dns.name.from_text(key)) in entry[1]

    def prove_transfer(self, zone, key_name):
        from ansible_collections.dnsops.tkey.plugins.module_utils._errors import NamedError  # pylint: disable=import-outside-toplevel

        self.proofs.append((zone, key_name))
        if self.loaded_key != key_name:
            raise NamedError("named transferred %s with key %s, not %s" % (zone, self.loaded_key, key_name))
        if not self._transfers(zone):
            raise NamedError("named's transfer of %s with the new key %s failed: tsig indicates error" % (zone, key_name))
        self.serials[zone] = self.primary.zones[dns.name.from_text(zone)][0]
        return self.serials[zone]

    def wait_for_serials(self, wanted, seconds):
        lagging = {}
        for zone, serial in wanted.items():
            if self._transfers(zone):
                self.serials[zone] = serial
            else:
                lagging[zone] = self.serials.get(zone)
        return lagging
