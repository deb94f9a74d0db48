# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The TKEY exchange with BIND 9.18 on dnspython: negotiate (RFC 2930 mode 2), delete (mode 5), probe.

Pure Python over dnspython and cryptography; nothing here imports Ansible. Every failure is a
DnsopsError (_errors.py): a TkeyError for the exchange, a DHKeyError or KeyFileError for keys; its
message is one sentence naming the cause and the remedy. The wire is _transport.Server's.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import os
import re

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    import dns.tsig
    from dns.rdtypes.ANY.TKEY import TKEY
except ImportError:  # the modules report it through _deps before using anything here
    HAS_DNSPYTHON = False
else:
    HAS_DNSPYTHON = True

from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import (
    KEY_RRTYPE,
    DHGroup,
    DHKey,
    key_rdata,
    parse_key_rdata,
)
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import (
    DHKeyError,
    KeyFileError,
    OptionError,
    PeerRejectedKey,
    PeerRejectedSignature,
    PinMismatch,
    ResponseError,
    TkeyError,
    TkeyRefused,
    UnsupportedServer,
)
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import (
    ALGORITHMS,
    KeyStatement,
    canonical_algorithm,
    check_secret,
)

MODE_DH = 2
MODE_DELETE = 5
# BIND 9.18 creates negotiated keys only with this algorithm (others get BADALG).
NEGOTIATED_ALGORITHM = "hmac-md5"
_HMAC_MD5 = dns.name.from_text(ALGORITHMS[NEGOTIATED_ALGORITHM][0]) if HAS_DNSPYTHON else None
NONCE_OCTETS = 16
MAX_LIFETIME = 2 ** 31 - 1 - 3600  # BIND compares times in serial arithmetic: beyond 2^31 s a key is born expired
# Order in which groups are tried when neither the server's nor a client key is known.
DISCOVERY_SIZES = (1536, 1024, 768)

_TSIG_ERRORS = {16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 19: "BADMODE", 20: "BADNAME", 21: "BADALG", 22: "BADTRUNC"}


_DURATION_RE = re.compile(r"(\d+)\s*([wdhms]?)", re.I)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}


def parse_duration(value, option):
    """Seconds from 3600, '3600', '30d', '12h', '1d12h', '2w'; an OptionError naming OPTION otherwise."""
    text = str(value).strip()
    if not text:
        raise OptionError("%s is empty; give seconds or a duration such as '30d' or '12h'" % option)
    total, position = 0, 0
    for match in _DURATION_RE.finditer(text):
        if text[position:match.start()].strip():
            break
        total += int(match.group(1)) * _UNITS[match.group(2).lower()]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise OptionError("%s %r is not a duration; give seconds or a value such as '30d', '12h' or '1d12h'" % (option, text))
    return total


def _now():
    return int(datetime.datetime.now(datetime.timezone.utc).timestamp())


def isoformat(epoch):
    """'2026-11-25T06:28:51Z' for an epoch second, '' for 0 (a key that never expires)."""
    if not epoch:
        return ""
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def tsig_key(name, secret, algorithm):
    """A dnspython TSIG key from a name, a base64 secret and an algorithm such as 'hmac-sha256'."""
    algorithm = canonical_algorithm(algorithm)
    check_secret(secret, "secret of TSIG key %s" % name)
    try:
        return dns.tsig.Key(dns.name.from_text(name), secret, dns.name.from_text(ALGORITHMS[algorithm][0]))
    except (dns.exception.DNSException, ValueError, TypeError) as exc:
        raise KeyFileError("TSIG key %s cannot be used (%s); check its name and base64 secret" % (name, exc))


def key_from_statement(statement):
    return tsig_key(statement.name, statement.secret, statement.algorithm)


