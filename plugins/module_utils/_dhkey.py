# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""BIND Diffie-Hellman keys: RFC 2539 KEY encoding, key tags and BIND's K*.key / K*.private files.

Pure Python over the cryptography library; nothing here imports Ansible or dnspython.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import os
import re
import struct
import warnings

try:
    from cryptography.hazmat.primitives.asymmetric import dh as _crypto_dh
    from cryptography.hazmat.primitives import serialization as _crypto_serialization
except ImportError:  # reported by _deps.py; the pure encodings below still work
    _crypto_dh = None
    _crypto_serialization = None

try:
    from cryptography.utils import CryptographyDeprecationWarning as _DHDeprecation
except ImportError:  # very old cryptography: nothing to silence
    _DHDeprecation = DeprecationWarning

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DHKeyError, DnsopsError

KEY_RRTYPE = 25
DH_ALGORITHM = 2
KEY_FLAGS = 512  # "no authentication" use; what dnssec-keygen -T KEY -n HOST writes and BIND sends
KEY_PROTOCOL = 3

# RFC 2539 section 2 / BIND lib/dns/openssldh_link.c: well-known groups, all with generator 2.
_PRIME768 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF",
    16,
)
_PRIME1024 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
    16,
)
_PRIME1536 = int(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF",
    16,
)
WELL_KNOWN_PRIMES = {1: _PRIME768, 2: _PRIME1024, 3: _PRIME1536}
WELL_KNOWN_SIZES = {768: 1, 1024: 2, 1536: 3}

_LABEL_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$")
_TIMESTAMP_RE = re.compile(r"^\d{14}$")


def _int_to_bytes(value):
    """Minimal big-endian octets, as OpenSSL's BN_bn2bin writes them."""
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def _b64(data):
    return base64.b64encode(data).decode("ascii")


def _b64_int(text, what):
    try:
        data = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise DHKeyError("%s is not valid base64" % what)
    if not data:
        raise DHKeyError("%s is empty" % what)
    return int.from_bytes(data, "big")


def normalize_key_name(name):
    """Return NAME as an absolute, lower-case DNS name ('server' -> 'server.'), or raise DHKeyError."""
    if not isinstance(name, str) or not name.strip("."):
        raise DHKeyError("key name %r is empty; give a DNS name such as 'server' or 'tkey.example.com'" % (name,))
    text = name.rstrip(".") + "."
    if len(text) > 254:
        raise DHKeyError("key name %r is longer than 253 characters" % name)
    for label in text[:-1].split("."):
        if not _LABEL_RE.match(label):
            raise DHKeyError(
                "key name %r has the label %r; use letters, digits, '-' and '_' (at most 63 per label)" % (name, label)
            )
    return text


def key_tag(rdata):
    """RFC 4034 Appendix B key tag of a KEY/DNSKEY rdata (not algorithm 1)."""
    acc = 0
    for index, octet in enumerate(bytearray(rdata)):
        acc += octet if index & 1 else octet << 8
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


