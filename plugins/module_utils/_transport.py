# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""One DNS query and its answer: TCP or UDP, TSIG-verified by dnspython, every failure a TkeyError.

Pure Python over dnspython; nothing here imports Ansible.
"""

from __future__ import annotations

import socket
import struct
import time

try:
    import dns.exception
    import dns.message
    import dns.tsig
except ImportError:  # the modules report it through _deps before using anything here
    pass

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import (
    OptionError,
    PeerRejectedKey,
    PeerRejectedSignature,
    ResponseError,
    TkeyRefused,
    TransportError,
)


class Server(object):
    """Where and how to reach named: address, port, transport (tcp or udp) and timeout in seconds."""

    def __init__(self, address, port=53, transport="tcp", timeout=10.0):
        if transport not in ("tcp", "udp"):
            raise OptionError("transport %r is not tcp or udp" % (transport,))
        self.address = address
        self.port = int(port)
        self.transport = transport
        self.timeout = float(timeout)

    def __str__(self):
        return "%s#%d" % (self.address, self.port)

    def _resolve(self):
        try:
            infos = socket.getaddrinfo(self.address, self.port, 0, socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise TransportError("cannot resolve server %r (%s); give its IP address" % (self.address, exc))
        return infos[0][4][0]

    def exchange(self, query, address):
        """One query, one answer, over TCP (length-prefixed) or UDP, parsed and TSIG-verified by dnspython.

        dns.query is not used on purpose: with Debian 12's dnspython 2.3 importing it pulls in httpx and
        requests for DNS over HTTPS, about 150 ms of every module run; a TKEY exchange needs one round trip.
        """
        wire = query.to_wire()
        deadline = time.monotonic() + self.timeout
        if self.transport == "tcp":
            with socket.create_connection((address, self.port), timeout=self.timeout) as sock:
                sock.sendall(struct.pack("!H", len(wire)) + wire)
                (length,) = struct.unpack("!H", _receive(sock, 2, deadline))
                data = _receive(sock, length, deadline)
        else:
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((address, self.port))  # a connected socket only hears from the server
                sock.settimeout(self.timeout)
                sock.send(wire)
                for _datagram in range(64):  # skip stray datagrams with another ID, but not forever
                    sock.settimeout(max(deadline - time.monotonic(), 0.001))
                    data = sock.recv(65535)
                    if len(data) >= 2 and data[:2] == wire[:2]:
                        break
                else:
                    raise dns.exception.FormError("no answer with the query's ID among 64 datagrams")
        response = dns.message.from_wire(
            data, keyring=query.keyring, request_mac=query.mac, raise_on_truncation=self.transport == "udp"
        )
        if not query.is_response(response):
            raise dns.exception.FormError("the answer does not match the query")
        return response

    def send(self, query, what):
        """Send QUERY; return the verified response or raise a TkeyError subclass."""
        address = self._resolve()
        try:
            if self.transport == "udp":
                query.use_edns(0, payload=4096)
            return self.exchange(query, address)
        except dns.message.Truncated:
            raise TransportError(
                "the %s response from %s was truncated over UDP (the server may already hold the key); use transport tcp" % (what, self)
            )
        except (dns.exception.Timeout, socket.timeout):
            raise TransportError(
                "no answer from %s over %s within %gs to the %s; check that named runs and listens there"
                % (self, self.transport.upper(), self.timeout, what)
            )
        except dns.tsig.PeerBadKey:
            raise PeerRejectedKey(
                "%s does not know TSIG key %s (TSIG BADKEY); check the key name, or add the key to the server's named.conf"
                % (self, query.keyname.to_text(True))
            )
        except dns.tsig.PeerBadSignature:
            raise PeerRejectedSignature(
                "%s rejected the signature made with key %s (TSIG BADSIG): the secret or algorithm differs from the server's"
                % (self, query.keyname.to_text(True))
            )
        except dns.tsig.PeerBadTime:
            raise TkeyRefused(
                "%s rejected the request time (TSIG BADTIME): this host's clock and the server's differ by more than 5 minutes; sync them with NTP"
                % self
            )
        except dns.tsig.PeerError as exc:
            raise TkeyRefused("%s refused the TSIG signature of the %s (%s)" % (self, what, exc))
        except (dns.tsig.BadSignature, dns.tsig.BadKey, dns.tsig.BadAlgorithm, dns.message.UnknownTSIGKey) as exc:
            raise ResponseError(
                "the response from %s to the %s failed TSIG verification (%s): it was not sent by a server holding key %s"
                % (self, what, exc.__class__.__name__, query.keyname.to_text(True))
            )
        except dns.tsig.BadTime:
            raise ResponseError(
                "the response from %s to the %s is signed at a time more than the fudge away; sync this host's clock with NTP" % (self, what)
            )
        except (dns.exception.FormError, dns.exception.SyntaxError, ValueError, struct.error) as exc:
            if "TSIG" in str(exc):  # newer dnspython refuses an unsigned answer to a signed query itself
                raise ResponseError(
                    "the response from %s to the %s is not signed with key %s; refusing to trust it" % (self, what, query.keyname.to_text(True))
                )
            raise ResponseError("the response from %s to the %s is malformed (%s)" % (self, what, exc))
        except (ConnectionError, EOFError, OSError) as exc:
            raise TransportError(
                "cannot reach %s over %s for the %s (%s); check that named runs and listens there"
                % (self, self.transport.upper(), what, getattr(exc, "strerror", None) or exc)
            )


def _receive(sock, count, deadline):
    """COUNT octets from a stream socket before DEADLINE (time.monotonic())."""
    data = b""
    while len(data) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("timed out")
        sock.settimeout(remaining)
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("the server closed the connection")
        data += chunk
    return data
