# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport over real loopback sockets: truncation and silence over UDP and TCP, a clock skewed answer."""

from __future__ import annotations

import time

import dns.message
import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _errors, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._transport import Server
from tests.support.fakedns import SilentServer, SilentUdpServer, TruncatingUdpServer
from tests.support.scripted import INITIAL, SERVER_KEY, ScriptedServer


def _signed_query():
    query = dns.message.make_query("sec1.", "SOA")
    query.use_tsig(INITIAL)
    return query


def test_a_truncated_udp_answer_is_reported_as_such():
    with TruncatingUdpServer() as peer:
        server = Server("127.0.0.1", peer.port, "udp", timeout=2)
        with pytest.raises(_errors.TransportError, match="truncated over UDP .* use transport tcp"):
            server.send(_signed_query(), "TKEY negotiation")
    assert peer.received == 1  # not retried: the server may already hold the key


def test_udp_asks_for_a_large_edns_payload():
    query = _signed_query()
    with SilentUdpServer() as peer:
        with pytest.raises(_errors.TransportError):
            Server("127.0.0.1", peer.port, "udp", timeout=0.3).send(query, "probe")
    assert query.edns == 0 and query.payload == 4096


@pytest.mark.parametrize("transport,peer_class", [("udp", SilentUdpServer), ("tcp", SilentServer)])
def test_silence_is_a_timeout_within_the_limit(transport, peer_class):
    with peer_class() as peer:
        server = Server("127.0.0.1", peer.port, transport, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(_errors.TransportError, match="no answer from 127.0.0.1#%d over %s within 0.5s" % (peer.port, transport.upper())):
            server.send(_signed_query(), "probe")
        assert time.monotonic() - started < 3


def test_an_answer_signed_far_from_our_clock_is_refused():
    server = ScriptedServer(clock_skew=3600)
    with pytest.raises(_errors.ResponseError, match="more than the fudge away; sync this host's clock"):
        _tkey.negotiate(server, INITIAL, "sec1", server_key=SERVER_KEY)