def derive_secret(shared, client_nonce, server_nonce):
    """The negotiated secret exactly as BIND's compute_secret (lib/dns/tkey.c) builds it.

    SHARED must be the DH value without leading zero octets: BIND takes OpenSSL's unpadded output, so
    about one negotiation in 256 would fail with BADSIG if the padded value were used here.
    """
    digest = hashlib.md5(client_nonce + shared).digest() + hashlib.md5(server_nonce + shared).digest()
    if len(shared) > len(digest):
        return bytes(a ^ b for a, b in zip(shared[:32], digest)) + shared[32:]
    head = bytes(a ^ b for a, b in zip(digest, shared))
    return head + digest[len(shared):]


def check_base_name(base):
    """BASE ('sec1', 'sec1.example') as a dnspython name, or an OptionError saying why it cannot be a key name."""
    text = str(base).strip().rstrip(".")
    if not text:
        raise OptionError("the key name is empty; give a short name such as the secondary's host name")
    for label in text.split("."):
        if not re.match(r"^[A-Za-z0-9_-]{1,63}$", label):
            raise OptionError(
                "key name %r is not a DNS name of letters, digits, '-' and '_' (label %r); use for example the secondary's host name"
                % (base, label)
            )
    if len(text.split(".", 1)[0]) > 43:
        raise OptionError("key name %r: its first label is too long for the time stamp the server needs; keep it to 43 characters" % base)
    try:
        return dns.name.from_text(text + ".")
    except dns.exception.DNSException as exc:
        raise OptionError("key name %r is not a DNS name (%s)" % (base, exc))


def request_name(base, now=None, salt=None):
    """A fresh query name from BASE ('sec1' -> 'sec1-20261125062851-a3f9.'): a live name is refused with BADNAME."""
    name = check_base_name(base)
    first = name.labels[0].decode("ascii")
    stamp = datetime.datetime.fromtimestamp(now if now is not None else _now(), datetime.timezone.utc).strftime("%Y%m%d%H%M%S")
    label = "%s-%s-%s" % (first, stamp, salt if salt is not None else os.urandom(2).hex())
    return dns.name.Name((label.encode("ascii"),) + name.labels[1:])


def _require_signed(response, key, server, what):
    if not response.had_tsig or response.keyname != key.name:
        raise ResponseError(
            "the response from %s to the %s is not signed with key %s; refusing to trust it" % (server, what, key.name.to_text(True))
        )


def _rcode_error(response, server, what):
    rcode = response.rcode()
    if rcode == dns.rcode.NOERROR:
        return None
    hints = {
        dns.rcode.REFUSED: "the server has no tkey-dhkey/tkey-domain options, or refuses the request; configure TKEY on the server",
        dns.rcode.NOTIMP: "the server does not implement TKEY Diffie-Hellman (BIND 9.20 removed it); run BIND 9.18 on the primary",
        dns.rcode.FORMERR: "the server found the request malformed; check key_name and the DH keys",
        dns.rcode.SERVFAIL: "the server failed to compute the DH secret; check the client DH key and named's log",
    }
    return TkeyRefused(
        "%s answered %s to the %s: %s" % (server, dns.rcode.to_text(rcode), what, hints.get(rcode, "see named's log")),
        None,
    )


def _tkey_rrset(response, section):
    for rrset in section:
        if rrset.rdtype == dns.rdatatype.TKEY:
            return rrset
    return None


