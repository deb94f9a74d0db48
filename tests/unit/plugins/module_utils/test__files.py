# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Root writes that no other account can redirect, bounded reads of regular files only, the run lock."""

from __future__ import annotations

import grp
import os
import stat

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _files
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, UnsafePathError

AS_ROOT = os.geteuid() == 0
NOBODY = 65534


def _mode(path):
    return stat.S_IMODE(os.stat(path, follow_symlinks=False).st_mode)


def test_attributes_are_set_on_the_descriptor_so_a_swapped_temp_name_changes_nothing_else(tmp_path, monkeypatch):
    """The defect: chmod/chown by name after fsync; a temp file swapped for a link then changed the link's target."""
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    victim.chmod(0o600)
    target = tmp_path / "keys" / "transfer.key"
    target.parent.mkdir(mode=0o750)
    real_fsync = os.fsync
    swapped = []

    def swap_then_fsync(fd):
        # between writing the temp file and its rename: replace its name with a link to the victim
        for entry in os.listdir(str(target.parent)):
            if entry.startswith(".transfer.key.") and not swapped:
                os.unlink(str(target.parent / entry))
                os.symlink(str(victim), str(target.parent / entry))
                swapped.append(entry)
        return real_fsync(fd)

    monkeypatch.setattr(_files.os, "fsync", swap_then_fsync)
    with pytest.raises(DnsopsError, match="replaced by another process"):
        _files.write_atomic(str(target), "key secret;\n", mode=0o644)
    monkeypatch.setattr(_files.os, "fsync", real_fsync)
    assert swapped
    assert _mode(str(victim)) == 0o600 and victim.read_text() == "root:secret\n"
    assert not os.path.islink(str(target))  # what took our file's place was removed
    assert _files.write_atomic(str(target), "key secret;\n", mode=0o640)
    assert _mode(str(target)) == 0o640 and target.read_text() == "key secret;\n"


@pytest.mark.parametrize("layout", ["world-writable", "world-writable parent", "sticky", "sticky parent"])
def test_a_directory_that_others_can_change_is_refused_and_nothing_is_written(tmp_path, layout):
    outer = tmp_path / "outer"
    inner = outer / "inner"
    inner.mkdir(parents=True)
    outer.chmod({"world-writable": 0o755, "world-writable parent": 0o777, "sticky": 0o755, "sticky parent": 0o1777}[layout])
    inner.chmod({"world-writable": 0o777, "world-writable parent": 0o755, "sticky": 0o1777, "sticky parent": 0o755}[layout])
    target = inner / "dnsops_tkey.prom"
    if layout == "sticky parent":  # like /tmp above a root directory: nobody else can replace inner
        assert _files.write_atomic(str(target), "x 1\n", mode=0o644, group=None)
        return
    with pytest.raises(UnsafePathError) as failure:
        _files.write_atomic(str(target), "x 1\n", mode=0o644, group=None)
    message = str(failure.value)
    assert "\n" not in message and "writable by everyone" in message and "only root can change" in message
    assert os.listdir(str(inner)) == []


@pytest.mark.skipif(not AS_ROOT, reason="making a directory another account owns needs root (CI runs as root)")
def test_a_metrics_directory_owned_by_another_account_is_refused(tmp_path):
    """The documented case: prometheus owns /var/lib/prometheus and can replace node-exporter/ under it."""
    prometheus = tmp_path / "prometheus"
    textfiles = prometheus / "node-exporter"
    textfiles.mkdir(parents=True)
    os.chown(str(prometheus), NOBODY, NOBODY)
    with pytest.raises(UnsafePathError, match="is owned by"):
        _files.write_atomic(str(textfiles / "dnsops_tkey.prom"), "x 1\n", mode=0o644, group=None)
    assert os.listdir(str(textfiles)) == []


@pytest.mark.skipif(not AS_ROOT, reason="giving a directory to another group needs root (CI runs as root)")
def test_only_key_files_may_sit_in_a_directory_their_group_can_write(tmp_path):
    """named's directory (/var/cache/bind, root:bind 0775) holds the DH key; nothing else is written to such a place."""
    directory = tmp_path / "cache"
    directory.mkdir()
    os.chown(str(directory), 0, grp.getgrnam(_files.KEY_GROUP).gr_gid)
    directory.chmod(0o775)
    assert _files.write_atomic(str(directory / "Kserver.private"), "secret\n")
    with pytest.raises(UnsafePathError, match="writable by the group"):
        _files.write_atomic(str(directory / "state.json"), "{}\n", mode=0o600, group=None)


def test_links_in_directories_only_root_can_change_are_followed(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "linked").symlink_to("real")
    assert _files.write_atomic(str(tmp_path / "linked" / "f.conf"), "a\n", mode=0o644, group=None)
    assert (real / "f.conf").read_text() == "a\n"


def test_a_target_that_is_a_link_is_replaced_never_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "f.conf").symlink_to(victim)
    assert _files.write_atomic(str(tmp_path / "f.conf"), "new\n", mode=0o644, group=None)
    assert victim.read_text() == "keep\n" and not os.path.islink(str(tmp_path / "f.conf"))


def test_stale_temp_files_of_the_same_file_are_removed_and_others_kept(tmp_path):
    stale = tmp_path / ".transfer-ns1.key.abcd1234.tmp"
    stale.write_text("key secret left by a killed run;\n")
    other = tmp_path / ".primaries-ns1.conf.abcd1234.tmp"
    other.write_text("another file's\n")
    mine = tmp_path / ".transfer-ns1.key.notours"
    mine.write_text("not our naming\n")
    _files.write_atomic(str(tmp_path / "transfer-ns1.key"), "key;\n", group=None)
    assert not stale.exists() and other.exists() and mine.exists()
    assert sorted(os.listdir(str(tmp_path))) == sorted([other.name, mine.name, "transfer-ns1.key"])


