# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.dnsops.tkey.plugins.module_utils import _deps


def test_dependencies_are_met_here_and_versions_compare_numerically():
    assert _deps.problem("dnspython") is None
    assert _deps.problem("cryptography") is None
    assert _deps._version_tuple("2.10.0") > _deps._version_tuple("2.3.0")
    assert _deps._version_tuple("38.0.4") >= _deps._version_tuple(_deps.MIN_CRYPTOGRAPHY)