class DHGroup(object):
    """A Diffie-Hellman group (p, g), with the cryptography objects built once per process."""

    __slots__ = ("p", "g")

    # OpenSSL re-validates unnamed groups (the 768/1024-bit ones) on every parameter or key load,
    # about 15 ms each; build each group and each peer key once and reuse them.
    _parameters_cache = {}
    _peer_cache = {}
    _PEER_CACHE_SIZE = 64

    def __init__(self, p, g):
        self.p = int(p)
        self.g = int(g)

    def __eq__(self, other):
        return isinstance(other, DHGroup) and self.p == other.p and self.g == other.g

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self.p, self.g))

    def __repr__(self):
        return "DHGroup(%s)" % self.describe()

    @property
    def bits(self):
        return self.p.bit_length()

    @property
    def well_known_index(self):
        """1, 2 or 3 for BIND's well-known 768/1024/1536-bit groups with generator 2, else None."""
        if self.g != 2:
            return None
        for index, prime in WELL_KNOWN_PRIMES.items():
            if prime == self.p:
                return index
        return None

    def describe(self):
        index = self.well_known_index
        if index is not None:
            return "well-known %d-bit group" % self.bits
        return "%d-bit group with generator %d" % (self.bits, self.g)

    @classmethod
    def well_known(cls, size):
        try:
            return cls(WELL_KNOWN_PRIMES[WELL_KNOWN_SIZES[int(size)]], 2)
        except (KeyError, ValueError, TypeError):
            raise DHKeyError("DH size %r is not a well-known group; use 768, 1024 or 1536, or give an explicit prime" % (size,))

    @classmethod
    def from_text(cls, prime, generator=2):
        """A group from a prime given as decimal, 0x-hex or a PEM 'DH PARAMETERS' block (its generator wins)."""
        text = str(prime).strip()
        if text.startswith("-----BEGIN"):
            _require_cryptography()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", _DHDeprecation)
                    params = _crypto_serialization.load_pem_parameters(text.encode("ascii"))
                    numbers = params.parameter_numbers()
            except (ValueError, TypeError, AttributeError):
                raise DHKeyError("the PEM block in 'prime' is not DH parameters; make them with 'openssl dhparam'")
            return cls(numbers.p, numbers.g)
        try:
            value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            raise DHKeyError("prime %r is neither a decimal nor a 0x-hexadecimal number nor PEM DH parameters" % text[:40])
        group = cls(value, int(generator))
        group.check()
        return group

    def check(self):
        """Reject groups BIND cannot load or that make no sense (cheap structural checks only)."""
        if self.p.bit_length() < 128 or not self.p & 1:
            raise DHKeyError("the DH prime must be odd and at least 128 bits long (BIND rejects shorter primes)")
        if self.p.bit_length() > 4096:
            raise DHKeyError("the DH prime has %d bits; BIND accepts at most 4096" % self.p.bit_length())
        if not 1 < self.g < self.p - 1:
            raise DHKeyError("the DH generator must lie between 2 and p-2")

    def check_public(self, y, what="public value"):
        """Refuse degenerate values (0, 1, p-1, >= p) that would force a known shared secret."""
        if not 1 < y < self.p - 1:
            raise DHKeyError("the %s is degenerate (outside 2..p-2) for the %s" % (what, self.describe()))

    def parameters(self):
        params = self._parameters_cache.get((self.p, self.g))
        if params is None:
            _require_cryptography()
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", _DHDeprecation)
                    params = _crypto_dh.DHParameterNumbers(self.p, self.g).parameters()
            except ValueError as exc:
                raise DHKeyError("the cryptography library refuses this DH group (%s); use a well-known group" % exc)
            self._parameters_cache[(self.p, self.g)] = params
        return params

    def peer_key(self, y):
        """The cryptography public key object for a peer's value y in this group (cached)."""
        cache_key = (self.p, self.g, y)
        key = self._peer_cache.get(cache_key)
        if key is None:
            self.check_public(y, "peer's public value")
            _require_cryptography()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", _DHDeprecation)
                numbers = _crypto_dh.DHPublicNumbers(y, _crypto_dh.DHParameterNumbers(self.p, self.g))
                key = numbers.public_key()
            if len(self._peer_cache) >= self._PEER_CACHE_SIZE:
                self._peer_cache.pop(next(iter(self._peer_cache)))
            self._peer_cache[cache_key] = key
        return key


def _require_cryptography():
    if _crypto_dh is None:
        raise DHKeyError("the Python library 'cryptography' is missing; install python3-cryptography (or pip install cryptography)")


def encode_public(group, y):
    """RFC 2539 public key field: prime length, prime, generator length, generator, y length, y."""
    index = group.well_known_index
    if index is not None:
        # BIND sends the well-known groups as a one-octet index and an empty generator.
        prime, generator = struct.pack("!B", index), b""
    else:
        prime, generator = _int_to_bytes(group.p), _int_to_bytes(group.g)
    public = _int_to_bytes(y)
    return b"".join((
        struct.pack("!H", len(prime)), prime,
        struct.pack("!H", len(generator)), generator,
        struct.pack("!H", len(public)), public,
    ))


