# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""Files the rollover engine and the agent own: atomic writes with their final mode, and the run lock.

Pure Python (standard library only), for the agent on hosts without ansible-core.
"""

from __future__ import annotations

import errno
import fcntl
import grp
import os
import pwd
import tempfile
import time

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError

KEY_MODE = 0o640
KEY_GROUP = "bind"


def read_text(path):
    """The content of PATH, or None if it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise DnsopsError("cannot read %s: %s; check its permissions" % (path, exc.strerror or exc))


def _group_id(group):
    if group is None:
        return -1
    if isinstance(group, int):
        return group
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        return -1  # no such group here (a test machine without bind): keep the creator's


def _user_id(owner):
    if owner is None:
        return -1
    if isinstance(owner, int):
        return owner
    try:
        return pwd.getpwnam(owner).pw_uid
    except KeyError:
        return -1


def make_directory(path, mode, group=KEY_GROUP):
    """Create PATH (root, GROUP, MODE) if it does not exist."""
    if os.path.isdir(path):
        return
    os.makedirs(path, mode)
    if os.geteuid() == 0:
        os.chown(path, 0, _group_id(group))
    os.chmod(path, mode)


def write_atomic(path, content, mode=KEY_MODE, group=KEY_GROUP, owner="root"):
    """Write CONTENT to PATH through a temporary file in the same directory, given MODE, OWNER and GROUP (names or
    ids; None keeps the writer's) before the rename.

    Readers see the old file or the new one, never a part, and a secret is never readable by others, not even
    for a moment. The temporary name starts with '.' and does not end like PATH (a textfile collector that
    reads '*.prom' never sees it). Return True if anything changed.
    """
    if read_text(path) == content and attributes_match(path, mode, owner, group):
        return False
    directory = os.path.dirname(os.path.abspath(path))
    try:
        handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    except (IOError, OSError) as exc:
        raise DnsopsError("cannot write in %s: %s; check that it exists and is writable" % (directory, exc.strerror or exc))
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        if os.geteuid() == 0:
            os.chown(temp, _user_id(owner), _group_id(group))
        os.chmod(temp, mode)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return True


def attributes_match(path, mode, owner="root", group=KEY_GROUP):
    """Whether PATH has MODE, and (when we are root and they exist here) OWNER and GROUP."""
    info = os.stat(path)
    if info.st_mode & 0o7777 != mode:
        return False
    if os.geteuid() != 0:
        return True
    uid, gid = _user_id(owner), _group_id(group)
    return (uid < 0 or info.st_uid == uid) and (gid < 0 or info.st_gid == gid)


class RunLock(object):
    """An exclusive flock on PATH, which is created once and never deleted (deleting it would let two runs in)."""

    def __init__(self, path, timeout, create=True):
        self.path = path
        self.timeout = float(timeout)
        self.create = create  # False (check mode): lock only an existing file, create nothing
        self.handle = None

    def __enter__(self):
        if not self.create and not os.path.exists(self.path):
            return self  # nobody has run here yet, so nobody can be running
        directory = os.path.dirname(os.path.abspath(self.path))
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
            self.handle = open(self.path, "a" if self.create else "r")
        except (IOError, OSError) as exc:
            raise DnsopsError("cannot open the run lock %s: %s; run as root (become: true)" % (self.path, exc.strerror or exc))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                self.handle.close()
                self.handle = None
                raise DnsopsError(
                    "another dnsops.tkey run (the renewal agent or Ansible) holds %s for more than %gs; "
                    "try again when it has finished" % (self.path, self.timeout)
                )
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None
