# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""Files written and read as root, safely in any directory: the one helper every writer uses (modules, engine, agent).

- A file is written through a temporary file in its own directory, opened relative to that directory (dir_fd,
  O_NOFOLLOW, O_EXCL); owner, group and mode are set on the open descriptor (fchown/fchmod) before the rename, so
  no name is ever followed to another file, and a secret is never readable by others, not even for a moment.
- The directory is reached from / one component at a time without following a symbolic link that another account
  could have placed; every directory on the way must be one that only root (or, for key files, also the bind group)
  can change: otherwise another account could swap what is written for a link to /etc/shadow. Such a directory is
  refused in one line.
- The directory is fsynced after the rename; temporary files of this naming left by a killed run are removed on the
  next write to the same file (they may hold a secret).
- Reads are bounded and of regular files only: a log replaced by a link to /dev/zero costs an error, not the memory.
Pure Python (standard library only), for the agent on hosts without ansible-core.
"""

from __future__ import annotations

import errno
import fcntl
import grp
import os
import pwd
import re
import stat
import time

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, UnsafePathError

KEY_MODE = 0o640
KEY_GROUP = "bind"
# Every file dnsops.tkey reads whole (keys, state, its own fragments) is far smaller: a bound on memory, not a format.
READ_LIMIT = 16 << 20
_MAX_LINKS = 40
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_TEMP_SUFFIX = ".tmp"


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


def _user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return "uid %d" % uid


def _group_name(gid):
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return "gid %d" % gid


def _has_acl(fd):
    """Whether the directory FD carries a POSIX access ACL (which may let other accounts write, whatever its mode)."""
    try:
        return bool(os.getxattr(fd, "system.posix_acl_access"))
    except (OSError, AttributeError):
        return False  # no ACL, or no extended attributes here


def _why_untrusted(info, final, trusted_gids, fd=None):
    """Why another account could change what is in a directory with stat INFO, or None."""
    if info.st_uid not in (0, os.geteuid()):
        return "is owned by %s" % _user_name(info.st_uid)
    if info.st_mode & stat.S_IWGRP and info.st_gid not in trusted_gids:
        return "is writable by the group %s" % _group_name(info.st_gid)
    if info.st_mode & stat.S_IWOTH and (final or not info.st_mode & stat.S_ISVTX):
        return "is writable by everyone"
    if fd is not None and _has_acl(fd):
        return "has an access ACL (getfacl shows who else may write there)"
    return None


def _trusted_gids(group):
    gids = {0}
    if os.geteuid() != 0:
        gids.add(os.getegid())
    return gids, ({_group_id(group)} - {-1})


def open_directory(directory, group=None, create_mode=None, purpose="write"):
    """A descriptor of DIRECTORY, reached from / without following a link that another account could have placed.

    Every directory on the way must be changeable by root (and this process's user) only; the last one may also be
    writable by GROUP (the bind group, for key files). Missing components are made with CREATE_MODE when given.
    Raise UnsafePathError (one line) for a directory another account controls, DnsopsError for other failures.
    """
    directory = os.path.abspath(directory)
    base_gids, final_gids = _trusted_gids(group)
    pending = [part for part in directory.split("/") if part]
    walked = "/"
    try:
        fd = os.open("/", _DIR_FLAGS)
    except OSError as exc:
        raise DnsopsError("cannot open /: %s" % exc.strerror)
    links = 0
    try:
        while True:
            final = not pending
            reason = _why_untrusted(os.fstat(fd), final, base_gids | (final_gids if final else set()), fd)
            if reason is not None:
                raise UnsafePathError(
                    "refusing to %s in %s as root: %s %s, so another account could replace what is written there; "
                    "use a directory that only root can change" % (purpose, directory, walked, reason))
            if final:
                return fd
            name = pending.pop(0)
            if name in (".", ".."):  # abspath and normpath leave none; never walk up
                continue
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                if exc.errno == errno.ENOENT and create_mode is not None:
                    os.mkdir(name, create_mode, dir_fd=fd)
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                    os.fchmod(child, create_mode)  # mkdir applies the umask
                elif exc.errno in (errno.ELOOP, errno.ENOTDIR) and stat.S_ISLNK(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    # a link is followed only if root (or we) made it: in a sticky directory such as /tmp, others may
                    # place links they own (the kernel's protected_symlinks rule)
                    owner = os.stat(name, dir_fd=fd, follow_symlinks=False).st_uid
                    if owner not in (0, os.geteuid()):
                        raise UnsafePathError(
                            "refusing to %s in %s as root: %s is a symbolic link owned by %s; use a directory that only "
                            "root can change" % (purpose, directory, os.path.join(walked, name), _user_name(owner)))
                    links += 1
                    if links > _MAX_LINKS:
                        raise DnsopsError("too many symbolic links in %s" % directory)
                    target = os.readlink(name, dir_fd=fd)
                    joined = os.path.normpath(os.path.join(walked, target))
                    pending = [part for part in joined.split("/") if part] + pending
                    walked = "/"
                    os.close(fd)
                    fd = os.open("/", _DIR_FLAGS)
                    continue
                else:
                    raise
            os.close(fd)
            fd = child
            walked = os.path.join(walked, name)
    except UnsafePathError:
        os.close(fd)
        raise
    except DnsopsError:
        os.close(fd)
        raise
    except OSError as exc:
        os.close(fd)
        if exc.errno == errno.ENOENT:
            raise DnsopsError("cannot %s in %s: it does not exist" % (purpose, directory))
        raise DnsopsError("cannot %s in %s: %s" % (purpose, directory, exc.strerror or exc))


def check_directory(directory, group=None, purpose="write"):
    """Raise (one line) unless DIRECTORY exists and only root (and GROUP) can change it and every directory above it."""
    os.close(open_directory(directory, group=group, purpose=purpose))


def _read_at(dir_fd, name, limit=READ_LIMIT, path=None):
    """(bytes, stat) of the regular file NAME in DIR_FD, (None, None) if it does not exist, ('link', stat) for a link."""
    path = path or name
    try:
        fd = os.open(name, _READ_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return None, None
        if exc.errno == errno.ELOOP:
            return "link", os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        raise DnsopsError("cannot read %s: %s; check its permissions" % (path, exc.strerror or exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DnsopsError("%s is not a regular file; dnsops.tkey reads and writes only regular files there" % path)
        if info.st_size > limit:
            raise DnsopsError("%s is larger than %d bytes, which no file dnsops.tkey reads is; check what it is" % (path, limit))
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise DnsopsError("%s is larger than %d bytes, which no file dnsops.tkey reads is; check what it is" % (path, limit))
        return data, info
    finally:
        os.close(fd)


def _decode(data, path):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DnsopsError("%s is not UTF-8 text; move it away and run again" % path)


def read_text(path, limit=READ_LIMIT, follow=False):
    """The content of PATH (a regular file, not a link, at most LIMIT bytes), or None if it does not exist.

    FOLLOW: PATH may be a link (an operator's own configuration files), still only to a regular file of at most LIMIT.
    """
    if follow and os.path.islink(path):
        path = os.path.realpath(path)
    directory, name = os.path.split(os.path.abspath(path))
    try:
        dir_fd = os.open(directory, _DIR_FLAGS)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        if exc.errno == errno.ELOOP:  # a linked directory (/etc/bind -> ...): reading through it is harmless
            try:
                dir_fd = os.open(os.path.realpath(directory), _DIR_FLAGS)
            except OSError as again:
                raise DnsopsError("cannot read %s: %s; check its permissions" % (path, again.strerror or again))
        else:
            raise DnsopsError("cannot read %s: %s; check its permissions" % (path, exc.strerror or exc))
    try:
        data, _info = _read_at(dir_fd, name, limit, path)
    finally:
        os.close(dir_fd)
    if data == "link":
        raise DnsopsError("%s is a symbolic link; dnsops.tkey reads only regular files there: replace it with the file itself" % path)
    return None if data is None else _decode(data, path)


def read_tail(path, offset, limit):
    """(bytes of the regular file PATH from OFFSET, at most LIMIT of them; the offset they start at).

    A file shorter than OFFSET was rotated: it is read from its start. For logs another account owns: never a link,
    a device or a FIFO, never more than LIMIT bytes at once.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DnsopsError("%s is a symbolic link; set the log file itself" % path)
        raise DnsopsError("cannot read %s: %s" % (path, exc.strerror or exc))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DnsopsError("%s is not a regular file; set the log file named writes" % path)
        if info.st_size < offset:
            offset = 0
        os.lseek(fd, offset, os.SEEK_SET)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), offset
    finally:
        os.close(fd)


def size_of(path):
    """The size of the regular file PATH (0 when it is missing or not a regular file)."""
    try:
        info = os.stat(path, follow_symlinks=False)
    except (OSError, TypeError):
        return 0
    return info.st_size if stat.S_ISREG(info.st_mode) else 0


def make_directory(path, mode, group=KEY_GROUP):
    """Create PATH (root, GROUP, MODE) and its missing parents, in directories only root can change; an existing
    directory is left as it is (but must be one only root, or GROUP, can change)."""
    existed = os.path.isdir(path)
    fd = open_directory(path, group=group, create_mode=None if existed else mode, purpose="create a directory")
    try:
        if not existed and os.geteuid() == 0:
            os.fchown(fd, 0, _group_id(group))
    finally:
        os.close(fd)


def _temp_pattern(name):
    return re.compile(r"^\.%s\.[A-Za-z0-9_]{8}%s$" % (re.escape(name), re.escape(_TEMP_SUFFIX)))


def _temp_name(name):
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_"
    return ".%s.%s%s" % (name, "".join(alphabet[byte % len(alphabet)] for byte in os.urandom(8)), _TEMP_SUFFIX)


_ANY_TEMP_RE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}%s$" % re.escape(_TEMP_SUFFIX))
STALE_AFTER = 600


