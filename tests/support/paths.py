# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make this checkout importable as ansible_collections.dnsops.tkey (tests, benchmarks)."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")


def make_collection_importable():
    """Link .build/collections/ansible_collections/dnsops/tkey to the checkout and put it on sys.path."""
    parent = os.path.join(COLLECTIONS, "ansible_collections", "dnsops")
    link = os.path.join(parent, "tkey")
    os.makedirs(parent, exist_ok=True)
    if not os.path.islink(link) and not os.path.exists(link):
        os.symlink(ROOT, link)
    for path in (COLLECTIONS, ROOT):
        if path not in sys.path:
            sys.path.insert(0, path)


if __name__ == "__main__":
    make_collection_importable()