class NegotiatedKey(object):
    """The outcome of a negotiation; the secret never appears in repr()."""

    def __init__(self, name, secret, inception, expiration, server_key):
        self.name = name  # without the final dot, as named.conf spells key names
        self.algorithm = NEGOTIATED_ALGORITHM
        self.secret = secret
        self.inception = inception
        self.expiration = expiration
        self.server_key = server_key

    def __repr__(self):
        return "NegotiatedKey(%r, expiration=%r)" % (self.name, self.expiration)

    @property
    def secret_b64(self):
        return base64.b64encode(self.secret).decode("ascii")

    def statement(self, server, base_name):
        """The key as a named.conf statement, with the metadata renewal_reason() reads back."""
        metadata = {
            "server": server.address,
            "port": str(server.port),
            "key_name": str(base_name).rstrip("."),
            "inception": str(self.inception),
            "expiration": str(self.expiration),
            "expiration_utc": isoformat(self.expiration) or "never",
            "server_key_tag": str(self.server_key.tag),
        }
        return KeyStatement(self.name, self.algorithm, self.secret_b64, metadata)

    def key_file_text(self, server, base_name):
        """The content of the key file a secondary's named.conf includes."""
        return self.statement(server, base_name).render([
            "Negotiated with TKEY (RFC 2930 Diffie-Hellman) by dnsops.tkey.tkey_negotiate.",
            "Written and renewed by Ansible; do not edit. The secret was computed here and on %s, never sent." % server,
        ])

    def tsig(self):
        return tsig_key(self.name, self.secret_b64, self.algorithm)


