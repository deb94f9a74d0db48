# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Fingerprints of files, to show that a failed or check-mode run changed nothing."""

from __future__ import annotations

import hashlib
import os


def digest(path):
    """(sha256 of PATH's content, its mode) or None when PATH is absent."""
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest(), oct(os.stat(path).st_mode & 0o7777)


def tree_digest(*directories):
    """{path: digest} of every file under DIRECTORIES."""
    found = {}
    for directory in directories:
        for root, _dirs, files in os.walk(directory):
            for name in files:
                path = os.path.join(root, name)
                found[path] = digest(path)
    return found
