# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The collection's error contract, in one place.

Everything an operator can act on is a DnsopsError: str() is one line that names the cause and the
remedy, and the modules report it with fail_json(msg=...) and no traceback. Any other exception is a
bug and keeps its traceback (_module.guarded_run). Pure Python: nothing here imports Ansible.
"""

from __future__ import annotations


class DnsopsError(Exception):
    """Something the operator can act on; str() is one line naming the cause and the remedy.

    .result holds fields a module returns with the failure besides the message.
    """

    result = {}


class OptionError(DnsopsError):
    """A module option, role variable or inventory value that cannot be used."""


class UnsafePathError(DnsopsError):
    """A directory that an account other than root could change, where root would write."""


class KeyFileError(DnsopsError):
    """A named.conf key file or key statement that cannot be used."""


class DHKeyError(DnsopsError):
    """A DH key, BIND K*.key / K*.private file or DH group that cannot be used."""


class TkeyError(DnsopsError):
    """A TKEY or TSIG exchange with the server that failed."""


class TransportError(TkeyError):
    """The server could not be reached or did not answer."""


class PeerRejectedKey(TkeyError):
    """The server answered NOTAUTH: it does not know the signing key (TSIG BADKEY)."""


class PeerRejectedSignature(TkeyError):
    """The server answered NOTAUTH: the signature does not verify with its secret (TSIG BADSIG)."""


class ResponseError(TkeyError):
    """The response is unsigned, fails TSIG verification, or does not make sense."""


class PinMismatch(ResponseError):
    """The server's DH key differs from the pinned one."""


class TkeyRefused(TkeyError):
    """The server answered with an rcode or a TKEY/TSIG error; .code is the TKEY error or None."""

    def __init__(self, message, code=None):
        super(TkeyRefused, self).__init__(message)
        self.code = code


class UnsupportedServer(TkeyError):
    """The server runs a BIND that must never receive a TKEY query (9.19 and later)."""


class NamedError(DnsopsError):
    """The local named could not be controlled (rndc) or did not do what was asked."""


class RolloverError(DnsopsError):
    """A key rollover that did not complete; .rolled_back says whether the previous key is in use again."""

    def __init__(self, message, rolled_back=False):
        super(RolloverError, self).__init__(message)
        self.rolled_back = rolled_back
        self.result = dict(changed=not rolled_back, rolled_back=rolled_back)
