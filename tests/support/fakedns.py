# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Loopback peers for the faults a real named does not produce on demand: silence, a forged TSIG signature,
a truncated UDP answer."""

from __future__ import annotations

import socket
import struct
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.tsig

from tests.support.named import free_port


class _Peer(object):
    def __init__(self):
        self.port = free_port()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.held = []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                conn, _addr = self.sock.accept()
            except socket.timeout:
                continue
            self.handle(conn)


class SilentServer(_Peer):
    """Accepts TCP connections and never answers: the client must time out."""

    def handle(self, conn):
        self.held.append(conn)


class ForgingServer(_Peer):
    """Answers every signed query with a response signed under the query's key name with a different secret
    (and an unsigned query, such as version.bind, with REFUSED, as a server hiding its version does)."""

    def handle(self, conn):
        conn.settimeout(5)
        try:
            (length,) = struct.unpack("!H", _read(conn, 2))
            query = dns.message.from_wire(_read(conn, length), keyring=False)
            response = dns.message.Message(id=query.id)
            response.flags = dns.flags.QR
            response.question = list(query.question)
            if query.keyname is None:
                response.set_rcode(dns.rcode.REFUSED)
            else:
                response.request_mac = query.mac
                forged = dns.tsig.Key(query.keyname, "Zm9yZ2VkZm9yZ2VkZm9yZ2VkZm9yZ2Vk", query.keyalgorithm)
                response.use_tsig(forged)
            wire = response.to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)
        finally:
            conn.close()


def _read(conn, count):
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise EOFError("peer closed")
        data += chunk
    return data


class _UdpPeer(object):
    """A UDP socket on 127.0.0.1 answered by handle(data, address) in a thread."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.stopping = threading.Event()
        self.received = 0
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def _loop(self):
        while not self.stopping.is_set():
            try:
                data, address = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.received += 1
            self.handle(data, address)


class SilentUdpServer(_UdpPeer):
    """Reads every datagram and never answers."""

    def handle(self, data, address):
        pass


class TruncatingUdpServer(_UdpPeer):
    """Answers every query with an empty response that has the TC bit set, as named does when the answer is too big."""

    def handle(self, data, address):
        (query_id,) = struct.unpack("!H", data[:2])
        response = dns.message.Message(id=query_id)
        response.flags = dns.flags.QR | dns.flags.TC
        self.sock.sendto(response.to_wire(), address)