def decode_public(data):
    """Parse an RFC 2539 public key field as BIND does; return (DHGroup, y)."""
    data = bytes(data)

    def take(offset, what):
        if len(data) < offset + 2:
            raise DHKeyError("DH public key is truncated before the %s length" % what)
        (length,) = struct.unpack("!H", data[offset:offset + 2])
        start = offset + 2
        if len(data) < start + length:
            raise DHKeyError("DH public key is truncated inside the %s" % what)
        return data[start:start + length], start + length

    prime, offset = take(0, "prime")
    if len(prime) in (1, 2):
        index = int.from_bytes(prime, "big")
        if index not in WELL_KNOWN_PRIMES:
            raise DHKeyError("DH public key names well-known group %d; only 1, 2 and 3 exist" % index)
        p = WELL_KNOWN_PRIMES[index]
    elif len(prime) < 16:
        raise DHKeyError("DH public key has a %d-octet prime; BIND needs 1, 2 or at least 16" % len(prime))
    else:
        p = int.from_bytes(prime, "big")
    generator, offset = take(offset, "generator")
    if len(prime) in (1, 2):
        g = int.from_bytes(generator, "big") if generator else 2
        if g != 2:
            raise DHKeyError("DH public key pairs a well-known prime with generator %d; it must be 2" % g)
    else:
        if not generator:
            raise DHKeyError("DH public key with an explicit prime lacks its generator")
        g = int.from_bytes(generator, "big")
    public, offset = take(offset, "public value")
    if not public:
        raise DHKeyError("DH public key has an empty public value")
    if offset != len(data):
        raise DHKeyError("DH public key has %d trailing octets" % (len(data) - offset))
    return DHGroup(p, g), int.from_bytes(public, "big")


def key_rdata(group, y, flags=KEY_FLAGS, protocol=KEY_PROTOCOL):
    """The whole KEY rdata: flags, protocol, algorithm 2 (DH), public key."""
    return struct.pack("!HBB", flags, protocol, DH_ALGORITHM) + encode_public(group, y)


def parse_key_rdata(rdata):
    """(flags, protocol, DHGroup, y) from a KEY rdata; raise DHKeyError if it is not a DH key."""
    rdata = bytes(rdata)
    if len(rdata) < 4:
        raise DHKeyError("KEY record is shorter than its fixed fields")
    flags, protocol, algorithm = struct.unpack("!HBB", rdata[:4])
    if algorithm != DH_ALGORITHM:
        raise DHKeyError("KEY record has algorithm %d, not 2 (DH)" % algorithm)
    group, y = decode_public(rdata[4:])
    return flags, protocol, group, y


