# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""named's log is read as root but belongs to the bind account: bounded reads of a regular file only."""

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _localnamed
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import NamedError
from ansible_collections.dnsops.tkey.plugins.module_utils._localnamed import LocalNamed

LINE = b"02-Dec-2026 10:00:00.000 xfer-in: info: zone example.test/IN: transferred serial 7: TSIG 'k1'\n"


def test_a_log_replaced_by_a_link_to_dev_zero_is_refused_in_one_line(tmp_path):
    log = tmp_path / "named.log"
    log.symlink_to("/dev/zero")
    named = LocalNamed(xfer_log=str(log))
    assert named.log_position() == (0, 0)
    with pytest.raises(NamedError) as failure:
        named._log_lines_since((0, 0))
    assert "symbolic link" in str(failure.value) and "\n" not in str(failure.value)


def test_a_huge_log_is_read_a_bounded_slice_at_a_time_without_losing_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(_localnamed, "LOG_READ_LIMIT", 10 * len(LINE) + 5)
    log = tmp_path / "named.log"
    log.write_bytes(LINE * 25)
    named = LocalNamed(xfer_log=str(log))
    seen, position = [], (0, 0)
    for _round in range(5):
        lines, position = named._log_lines_since(position)
        assert len(lines) <= 10
        seen += lines
    assert len(seen) == 25 and position == (25 * len(LINE), 0)


def test_a_sparse_log_of_gigabytes_costs_one_slice(tmp_path):
    log = tmp_path / "named.log"
    with open(str(log), "wb") as handle:
        handle.truncate(8 << 30)  # 8 GiB of zero octets, no newline: read only LOG_READ_LIMIT of them
    lines, position = LocalNamed(xfer_log=str(log))._log_lines_since((0, 0))
    assert position[0] == _localnamed.LOG_READ_LIMIT and len(lines) == 1


def test_the_journal_output_is_bounded(monkeypatch):
    data = _localnamed._bounded_output(["yes", "x" * 100], 4096)
    assert len(data) == 4096


JOURNALCTL = r"""#!/usr/bin/python3
# A stand-in journalctl: entries 0..N-1 of named, each with a cursor; --after-cursor c<i> starts after entry i.
import json, sys
args = sys.argv[1:]
start = int(args[args.index("--after-cursor") + 1][1:]) + 1 if "--after-cursor" in args else 0
with open(sys.argv[0] + ".count") as handle:
    count = int(handle.read())
for index in range(start, count):
    message = "zone example.test/IN: transferred serial %d: TSIG 'k1'" % index
    print(json.dumps({"__CURSOR": "c%d" % index, "MESSAGE": message if index % 7 else list(message.encode())}))
"""


def test_the_journal_is_read_from_a_cursor_so_a_busy_journal_loses_no_line(tmp_path, monkeypatch):
    """With -n and a count of lines seen, more than N new lines since the proof started made every later read empty."""
    fake = tmp_path / "journalctl"
    fake.write_text(JOURNALCTL)
    fake.chmod(0o755)
    (tmp_path / "journalctl.count").write_text("300")
    monkeypatch.setenv("PATH", "%s:%s" % (tmp_path, __import__("os").environ["PATH"]))
    monkeypatch.setattr(_localnamed, "LOG_READ_LIMIT", 40 * 100)  # about 40 entries a read
    named = LocalNamed(xfer_log="journal")
    position, seen = named.log_position(), []
    for _round in range(20):
        lines, position = named._log_lines_since(position)
        seen += lines
    assert len(seen) == 300 and seen[-1].endswith("serial 299: TSIG 'k1'") and position[1] == "c299"
    (tmp_path / "journalctl.count").write_text("302")
    lines, position = named._log_lines_since(position)
    assert [line.split("serial ")[1][:3] for line in lines] == ["300", "301"]