def _remove_stale_temps(dir_fd, name):
    """Temporary files left by a killed run (they may hold a secret): NAME's at once, those of other files (key files
    with a new name each time) once they are older than any write takes (STALE_AFTER seconds)."""
    pattern = _temp_pattern(name)
    now = time.time()
    for entry in os.listdir(dir_fd):
        if pattern.match(entry) or _ANY_TEMP_RE.match(entry):
            try:
                info = os.stat(entry, dir_fd=dir_fd, follow_symlinks=False)
                if pattern.match(entry) or now - info.st_mtime > STALE_AFTER:
                    os.unlink(entry, dir_fd=dir_fd)
            except OSError:
                pass


def _matches(info, mode, owner, group):
    if info.st_mode & 0o7777 != mode:
        return False
    if os.geteuid() != 0:
        return True
    uid, gid = _user_id(owner), _group_id(group)
    return (uid < 0 or info.st_uid == uid) and (gid < 0 or info.st_gid == gid)


def write_atomic(path, content, mode=KEY_MODE, group=KEY_GROUP, owner="root"):
    """Write CONTENT to PATH through a temporary file in the same directory, given MODE, OWNER and GROUP (names or
    ids; None keeps the writer's) on its descriptor before the rename; the directory is fsynced after it.

    Readers see the old file or the new one, never a part, and a secret is never readable by others, not even
    for a moment. The temporary name starts with '.' and does not end like PATH (a textfile collector that
    reads '*.prom' never sees it). Return True if anything changed. PATH's directory must exist and be one only
    root (and, for files of the bind group, that group) can change.
    """
    directory, name = os.path.split(os.path.abspath(path))
    data = content.encode("utf-8") if isinstance(content, str) else content
    dir_fd = open_directory(directory, group=group if _group_id(group) == _group_id(KEY_GROUP) else None)
    temp = None
    try:
        _remove_stale_temps(dir_fd, name)
        current, info = _read_at(dir_fd, name, max(READ_LIMIT, len(data)), path)
        if current == data and _matches(info, mode, owner, group):
            return False
        temp = _temp_name(name)
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dir_fd)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if os.geteuid() == 0:
                os.fchown(fd, _user_id(owner), _group_id(group))
            os.fchmod(fd, mode)
            os.fsync(fd)
            os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            temp = None
            written, placed = os.fstat(fd), os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        finally:
            os.close(fd)
        if (written.st_dev, written.st_ino) != (placed.st_dev, placed.st_ino):
            # only another root process can swap names here; never leave what it put in our file's place
            os.unlink(name, dir_fd=dir_fd)
            raise DnsopsError("%s was replaced by another process while it was written; nothing was written, run again" % path)
        os.fsync(dir_fd)
        return True
    except OSError as exc:
        raise DnsopsError("cannot write %s: %s; check that its directory is writable" % (path, exc.strerror or exc))
    finally:
        if temp is not None:
            try:
                os.unlink(temp, dir_fd=dir_fd)
            except OSError:
                pass
        os.close(dir_fd)