def test_the_directory_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    real_fsync, synced = os.fsync, []

    def record(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real_fsync(fd)

    monkeypatch.setattr(_files.os, "fsync", record)
    _files.write_atomic(str(tmp_path / "f"), "x\n", group=None)
    assert synced == [False, True]


def test_unchanged_content_and_attributes_write_nothing(tmp_path):
    path = str(tmp_path / "f")
    assert _files.write_atomic(path, "x\n", mode=0o640, group=None)
    inode = os.stat(path).st_ino
    assert not _files.write_atomic(path, "x\n", mode=0o640, group=None)
    assert os.stat(path).st_ino == inode
    assert _files.write_atomic(path, "x\n", mode=0o600, group=None)  # mode drift is a change


@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo", "directory", "too large"])
def test_reads_are_of_bounded_regular_files_only(tmp_path, kind):
    path = tmp_path / "named.log"
    if kind == "link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(str(path))
    elif kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"x" * (_files.READ_LIMIT + 1))
    with pytest.raises(DnsopsError) as failure:
        _files.read_text(str(path))
    assert "\n" not in str(failure.value)


def test_the_log_tail_is_bounded_and_refuses_a_link_to_a_device(tmp_path):
    log = tmp_path / "named.log"
    log.write_bytes(b"a" * 5000 + b"\n")
    data, offset = _files.read_tail(str(log), 1000, 100)
    assert (len(data), offset) == (100, 1000)
    data, offset = _files.read_tail(str(log), 10 ** 6, 100)  # shorter than the offset: rotated, read from the start
    assert offset == 0 and len(data) == 100
    zero = tmp_path / "zero.log"
    zero.symlink_to("/dev/zero")
    with pytest.raises(DnsopsError, match="symbolic link"):
        _files.read_tail(str(zero), 0, 1 << 30)
    assert _files.size_of(str(zero)) == 0


def test_the_run_lock_is_refused_in_a_directory_others_can_change(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(UnsafePathError):
        with _files.RunLock(str(shared / "lock"), 0.3):
            pass
    assert os.listdir(str(shared)) == []


def test_make_directory_creates_missing_parents_with_the_mode(tmp_path):
    path = tmp_path / "a" / "b"
    _files.make_directory(str(path), 0o750, group=None)
    assert _mode(str(path)) == 0o750
    _files.make_directory(str(path), 0o700, group=None)  # an existing directory is left as it is
    assert _mode(str(path)) == 0o750


@pytest.mark.skipif(not AS_ROOT, reason="a link owned by another account needs root to make (CI runs as root)")
def test_a_link_another_account_placed_in_a_sticky_directory_is_not_followed(tmp_path):
    """/tmp-like directories may be passed through, but a link someone else put there must not redirect the write."""
    sticky = tmp_path / "sticky"
    sticky.mkdir()
    sticky.chmod(0o1777)
    target = tmp_path / "root-only"
    target.mkdir()
    (sticky / "metrics").symlink_to(target)
    os.lchown(str(sticky / "metrics"), NOBODY, NOBODY)
    with pytest.raises(UnsafePathError, match="symbolic link owned by"):
        _files.write_atomic(str(sticky / "metrics" / "dnsops_tkey.prom"), "x 1\n", mode=0o644, group=None)
    assert os.listdir(str(target)) == []
    os.lchown(str(sticky / "metrics"), 0, 0)  # root's own link there is followed
    assert _files.write_atomic(str(sticky / "metrics" / "dnsops_tkey.prom"), "x 1\n", mode=0o644, group=None)


def test_a_directory_with_an_access_acl_is_refused(tmp_path):
    """An ACL can let another account write to a root:root 0755-looking directory: its group bits show only the mask."""
    import struct  # pylint: disable=import-outside-toplevel

    directory = tmp_path / "acl"
    directory.mkdir()
    entries = [(0x01, 7, 0xFFFFFFFF), (0x02, 7, NOBODY), (0x04, 5, 0xFFFFFFFF), (0x10, 7, 0xFFFFFFFF), (0x20, 5, 0xFFFFFFFF)]
    try:
        os.setxattr(str(directory), "system.posix_acl_access",
                    struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *entry) for entry in entries))
    except OSError as exc:
        pytest.fail("this file system takes no POSIX ACL (%s); the tests need one that does (ext4, tmpfs)" % exc)
    with pytest.raises(UnsafePathError, match="access ACL"):
        _files.write_atomic(str(directory / "f"), "x\n", mode=0o644, group=None)


def test_stale_temp_files_of_other_names_are_removed_once_old(tmp_path):
    old = tmp_path / ".sec1-20261125000000.ns1.xfr.key.abcd1234.tmp"  # a static key file written under a new name
    old.write_text("secret of a killed run\n")
    os.utime(str(old), (1, 1))
    fresh = tmp_path / ".other.key.abcd1234.tmp"
    fresh.write_text("another writer, just now\n")
    _files.write_atomic(str(tmp_path / "f"), "x\n", group=None)
    assert not old.exists() and fresh.exists()


def test_remove_anywhere_follows_no_link(tmp_path):
    victim = tmp_path / "etc"
    victim.mkdir()
    (victim / "x.prom").write_text("keep\n")
    (tmp_path / "prometheus").symlink_to(victim)
    assert not _files.remove_anywhere(str(tmp_path / "prometheus" / "x.prom"))
    assert (victim / "x.prom").exists()
    assert _files.remove_anywhere(str(victim / "x.prom")) and not (victim / "x.prom").exists()
