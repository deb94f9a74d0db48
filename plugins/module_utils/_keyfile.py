# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""named.conf `key` statement files: what tsig-keygen writes, and what tkey_negotiate writes with metadata.

Pure Python (standard library only); errors are KeyFileError (_errors.py).
"""

from __future__ import annotations

import base64
import binascii
import re

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, KeyFileError

# tsig-keygen's algorithm names -> (wire name, secret octets tsig-keygen makes)
ALGORITHMS = {
    "hmac-md5": ("hmac-md5.sig-alg.reg.int.", 16),
    "hmac-sha1": ("hmac-sha1.", 20),
    "hmac-sha224": ("hmac-sha224.", 28),
    "hmac-sha256": ("hmac-sha256.", 32),
    "hmac-sha384": ("hmac-sha384.", 48),
    "hmac-sha512": ("hmac-sha512.", 64),
}
_WIRE_TO_NAME = dict((wire.rstrip("."), name) for name, (wire, _size) in ALGORITHMS.items())

META_PREFIX = "# dnsops.tkey:"
_TOKEN_RE = re.compile(
    r'\s+|#[^\n]*|//[^\n]*|/\*.*?\*/|"(?P<string>(?:[^"\\]|\\.)*)"|(?P<punct>[{};])|(?P<word>[^\s{};"]+)',
    re.S,
)


def canonical_algorithm(name):
    """'HMAC-MD5.SIG-ALG.REG.INT.' or 'hmac-md5' -> 'hmac-md5'; raise KeyFileError for others."""
    text = str(name or "").strip().lower().rstrip(".")
    if text in ALGORITHMS:
        return text
    if text in _WIRE_TO_NAME:
        return _WIRE_TO_NAME[text]
    raise KeyFileError(
        "TSIG algorithm %r is not supported; use one of %s" % (name, ", ".join(sorted(ALGORITHMS)))
    )


def check_secret(secret, what="TSIG secret"):
    """Return the decoded secret, or raise KeyFileError if SECRET is not non-empty base64."""
    try:
        data = base64.b64decode(str(secret).strip(), validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise KeyFileError("the %s is not valid base64; copy it from the key file's secret \"...\" line" % what)
    if not data:
        raise KeyFileError("the %s is empty" % what)
    return data


def check_key_name(name):
    """Return NAME without its final dot, or raise KeyFileError for names named.conf cannot hold."""
    text = str(name or "").strip()
    bare = text.rstrip(".")
    if not bare or len(bare) > 253 or any(len(label) > 63 or not label for label in bare.split(".")):
        raise KeyFileError("key name %r is not a valid DNS name (labels of 1-63 characters, 253 at most)" % text)
    if not re.match(r"^[A-Za-z0-9_.-]+$", bare):
        raise KeyFileError("key name %r may hold only letters, digits, '-', '_' and '.'" % text)
    return bare


class KeyStatement(object):
    """One `key "NAME" { algorithm ALG; secret "BASE64"; };` with optional dnsops.tkey metadata."""

    def __init__(self, name, algorithm, secret, metadata=None):
        self.name = check_key_name(name)
        self.algorithm = canonical_algorithm(algorithm)
        self.secret = str(secret).strip()
        check_secret(self.secret, "secret of key %s" % self.name)
        self.metadata = dict(metadata or {})

    def __repr__(self):  # never show the secret
        return "KeyStatement(%r, %r)" % (self.name, self.algorithm)

    @property
    def secret_bytes(self):
        return base64.b64decode(self.secret)

    def render(self, comments=()):
        """named.conf text, laid out exactly like tsig-keygen's, after optional comment and metadata lines."""
        lines = ["# %s" % line for line in comments]
        if self.metadata:
            lines.append("%s %s" % (META_PREFIX, " ".join("%s=%s" % (k, self.metadata[k]) for k in sorted(self.metadata))))
        lines.append('key "%s" {' % self.name)
        lines.append("\talgorithm %s;" % self.algorithm)
        lines.append('\tsecret "%s";' % self.secret)
        lines.append("};")
        return "\n".join(lines) + "\n"


