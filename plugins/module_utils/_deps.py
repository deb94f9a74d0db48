# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""The Python libraries the modules need on the host they run on, and the oldest versions supported.

The minimums are Debian 12's own packages (python3-dnspython, python3-cryptography), the oldest the
collection is tested with. Pure Python: nothing here imports Ansible.
"""

from __future__ import annotations

import re

MIN_DNSPYTHON = "2.3.0"
MIN_CRYPTOGRAPHY = "38.0.0"

REQUIREMENTS = {
    "dnspython": (MIN_DNSPYTHON, "python3-dnspython"),
    "cryptography": (MIN_CRYPTOGRAPHY, "python3-cryptography"),
}


def _version_tuple(text):
    return tuple(int(part) for part in re.findall(r"\d+", str(text))[:3])


def installed_version(library):
    """The installed version of 'dnspython' or 'cryptography', or None when it cannot be imported."""
    try:
        if library == "dnspython":
            import dns.version
            return dns.version.version
        if library == "cryptography":
            import cryptography
            return cryptography.__version__
    except ImportError:
        return None
    raise ValueError("unknown library %r" % library)


def problem(library):
    """None when LIBRARY is usable; otherwise (library, minimum, installed or None, Debian package)."""
    minimum, package = REQUIREMENTS[library]
    version = installed_version(library)
    if version is not None and _version_tuple(version) >= _version_tuple(minimum):
        return None
    return library, minimum, version, package