def _build_dh_query(qname, client, nonce, inception, expiration, credential):
    query = dns.message.make_query(qname, dns.rdatatype.TKEY, dns.rdataclass.ANY)
    query.flags = 0  # no RD: nothing to recurse on
    tkey = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, _HMAC_MD5, inception, expiration, MODE_DH, 0, nonce, b"")
    query.find_rrset(query.additional, qname, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(tkey, 0)
    key_rd = dns.rdata.GenericRdata(dns.rdataclass.IN, KEY_RRTYPE, key_rdata(client.group, client.y))
    query.find_rrset(query.additional, qname, dns.rdataclass.IN, KEY_RRTYPE, create=True).add(key_rd, 0)
    query.use_tsig(credential)
    return query


def _server_key_from(response, client, server):
    """The server's DH KEY among the answers: identified by value (it is not ours), not by owner name."""
    candidates = []
    for rrset in response.answer:
        if rrset.rdtype != KEY_RRTYPE:
            continue
        for rdata in rrset:
            try:
                _flags, _protocol, group, y = parse_key_rdata(rdata.to_digestable())
            except DHKeyError:
                continue
            if group == client.group and y != client.y:
                candidates.append(DHKey(rrset.name.to_text(), group, y))
    if len(candidates) != 1:
        raise ResponseError("the response from %s holds %d server DH keys in the client's group; expected one" % (server, len(candidates)))
    return candidates[0]


def negotiate(server, credential, base_name, server_key=None, client_key=None, group=None, lifetime=30 * 86400, now=None,
              before_sending=None):
    """Agree on a new HMAC-MD5 key with the server by TKEY mode 2; return a NegotiatedKey.

    BEFORE_SENDING(qname), if given, is called before each TKEY query leaves (the engine records the key's name).

    CREDENTIAL is the dnspython TSIG key that signs the query (the initial key). The DH group comes
    from SERVER_KEY (which is then pinned), CLIENT_KEY or GROUP; with none of them the well-known
    groups are tried in turn, since the server answers BADKEY for a foreign group without creating a key.
    """
    if server_key is not None and client_key is not None and server_key.group != client_key.group:
        raise OptionError(
            "client_key %s uses the %s but the server key uses the %s; make the client key in the server's group"
            % (client_key.basename, client_key.group.describe(), server_key.group.describe())
        )
    if server_key is not None:
        groups = [server_key.group]
    elif client_key is not None:
        groups = [client_key.group]
    elif group is not None:
        groups = [group]
    else:
        groups = [DHGroup.well_known(size) for size in DISCOVERY_SIZES]
    lifetime = int(lifetime)
    if lifetime < 0 or lifetime > MAX_LIFETIME:
        raise OptionError("lifetime %d is out of range; use 0 (never expires) or up to %d seconds (about 68 years)" % (lifetime, MAX_LIFETIME))
    last_error = None
    for candidate in groups:
        try:
            return _negotiate_in_group(server, credential, base_name, candidate, server_key, client_key, lifetime, now, before_sending)
        except TkeyRefused as exc:
            if exc.code != 17 or len(groups) == 1:
                raise
            last_error = exc
    raise TkeyRefused(
        "%s accepted none of the well-known DH groups (768, 1024, 1536 bits); give server_public_key (the server's K*.key)" % server,
        last_error.code if last_error else None,
    )


def _negotiate_in_group(server, credential, base_name, group, server_key, client_key, lifetime, now, before_sending=None):
    now = _now() if now is None else now
    qname = request_name(base_name, now)
    if client_key is not None:
        client_key.private_object()  # a public-only client key fails here, before anything is sent
        client = client_key
    else:
        client = DHKey.generate(qname.to_text(), group)
    inception, expiration = (0, 0) if lifetime == 0 else (now, now + lifetime)
    nonce = os.urandom(NONCE_OCTETS)
    query = _build_dh_query(qname, client, nonce, inception, expiration, credential)
    what = "TKEY negotiation"
    if before_sending is not None:
        before_sending(qname)
    response = server.send(query, what)
    error = _rcode_error(response, server, what)
    if error is not None:
        raise error  # a failure needs no signature to be believed
    _require_signed(response, credential, server, what)
    rrset = _tkey_rrset(response, response.answer)
    if rrset is None or len(rrset) != 1:
        raise ResponseError("the response from %s to the %s has no TKEY answer" % (server, what))
    answer = rrset[0]
    if answer.error:
        raise _tkey_error(answer.error, server, what, group)
    if answer.mode != MODE_DH or answer.algorithm != _HMAC_MD5:
        raise ResponseError("the TKEY answer from %s has mode %d and algorithm %s; expected mode 2 and hmac-md5" % (server, answer.mode, answer.algorithm))
    final = rrset.name
    if final.labels[:len(qname.labels) - 1] != qname.labels[:-1]:
        raise ResponseError("the TKEY answer from %s names key %s, which does not start with the requested %s" % (server, final, qname))
    if not answer.key:
        raise ResponseError("the TKEY answer from %s carries no server nonce" % server)
    found = _server_key_from(response, client, server)
    if server_key is not None and found.y != server_key.y:
        raise PinMismatch(
            "%s answered with DH key %s (tag %05d), not the pinned %s: the server's tkey-dhkey changed or the answer is forged; "
            "check the server and update server_public_key" % (server, found.name, found.tag, server_key.basename)
        )
    try:
        shared = client.shared_value(found.y)
    except DHKeyError as exc:
        raise ResponseError("the server's DH key from %s cannot be used (%s)" % (server, exc))
    secret = derive_secret(shared, nonce, answer.key)
    return NegotiatedKey(final.to_text(True), secret, answer.inception, answer.expiration, found)


def _tkey_error(code, server, what, group):
    name = _TSIG_ERRORS.get(code, str(code))
    hints = {
        17: "the server's tkey-dhkey uses another DH group than the %s; give server_public_key (the server's K*.key)" % group.describe(),
        19: "the server does not offer TKEY Diffie-Hellman (BIND 9.20 and later removed mode 2); run BIND 9.18 on the primary",
        20: "the key name is still in use on the server; retry (each run picks a fresh name)",
        21: "the server accepts only hmac-md5 for negotiated keys",
    }
    return TkeyRefused("%s refused the %s with TKEY error %s: %s" % (server, what, name, hints.get(code, "see named's log")), code)


def _build_delete_query(key_name, signer):
    qname = dns.name.from_text(key_name)
    query = dns.message.make_query(qname, dns.rdatatype.TKEY, dns.rdataclass.ANY)
    query.flags = 0
    tkey = TKEY(dns.rdataclass.ANY, dns.rdatatype.TKEY, _HMAC_MD5, 0, 0, MODE_DELETE, 0, b"", b"")
    query.find_rrset(query.additional, qname, dns.rdataclass.ANY, dns.rdatatype.TKEY, create=True).add(tkey, 0)
    query.use_tsig(signer)
    return query


def delete(server, key_name, signer):
    """Delete negotiated key KEY_NAME on the server (mode 5), signed with the key itself or its creator.

    Return True if the server deleted it, False if the server did not know it (already gone).
    """
    what = "TKEY deletion of %s" % key_name.rstrip(".")
    query = _build_delete_query(key_name, signer)
    try:
        response = server.send(query, what)
    except PeerRejectedKey:
        if signer.name == query.question[0].name:
            return False  # signed with the key itself and the server no longer knows it
        raise
    error = _rcode_error(response, server, what)
    if response.rcode() == dns.rcode.REFUSED:
        raise TkeyRefused(
            "%s refused the %s: key %s did not create that key; sign with the key itself or the initial key that negotiated it"
            % (server, what, signer.name.to_text(True))
        )
    if error is not None:
        raise error
    _require_signed(response, signer, server, what)
    rrset = _tkey_rrset(response, response.answer) or _tkey_rrset(response, response.additional)
    if rrset is None:
        raise ResponseError("the response from %s to the %s has no TKEY record" % (server, what))
    code = rrset[0].error
    if code == 20:
        return False
    if code:
        raise TkeyRefused("%s refused the %s with TKEY error %s" % (server, what, _TSIG_ERRORS.get(code, code)), code)
    return True


def probe(server, key):
    """Ask whether the server still accepts KEY: True if it signs its answer with it, False on BADKEY/BADSIG."""
    qname = key.name
    query = dns.message.make_query(qname, dns.rdatatype.SOA)
    query.flags = 0
    query.use_tsig(key)
    what = "probe of key %s" % key.name.to_text(True)
    try:
        response = server.send(query, what)
    except (PeerRejectedKey, PeerRejectedSignature):
        return False
    _require_signed(response, key, server, what)
    return True


def server_knows_key(server, key_name):
    """Whether the server holds a live key called KEY_NAME, without knowing its secret.

    A query signed under that name with a random secret gets BADSIG if the server knows the name
    (its secret differs) and BADKEY if it does not; named logs the BADSIG as a failed signature.
    """
    decoy = dns.tsig.Key(dns.name.from_text(key_name), base64.b64encode(os.urandom(16)).decode("ascii"), _HMAC_MD5)
    query = dns.message.make_query(decoy.name, dns.rdatatype.SOA)
    query.flags = 0
    query.use_tsig(decoy)
    try:
        server.send(query, "existence check of key %s" % key_name)
    except PeerRejectedKey:
        return False
    except PeerRejectedSignature:
        return True
    raise ResponseError("%s accepted a signature made with a random secret for key %s; this should never happen" % (server, key_name))


def negotiate_proved(server, credential, base_name, **kwargs):
    """negotiate(), then prove the new key with one query signed with it before anyone relies on it.

    A key the server does not accept is deleted again (signed with CREDENTIAL, its creator).
    """
    key = negotiate(server, credential, base_name, **kwargs)
    if not probe(server, key.tsig()):
        try:
            delete(server, key.name + ".", credential)
        except TkeyError:
            pass
        raise TkeyError(
            "%s did not accept the key it just negotiated (%s); it was deleted again and nothing was written; see named's log"
            % (server, key.name)
        )
    return key


def renewal_reason(current, server, base_name, server_key=None, renew_before=0, force=False, now=None):
    """Why the key CURRENT (a KeyStatement read from the key file, or None) must be replaced, or 'current'.

    Everything but the last check is local; the last sends one query signed with the current key, which
    the server rejects with BADKEY once it has lost the key (a restart) or the key has expired.
    """
    if current is None:
        return "absent"
    if force:
        return "forced"
    meta = current.metadata
    if not meta or not re.match(r"^\d*$", meta.get("expiration", "0")):
        return "unmanaged"  # no metadata, or damaged: renew rather than guess
    if meta.get("server") != server.address or meta.get("port") != str(server.port):
        return "server_changed"
    if meta.get("key_name") != str(base_name).rstrip("."):
        return "key_name_changed"
    if server_key is not None and meta.get("server_key_tag") != str(server_key.tag):
        return "server_key_changed"
    expiration = int(meta.get("expiration", "0") or 0)
    if expiration and (_now() if now is None else now) >= expiration - renew_before:
        return "expiring"
    if not probe(server, key_from_statement(current)):
        return "rejected"
    return "current"


# BIND 9.19 and later removed TKEY Diffie-Hellman, and 9.20.0-9.20.20 (9.21.0-9.21.19) abort on any signed TKEY
# query of mode 2 or 5 (CVE-2026-3119): no TKEY query may reach such a server.
FIRST_UNSAFE_VERSION = (9, 19)


def parse_bind_version(text):
    """(9, 18, 49) from '9.18.49-1~deb12u1-Debian' or 'BIND 9.18.49 (Extended Support Version)'; None when the text
    holds no BIND 9 version (hidden, or a decoy such as 'none' or '2.1')."""
    match = re.search(r"(?<![\d.])9\.(\d+)(?:\.(\d+))?", str(text or ""))
    if match is None:
        return None
    return (9, int(match.group(1)), int(match.group(2) or 0))


def bind_version(server):
    """The version the server tells in version.bind (CH TXT), parsed, or None when it hides it or says no version."""
    query = dns.message.make_query("version.bind.", dns.rdatatype.TXT, dns.rdataclass.CH)
    query.flags = 0
    response = server.send(query, "version.bind query")
    if response.rcode() != dns.rcode.NOERROR:
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.TXT:
            for rdata in rrset:
                return parse_bind_version(b"".join(rdata.strings).decode("ascii", "replace"))
    return None


# The TKEY signal (see README "Why TKEY reaches only BIND 9.18"): a TXT record at the apex of a zone the primary role
# serves only to the secondaries' initial keys, while named -v says 9.18 and an initial key is in use:
#   "dnsops-tkey" "bind=9.18.49" "method=tkey"    (method=static while a move to static keys is under way)
SIGNAL_MARK = "dnsops-tkey"


def tkey_signal(server, zone, key):
    """The primary's TKEY signal as {field: value} (empty when it gives none), from a query signed with KEY whose
    answer must be signed with it too: nobody on the path can forge it, and nobody but a secondary can read it."""
    name = dns.name.from_text(zone)
    query = dns.message.make_query(name, dns.rdatatype.TXT)
    query.flags = 0
    query.use_tsig(key)
    what = "TKEY signal query (%s TXT)" % name.to_text(True)
    response = server.send(query, what)
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        return {}
    _require_signed(response, key, server, what)
    for rrset in response.answer:
        if rrset.rdtype != dns.rdatatype.TXT or rrset.name != name:
            continue
        for rdata in rrset:
            words = [part.decode("ascii", "replace") for part in rdata.strings]
            if words and words[0] == SIGNAL_MARK:
                return dict(word.partition("=")[::2] for word in words[1:] if "=" in word)
    return {}


def refuse_unsafe_server(server, recorded=None, signal=None, allow_hidden=False, negotiate=True):
    """Raise UnsupportedServer unless a TKEY query may be sent to SERVER now; nothing is sent when RECORDED says no.

    RECORDED: the version the roles read with `named -v` on the primary (9.19 or later: refused at once).
    SIGNAL: (zone, TSIG key) of the primary's TKEY signal (the engine and the agent always give it): the primary
    must say, in a signed answer at this moment, that it runs BIND 9.18, and for a negotiation (NEGOTIATE) that it
    uses the tkey method. Without SIGNAL (the modules used standalone) a server that hides its version.bind is
    refused unless ALLOW_HIDDEN. A version.bind that says 9.19 or later is refused in every case.
    """
    hint = ("TKEY Diffie-Hellman is gone there, and BIND 9.20.0-9.20.20 crash on a signed TKEY query (CVE-2026-3119); "
            "no TKEY query was sent. Keep the primary on BIND 9.18, or give the secondaries static TSIG keys")
    version = parse_bind_version(recorded)
    if version is not None and version[:2] >= FIRST_UNSAFE_VERSION:
        raise UnsupportedServer("%s is recorded as BIND %s: %s" % (server, recorded, hint))
    if signal is not None:
        zone, key = signal
        if not zone:
            raise UnsupportedServer(
                "%s: no TKEY signal zone is recorded for this primary, so nothing says at this moment that it runs BIND "
                "9.18; no TKEY query was sent. Run the dnsops.tkey.site playbook (the primary role publishes the signal)" % server)
        said = tkey_signal(server, zone, key)
        told = parse_bind_version(said.get("bind"))
        if told is None or told[:2] >= FIRST_UNSAFE_VERSION:
            raise UnsupportedServer(
                "%s does not say it runs BIND 9.18 (its TKEY signal %s is %s): it moved to static keys or to BIND 9.20, or "
                "its primary role has not run since; no TKEY query was sent. Run the dnsops.tkey.site playbook"
                % (server, zone, "bind=%s" % said["bind"] if said.get("bind") else "absent"))
        if negotiate and said.get("method") != "tkey":
            raise UnsupportedServer(
                "%s says it no longer negotiates keys by TKEY (signal %s: method=%s); no TKEY query was sent. Run the "
                "dnsops.tkey.site playbook: this secondary then takes its static key" % (server, zone, said.get("method") or "none"))
    told = bind_version(server)
    if told is not None and told[:2] >= FIRST_UNSAFE_VERSION:
        raise UnsupportedServer("%s says it runs BIND %s (version.bind): %s" % (server, ".".join(map(str, told)), hint))
    if told is None and signal is None and not allow_hidden:
        raise UnsupportedServer(
            "%s hides its version (version.bind), so nothing says it is not BIND 9.20.0-9.20.20, which crash on a signed "
            "TKEY query (CVE-2026-3119); no TKEY query was sent. Give signal_zone (the primary role's TKEY signal), or set "
            "allow_hidden_version: true if you know it runs BIND 9.18" % server)
    return told


def soa_query(server, zone):
    """(rcode, serial or None) of an unsigned SOA query for ZONE: NOERROR with a serial where the zone is loaded;
    named answers SERVFAIL for a zone it has configured but not loaded, REFUSED for one it does not have."""
    query = dns.message.make_query(dns.name.from_text(zone), dns.rdatatype.SOA)
    query.flags = 0
    response = server.send(query, "SOA query for %s" % zone)
    if response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AA:
        for rrset in response.answer:
            if rrset.rdtype == dns.rdatatype.SOA:
                return response.rcode(), rrset[0].serial
    return response.rcode(), None


def soa_serial(server, zone):
    """The zone's serial on SERVER (an unsigned SOA query), or None when the server does not serve the zone."""
    return soa_query(server, zone)[1]


def transfer_refusal(server, zone, key, serial):
    """Why SERVER would not transfer ZONE to KEY (its rcode), or None when it would.

    An IXFR from SERIAL (the server's own serial) signed with KEY: allowed, the answer is the SOA alone;
    otherwise allow-transfer says REFUSED, or the zone is not there (NOTAUTH).
    """
    name = dns.name.from_text(zone)
    query = dns.message.make_query(name, dns.rdatatype.IXFR)
    query.flags = 0
    soa = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.SOA, ". . %d 0 0 0 0" % serial)
    query.find_rrset(query.authority, name, dns.rdataclass.IN, dns.rdatatype.SOA, create=True).add(soa, 0)
    query.use_tsig(key)
    what = "IXFR check of %s" % zone
    response = server.send(query, what)
    _require_signed(response, key, server, what)
    if response.rcode() == dns.rcode.NOERROR:
        return None
    return dns.rcode.to_text(response.rcode())