def _timestamp(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M%S")


class DHKey(object):
    """A BIND DH key: owner name, group, public value y and, for a key pair, private value x."""

    def __init__(self, name, group, y, x=None, flags=KEY_FLAGS, protocol=KEY_PROTOCOL, ttl=None,
                 private_format="v1.3", metadata=None, private_object=None):
        self.name = normalize_key_name(name)
        self.group = group
        self.y = y
        self.x = x
        self.flags = flags
        self.protocol = protocol
        self.ttl = ttl
        self.private_format = private_format
        # (field, value) lines after the numbers in .private, in file order: Created, Publish, Activate, ...
        self.metadata = list(metadata or [])
        self._private_object = private_object

    # --- identity -------------------------------------------------------------------------------
    @property
    def rdata(self):
        return key_rdata(self.group, self.y, self.flags, self.protocol)

    @property
    def tag(self):
        return key_tag(self.rdata)

    @property
    def basename(self):
        """K<name>+002+<tag>, the file name stem dnssec-keygen prints."""
        return "K%s+%03d+%05d" % (self.name, DH_ALGORITHM, self.tag)

    def same_public(self, other):
        return self.group == other.group and self.y == other.y

    # --- generation and arithmetic --------------------------------------------------------------
    @classmethod
    def generate(cls, name, group, now=None):
        """A new key pair in GROUP with Created/Publish/Activate set to NOW, as dnssec-keygen writes them."""
        private = group.parameters().generate_private_key()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _DHDeprecation)
            numbers = private.private_numbers()
        stamp = _timestamp(now or datetime.datetime.now(datetime.timezone.utc))
        meta = [("Created", stamp), ("Publish", stamp), ("Activate", stamp)]
        return cls(name, group, numbers.public_numbers.y, numbers.x, metadata=meta, private_object=private)

    def private_object(self):
        if self.x is None:
            raise DHKeyError("%s is a public key only; its .private file is needed" % self.basename)
        if self._private_object is None:
            _require_cryptography()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", _DHDeprecation)
                params = _crypto_dh.DHParameterNumbers(self.group.p, self.group.g)
                numbers = _crypto_dh.DHPrivateNumbers(self.x, _crypto_dh.DHPublicNumbers(self.y, params))
                try:
                    self._private_object = numbers.private_key()
                except ValueError as exc:
                    raise DHKeyError("%s is not a usable DH key pair (%s)" % (self.basename, exc))
        return self._private_object

    def shared_value(self, peer_y):
        """The DH shared value with a peer, big-endian WITHOUT leading zero octets (as OpenSSL hands it to BIND)."""
        peer = self.group.peer_key(peer_y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _DHDeprecation)
            shared = self.private_object().exchange(peer)
        # cryptography pads to len(p); BIND uses DH_compute_key's unpadded output.
        return shared.lstrip(b"\x00")

    def check_pair(self):
        """Raise DHKeyError unless y = g^x mod p (a damaged or mismatched .private file)."""
        if self.x is None:
            return
        if not 1 < self.x < self.group.p - 1 or pow(self.group.g, self.x, self.group.p) != self.y:
            raise DHKeyError("%s: the private value does not match the public value; the files are damaged or mismatched" % self.basename)

    # --- BIND's files ---------------------------------------------------------------------------
    def public_text(self):
        """The .key file content: one line, base64 in 56-character words, as dnssec-keygen writes it."""
        encoded = _b64(self.rdata[4:])
        words = " ".join(encoded[i:i + 56] for i in range(0, len(encoded), 56))
        ttl = "%d " % self.ttl if self.ttl is not None else ""
        return "%s %sIN KEY %d %d %d %s\n" % (self.name, ttl, self.flags, self.protocol, DH_ALGORITHM, words)

    def private_text(self):
        """The .private file content in BIND's v1.3 format."""
        if self.x is None:
            raise DHKeyError("%s has no private value to write" % self.basename)
        lines = [
            "Private-key-format: %s" % self.private_format,
            "Algorithm: %d (DH)" % DH_ALGORITHM,
            "Prime(p): %s" % _b64(_int_to_bytes(self.group.p)),
            "Generator(g): %s" % _b64(_int_to_bytes(self.group.g)),
            "Private_value(x): %s" % _b64(_int_to_bytes(self.x)),
            "Public_value(y): %s" % _b64(_int_to_bytes(self.y)),
        ]
        lines.extend("%s: %s" % item for item in self.metadata)
        return "\n".join(lines) + "\n"

    def created(self):
        for field, value in self.metadata:
            if field == "Created" and _TIMESTAMP_RE.match(value):
                return value
        return ""

    @classmethod
    def from_texts(cls, public_text, private_text=None, source="key file"):
        """Parse a .key file and, optionally, its .private file; the two must describe the same key."""
        name, ttl, flags, protocol, group, y = _parse_public_text(public_text, source)
        key = cls(name, group, y, flags=flags, protocol=protocol, ttl=ttl)
        if private_text is not None:
            fmt, p, g, x, y2, meta = _parse_private_text(private_text, source)
            if DHGroup(p, g) != group or y2 != y:
                raise DHKeyError("%s: the .private file belongs to another key than the .key file; restore the matching pair or make a new one" % source)
            key.x, key.private_format, key.metadata = x, fmt, meta
            key.check_pair()
        return key


def _parse_public_text(text, source):
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith(";")]
    if len(lines) != 1:
        raise DHKeyError("%s: expected one KEY record line, found %d" % (source, len(lines)))
    tokens = lines[0].split()
    if len(tokens) < 5:
        raise DHKeyError("%s: not a KEY record ('NAME IN KEY 512 3 2 BASE64')" % source)
    name, rest, ttl = tokens[0], tokens[1:], None
    if rest and rest[0].isdigit():
        ttl, rest = int(rest[0]), rest[1:]
    if rest and rest[0].upper() == "IN":
        rest = rest[1:]
    if len(rest) < 5 or rest[0].upper() != "KEY":
        raise DHKeyError("%s: not a KEY record ('NAME IN KEY 512 3 2 BASE64')" % source)
    try:
        flags, protocol, algorithm = int(rest[1]), int(rest[2]), int(rest[3])
    except ValueError:
        raise DHKeyError("%s: KEY flags, protocol and algorithm must be numbers" % source)
    if algorithm != DH_ALGORITHM:
        raise DHKeyError("%s: algorithm %d is not DH (2); TKEY needs a DH key made with -a DH" % (source, algorithm))
    try:
        data = base64.b64decode("".join(rest[4:]), validate=True)
    except (binascii.Error, ValueError):
        raise DHKeyError("%s: the public key is not valid base64" % source)
    try:
        group, y = decode_public(data)
    except DHKeyError as exc:
        raise DHKeyError("%s: %s" % (source, exc))
    return name, ttl, flags, protocol, group, y


