# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The values that end up in named's files (addresses, ports, key names, paths), checked where they enter.

Each function returns the canonical value or raises an OptionError whose message names the option (WHAT) and
the fix, in one line. A value is checked as given: surrounding spaces are refused, not stripped, because the
roles write the inventory's value itself into named.conf. Standard library only, so the agent on a secondary
can import it.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError

MAX_PATH = 4095
_KEY_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
_PORT_RE = re.compile(r"^[0-9]{1,5}$")
# Characters named.conf (quotes, escapes, ';' and blocks), Jinja ('{') or a shell could read as syntax.
_PATH_SYNTAX_RE = re.compile(r"[\"'\\;{}\s\x00-\x1f\x7f]")
_ACCOUNT_RE = re.compile(r"^(?:[0-9]+|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$")
_MODE_RE = re.compile(r"^0?[0-7]{3,4}$")


def _shown(value):
    """VALUE as a message may quote it: repr (so a newline stays on the line), at most about 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "..." + text[0]


def _string(value, what, example):
    if value is None:
        raise OptionError("%s is not set; give %s" % (what, example))
    if not isinstance(value, str):
        raise OptionError("%s must be %s, not %s %s" % (what, example, type(value).__name__, _shown(value)))
    if not value:
        raise OptionError("%s is empty; give %s" % (what, example))
    return value


def _refuse_spaces_around(check, text, what):
    """Say so when TEXT would pass CHECK but for spaces around it (else the check itself names the problem)."""
    if text != text.strip():
        try:
            check(text.strip(), what)
        except OptionError:
            return
        raise OptionError("%s %s has spaces around it; give %s" % (what, _shown(text), _shown(text.strip())))


def _parses(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def address(value, what):
    """The IPv4 or IPv6 address VALUE in its compressed text ('::1', '192.0.2.1'); no prefix, zone id or host name."""
    example = "an IPv4 or IPv6 address such as 192.0.2.1 or 2001:db8::1"
    text = _string(value, what, example)
    _refuse_spaces_around(address, text, what)
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        if _parses(text.split("/", 1)[0]):
            raise OptionError("%s %s has a prefix length; give the address alone (named.conf needs an address here, not a "
                              "network), such as 192.0.2.1" % (what, _shown(text)))
        if _parses(text.split("%", 1)[0]):
            parsed = None  # a zone id this Python does not parse
        else:
            raise OptionError("%s %s is not an IP address; give %s (named.conf needs the address itself, not a host "
                              "name)" % (what, _shown(text), example))
    if parsed is None or getattr(parsed, "scope_id", None):
        raise OptionError("%s %s has a zone id; give an address without %%, such as 2001:db8::1 or 192.0.2.1" % (what, _shown(text)))
    if parsed.is_unspecified or parsed.is_multicast:
        raise OptionError("%s %s is not the address of a host; give the address named listens on and others reach it "
                          "at, such as 192.0.2.1" % (what, _shown(text)))
    if parsed.version == 6 and parsed.ipv4_mapped is not None:
        # RFC 5952 section 5, as Python 3.13 writes it; older Pythons write ::ffff:c000:201
        return "::ffff:%s" % parsed.ipv4_mapped
    return parsed.compressed


def port(value, what):
    """The port number VALUE (an int or a string of digits) as an int from 1 to 65535."""
    example = "a port number from 1 to 65535"
    if isinstance(value, bool) or (value is not None and not isinstance(value, (int, str))):
        raise OptionError("%s must be %s, not %s %s" % (what, example, type(value).__name__, _shown(value)))
    if isinstance(value, str):
        text = _string(value, what, example)
        _refuse_spaces_around(port, text, what)
        if not _PORT_RE.match(text):
            raise OptionError("%s %s is not a number; give %s" % (what, _shown(text), example))
        value = int(text)
    elif value is None:
        raise OptionError("%s is not set; give %s" % (what, example))
    if not 0 < value < 65536:
        raise OptionError("%s %d is not %s" % (what, value, example))
    return value


def key_name(value, what):
    """The key name VALUE without its final dot: a DNS name of letters, digits, '-', '_' and '.', usable in
    key "NAME" and in file names (as _keyfile.check_key_name, which the key files themselves are held to)."""
    example = "a DNS name of letters, digits, '-', '_' and '.' such as tkeyinit-ns2"
    text = _string(value, what, example)
    _refuse_spaces_around(key_name, text, what)
    bare = text[:-1] if text.endswith(".") else text
    if bare and not _KEY_NAME_RE.match(bare):
        raise OptionError("%s %s may hold only letters, digits, '-', '_' and '.' (it is written into named.conf and file "
                          "names); give %s" % (what, _shown(text), example))
    if not bare or len(bare) > 253 or any(not label or len(label) > 63 for label in bare.split(".")):
        raise OptionError("%s %s is not a valid DNS name; give labels of 1 to 63 characters, 253 in all" % (what, _shown(text)))
    return bare


def path(value, what):
    """The absolute path VALUE, normalized ('/etc//bind/' -> '/etc/bind'); refused if it holds a character that
    named.conf or a shell reads as syntax (quotes, backslash, ';', braces, whitespace, control characters)."""
    example = "an absolute path such as /etc/bind/tkey"
    text = _string(value, what, example)
    _refuse_spaces_around(path, text, what)
    bad = _PATH_SYNTAX_RE.search(text)
    if bad:
        raise OptionError("%s %s holds %r, which named.conf would read as syntax; give %s without quotes, backslashes, "
                          "';', braces or spaces" % (what, _shown(text), bad.group(), example))
    if not text.startswith("/"):
        raise OptionError("%s %s is not an absolute path; give %s" % (what, _shown(text), example))
    if len(text) > MAX_PATH:
        raise OptionError("%s is longer than %d characters; give a shorter path" % (what, MAX_PATH))
    normal = posixpath.normpath(text)
    return "/" + normal.lstrip("/")  # POSIX keeps a leading '//'; named.conf has no use for it


def directory(value, what):
    """The absolute directory VALUE, normalized, as path() checks it."""
    return path(value, what)


def account(value, what):
    """The user or group name (or numeric id) VALUE, as useradd and groupadd accept it."""
    text = _string(value, what, "a user or group name such as bind, or a numeric id")
    _refuse_spaces_around(account, text, what)
    if not _ACCOUNT_RE.match(text):
        raise OptionError("%s %s is not a user or group name; give one of letters, digits, '_', '-' and '.' (at most 32, "
                          "not starting with '-'), such as bind, or a numeric id" % (what, _shown(text)))
    return text


def file_mode(value, what):
    """The octal mode VALUE ('0640') as an int; refused with setuid, setgid or sticky bits or writable by others."""
    text = value if isinstance(value, str) else None
    if text is None or not _MODE_RE.match(text):
        raise OptionError("%s %s is not an octal mode such as '0640'; quote it in YAML" % (what, _shown(value)))
    mode = int(text, 8)
    if mode & 0o7000:
        raise OptionError("%s %s sets setuid, setgid or sticky bits, which a configuration file has no use for; give a "
                          "mode such as '0640'" % (what, _shown(value)))
    if mode & 0o002:
        raise OptionError("%s %s lets every account write the file, and named would read what they wrote; give a mode "
                          "such as '0640'" % (what, _shown(value)))
    return mode