def _tokens(text):
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise KeyFileError("unexpected character %r at offset %d" % (text[position], position))
        position = match.end()
        if match.group("string") is not None:
            yield ("string", match.group("string"))
        elif match.group("punct"):
            yield ("punct", match.group("punct"))
        elif match.group("word"):
            yield ("word", match.group("word"))


def _metadata(text):
    meta = {}
    for line in text.splitlines():
        if line.startswith(META_PREFIX):
            for item in line[len(META_PREFIX):].split():
                field, sep, value = item.partition("=")
                if sep:
                    meta[field] = value
    return meta


def parse_key_file(text, source="key file"):
    """Every key statement of a named.conf fragment; anything but key statements and comments is an error."""
    tokens = list(_tokens(text))
    keys, index = [], 0

    def shown(token):
        """A token as an error may show it: punctuation and keywords only, since any other word could be a secret."""
        if token[0] == "punct" or token[1].lower() in ("key", "algorithm", "secret"):
            return repr(token[1])
        return "a quoted string" if token[0] == "string" else "a word"

    def expect(kind, value=None):
        if index >= len(tokens):
            raise KeyFileError("%s ends inside a key statement" % source)
        token = tokens[index]
        if token[0] != kind and not (kind == "name" and token[0] in ("string", "word")):
            raise KeyFileError("%s: expected %s, found %s (token %d)" % (source, value or kind, shown(token), index + 1))
        if value is not None and token[1].lower() != value:
            raise KeyFileError("%s: expected %r, found %s (token %d)" % (source, value, shown(token), index + 1))
        return token[1]

    while index < len(tokens):
        expect("word", "key")
        index += 1
        name = expect("name")
        index += 1
        expect("punct", "{")
        index += 1
        fields = {}
        while index < len(tokens) and tokens[index] != ("punct", "}"):
            field = expect("word").lower()
            index += 1
            fields[field] = expect("name")
            index += 1
            expect("punct", ";")
            index += 1
        expect("punct", "}")
        index += 1
        expect("punct", ";")
        index += 1
        unknown = sorted(set(fields) - {"algorithm", "secret"})
        if unknown or "algorithm" not in fields or "secret" not in fields:
            raise KeyFileError("%s: key %s must have exactly 'algorithm' and 'secret'" % (source, name))
        try:
            keys.append(KeyStatement(name, fields["algorithm"], fields["secret"]))
        except KeyFileError as exc:
            raise KeyFileError("%s: %s" % (source, exc))
    if keys:
        keys[0].metadata = _metadata(text)
    return keys


def select_key(keys, name=None, source="key file"):
    """The one key of KEYS (or the one called NAME); a clear error otherwise."""
    if name:
        wanted = check_key_name(name).lower()
        matches = [key for key in keys if key.name.lower() == wanted]
        if not matches:
            raise KeyFileError("%s has no key named %s (it has: %s)" % (source, name, ", ".join(k.name for k in keys) or "none"))
        return matches[0]
    if len(keys) != 1:
        raise KeyFileError("%s holds %d keys; say which one with the key name option" % (source, len(keys)))
    return keys[0]


def read_key_file(path, name=None):
    """Read PATH and return its (only, or NAME) key statement."""
    try:
        text = _files.read_text(path)
    except DnsopsError as exc:
        raise KeyFileError("cannot read key file %s: %s; check the path" % (path, exc))
    if text is None:
        raise KeyFileError("cannot read key file %s: No such file or directory; check the path" % path)
    try:
        keys = parse_key_file(text, source="the file")
    except KeyFileError as exc:
        raise KeyFileError("%s is not a usable key file (%s); give a file written by dnsops.tkey.tsig_key or tsig-keygen" % (path, exc))
    return select_key(keys, name, source=path)