_PRIVATE_FIELDS = {
    "Prime(p)": "p",
    "Generator(g)": "g",
    "Private_value(x)": "x",
    "Public_value(y)": "y",
}


def _parse_private_text(text, source):
    fields, meta, fmt, algorithm = {}, [], None, None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        tag, sep, value = line.partition(":")
        if not sep:  # the line may hold key material: name it by number only
            raise DHKeyError("%s: line %d of the .private file is not 'Tag: value'" % (source, number))
        tag, value = tag.strip(), value.strip()
        if tag == "Private-key-format":
            fmt = value
        elif tag == "Algorithm":
            algorithm = value.split()[0] if value else ""
        elif tag in _PRIVATE_FIELDS:
            fields[_PRIVATE_FIELDS[tag]] = _b64_int(value, "%s: %s" % (source, tag))
        else:
            meta.append((tag, value))
    if fmt is None or not fmt.startswith("v1."):
        raise DHKeyError("%s: not a BIND private key file (no 'Private-key-format: v1.x' line)" % source)
    if algorithm != str(DH_ALGORITHM):
        raise DHKeyError("%s: the private key's algorithm is %s, not 2 (DH)" % (source, algorithm))
    missing = [tag for tag, short in _PRIVATE_FIELDS.items() if short not in fields]
    if missing:
        raise DHKeyError("%s: the .private file lacks %s" % (source, ", ".join(missing)))
    return fmt, fields["p"], fields["g"], fields["x"], fields["y"], meta


def split_basename(path):
    """'/d/Kserver.+002+01234.key' -> ('/d', 'Kserver.+002+01234'); accepts the stem, .key or .private."""
    directory, base = os.path.split(path)
    for suffix in (".key", ".private"):
        if base.endswith(suffix):
            base = base[:-len(suffix)]
    if not re.match(r"^K.+\.\+\d{3}\+\d{5}$", base):
        raise DHKeyError("%r is not a BIND key file name (Kname.+002+NNNNN, with or without .key)" % path)
    return directory, base


def load_key(path, private=True):
    """Read a DH key by its K-file base name (with or without .key); the .private too when PRIVATE."""
    directory, base = split_basename(path)
    stem = os.path.join(directory, base)
    # named's directory is the bind group's to write in: bounded reads of regular files only, never through a link
    try:
        public_text = _files.read_text(stem + ".key")
        private_text = _files.read_text(stem + ".private") if private else None
    except DnsopsError as exc:
        raise DHKeyError("cannot read DH key %s: %s" % (stem, exc))
    if public_text is None or (private and private_text is None):
        raise DHKeyError("cannot read DH key %s: %s does not exist" % (stem, stem + (".key" if public_text is None else ".private")))
    key = DHKey.from_texts(public_text, private_text, source=base)
    if key.basename != base:
        raise DHKeyError("%s: its content has key tag %05d and name %s; the file was renamed or edited" % (base, key.tag, key.name))
    return key


def find_key_pairs(directory, name):
    """Every readable, consistent DH key pair K<name>+002+*.{key,private} in DIRECTORY, newest first."""
    prefix = "K%s+%03d+" % (normalize_key_name(name), DH_ALGORITHM)
    found, problems = [], []
    try:
        entries = sorted(os.listdir(directory))
    except (IOError, OSError) as exc:
        raise DHKeyError("cannot list %s: %s" % (directory, exc.strerror or exc))
    for entry in entries:
        if entry.startswith(prefix) and entry.endswith(".key"):
            try:
                found.append(load_key(os.path.join(directory, entry)))
            except DHKeyError as exc:
                problems.append(str(exc))
    found.sort(key=lambda key: (key.created(), key.tag), reverse=True)
    return found, problems