def remove_anywhere(path):
    """Remove the file PATH where another account may control a directory on the way (a metrics file an earlier
    release wrote there): no link is followed at any step, so what is removed lies where PATH says; True if it existed."""
    parts = [part for part in os.path.abspath(path).split("/") if part]
    try:
        fd = os.open("/", _DIR_FLAGS)
    except OSError:
        return False
    try:
        for part in parts[:-1]:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        if stat.S_ISDIR(os.stat(parts[-1], dir_fd=fd, follow_symlinks=False).st_mode):
            raise DnsopsError("cannot remove %s: it is a directory" % path)
        os.unlink(parts[-1], dir_fd=fd)
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.ELOOP):
            return False
        raise DnsopsError("cannot remove %s: %s" % (path, exc.strerror or exc))
    finally:
        os.close(fd)


def remove(path):
    """Remove the file PATH (not following a link) from a directory only root can change; True if it existed."""
    directory, name = os.path.split(os.path.abspath(path))
    try:
        dir_fd = open_directory(directory, group=KEY_GROUP, purpose="remove a file")
    except DnsopsError:
        if not os.path.lexists(path):
            return False
        raise
    try:
        os.unlink(name, dir_fd=dir_fd)
        os.fsync(dir_fd)
        return True
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            return False
        raise DnsopsError("cannot remove %s: %s" % (path, exc.strerror or exc))
    finally:
        os.close(dir_fd)


def attributes_match(path, mode, owner="root", group=KEY_GROUP):
    """Whether PATH (not a link) has MODE, and (when we are root and they exist here) OWNER and GROUP."""
    info = os.stat(path, follow_symlinks=False)
    return stat.S_ISREG(info.st_mode) and _matches(info, mode, owner, group)


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
        directory, name = os.path.split(os.path.abspath(self.path))
        try:
            dir_fd = open_directory(directory, create_mode=0o750 if self.create else None, purpose="take the run lock")
            try:
                flags = (os.O_RDWR | os.O_CREAT if self.create else os.O_RDONLY) | os.O_NOFOLLOW | os.O_CLOEXEC
                self.handle = os.open(name, flags, 0o600, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
        except UnsafePathError:
            raise
        except (DnsopsError, IOError, OSError) as exc:
            raise DnsopsError("cannot open the run lock %s: %s; run as root (become: true)" % (self.path, getattr(exc, "strerror", None) or exc))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except (IOError, OSError) as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self.handle)
                self.handle = None
                raise DnsopsError(
                    "another dnsops.tkey run (the renewal agent or Ansible) holds %s for more than %gs; "
                    "try again when it has finished" % (self.path, self.timeout)
                )
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            os.close(self.handle)
            self.handle = None
