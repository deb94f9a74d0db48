# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _deps, _module
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError


@pytest.mark.parametrize("text,seconds", [
    (3600, 3600), ("3600", 3600), ("30d", 2592000), ("12h", 43200), ("1d12h", 129600), ("2w", 1209600),
    ("90m", 5400), ("45s", 45), ("1d 2h", 93600), ("0", 0),
])
def test_parse_duration(text, seconds):
    assert _module.parse_duration(text, "lifetime") == seconds


@pytest.mark.parametrize("text", ["", "soon", "12x", "d", "1d-2h", "-5"])
def test_parse_duration_refuses(text):
    with pytest.raises(OptionError, match="lifetime"):
        _module.parse_duration(text, "lifetime")


def test_dependencies_are_met_here_and_versions_compare_numerically():
    assert _deps.problem("dnspython") is None
    assert _deps.problem("cryptography") is None
    assert _deps._version_tuple("2.10.0") > _deps._version_tuple("2.3.0")
    assert _deps._version_tuple("38.0.4") >= _deps._version_tuple(_deps.MIN_CRYPTOGRAPHY)
