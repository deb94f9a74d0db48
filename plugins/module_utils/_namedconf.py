# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""named.conf as `named-checkconf -p` prints it (includes expanded, one canonical layout), and what the roles
need to know of an operator's configuration: named's directory, views, zones and their clauses, the names
defined by acl/primaries statements, where xfer-in is logged.

The printed configuration holds key secrets: nothing here returns or quotes a key statement. Pure Python.
"""

from __future__ import annotations

import glob
import os
import re

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError

_TOKEN_RE = re.compile(
    r'\s+|#[^\n]*|//[^\n]*|/\*.*?\*/|"(?P<string>(?:[^"\\]|\\.)*)"|(?P<punct>[{};])|(?P<word>[^\s{};"]+)', re.S)


_WARNING_RE = re.compile(r"^\S+:\d+: ")


class Statement(object):
    """One statement: its words (strings unquoted) and its block of statements, if it has one."""

    def __init__(self, words, block=None):
        self.words = words
        self.block = block

    @property
    def keyword(self):
        return self.words[0].lower() if self.words else ""

    @property
    def name(self):
        return self.words[1] if len(self.words) > 1 else None

    def find(self, keyword):
        return [statement for statement in self.block or () if statement.keyword == keyword]

    def first(self, keyword):
        found = self.find(keyword)
        return found[0] if found else None

    def values(self):
        """The first word of each statement in the block: the elements of an address list or primaries list."""
        return [statement.words[0] for statement in self.block or () if statement.words]


def _tokens(text):
    position = 0
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if match is None:
            raise DnsopsError("named.conf: unexpected character at offset %d" % position)
        position = match.end()
        if match.group("string") is not None:
            yield match.group("string")
        elif match.group("punct"):
            yield match.group("punct")
        elif match.group("word"):
            yield match.group("word")


def parse(text):
    """The statements of a configuration (a list of Statement)."""
    stack, words = [[]], []
    for token in _tokens(text):
        if token == "{":
            block = []
            stack[-1].append(Statement(words, block))
            stack.append(block)
            words = []
        elif token == "}":
            if len(stack) == 1:
                raise DnsopsError("named.conf: a '}' closes nothing")
            if words:
                stack[-1].append(Statement(words))
                words = []
            stack.pop()
        elif token == ";":
            if words:
                stack[-1].append(Statement(words))
            words = []
        else:
            words.append(token)
    if len(stack) != 1:
        raise DnsopsError("named.conf: a block is not closed")
    return stack[0]


class Config(object):
    """An operator's whole configuration, parsed from `named-checkconf -p`."""

    def __init__(self, text):
        # named-checkconf prints its warnings ('FILE:LINE: option ... is deprecated') on stdout, before the config
        self.statements = parse("\n".join(line for line in text.splitlines() if not _WARNING_RE.match(line)))

    def top(self, keyword):
        return [statement for statement in self.statements if statement.keyword == keyword]

    @property
    def options(self):
        found = self.top("options")
        return found[0] if found else Statement(["options"], [])

    def option(self, name):
        """The words after NAME in options { }, or None."""
        statement = self.options.first(name)
        return statement.words[1:] if statement is not None else None

    @property
    def directory(self):
        value = self.option("directory")
        return value[0] if value else "."

    @property
    def views(self):
        return [statement.name for statement in self.top("view")]

    def defined(self, keyword):
        """Names defined at the top level by KEYWORD statements (acl, primaries, masters, key)."""
        names = set(statement.name for statement in self.top(keyword) if statement.name)
        if keyword == "primaries":
            names |= set(statement.name for statement in self.top("masters") if statement.name)
        return names

    def zone(self, name):
        wanted = name.rstrip(".").lower()
        for statement in self.top("zone"):
            if statement.name and statement.name.rstrip(".").lower() == wanted:
                return statement
        return None

    def zone_list(self, zone, clause):
        """The names and addresses of ZONE's CLAUSE (allow-transfer, also-notify, primaries), or None if it has none."""
        statement = self.zone(zone)
        if statement is None:
            return None
        found = statement.first(clause) or (statement.first("masters") if clause == "primaries" else None)
        return found.values() if found is not None else None

    def log_file(self, category):
        """The file the channel of CATEGORY (else of default) writes to, or None (syslog, stderr, null, or unset)."""
        logging = self.top("logging")
        if not logging:
            return None
        channels = dict((statement.name, statement) for statement in logging[0].find("channel"))
        for wanted in (category, "default"):
            for statement in logging[0].find("category"):
                if statement.name == wanted:
                    for channel_name in statement.values():
                        channel = channels.get(channel_name)
                        target = channel.first("file") if channel is not None else None
                        if target is not None and len(target.words) > 1:
                            return target.words[1]
                    return None
        return None


class _Unbounded(DnsopsError):
    """A configuration that cannot be read within bounds (an include loop, too much in all): never skipped."""


class Tree(Config):
    """An operator's configuration read from its files as they are (includes followed where the files exist),
    before dnsops.tkey's fragments exist: which files it includes, at the top level and inside options { }."""

    MAX_DEPTH = 20
    CONF_LIMIT = 256 << 20  # a hosting provider's zone list of a million zones
    TOTAL_LIMIT = 1 << 30  # all files read, however often: a glob that includes its own directory multiplies reads

    def __init__(self, path, skip=()):
        """SKIP: files whose includes are recorded but whose content is not read (dnsops.tkey's own fragments): what is
        left is the operator's own configuration."""
        self.included_top, self.included_in_options = set(), set()
        self.skip = set(skip)
        self._reading, self._total = [], 0
        self.statements = self._read(path, 0, inside_options=False)

    def _read(self, path, depth, inside_options):
        if depth > self.MAX_DEPTH:
            raise _Unbounded("%s: includes nested more than %d deep" % (path, self.MAX_DEPTH))
        real = os.path.realpath(path)
        if real in self._reading:
            raise _Unbounded("an include loop (%s -> %s): named cannot load it either; remove the include that closes it"
                             % (" -> ".join(self._reading[self._reading.index(real):]), path))
        text = _files.read_text(path, self.CONF_LIMIT, follow=True)  # the operator's files may be links; regular files, bounded
        if text is None:
            raise DnsopsError("cannot read %s: No such file or directory" % path)
        self._total += len(text)
        if self._total > self.TOTAL_LIMIT:
            raise _Unbounded("the configuration %s includes is more than %d MiB in all; is a file included many times?"
                             % (self._reading[0] if self._reading else path, self.TOTAL_LIMIT >> 20))
        self._reading.append(real)
        try:
            return self._expand(parse(text), depth, inside_options)
        finally:
            self._reading.pop()

    def _expand(self, statements, depth, inside_options):
        out = []
        for statement in statements:
            if statement.keyword == "include" and statement.name:
                # BIND 9.18 expands glob patterns in include (include "/etc/bind/zones.d/*.conf";), in sorted order
                paths = sorted(glob.glob(statement.name)) if glob.has_magic(statement.name) else [statement.name]
                included = self.included_in_options if inside_options else self.included_top
                included.update([statement.name] + paths)
                for path in paths:
                    if path in self.skip:
                        continue
                    try:
                        out.extend(self._read(path, depth + 1, inside_options))
                    except _Unbounded:
                        raise
                    except DnsopsError:
                        pass  # not there yet (a dnsops.tkey fragment before the first run), or not readable
                continue
            if statement.block is not None:
                statement.block = self._expand(statement.block, depth, inside_options or statement.keyword == "options")
            out.append(statement)
        return out
