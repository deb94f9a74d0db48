# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""What the modules share on the Ansible side: option specs, dependency and error handling, file writing."""

from __future__ import annotations

import grp
import os
import re
import tempfile
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dnsops.tkey.plugins.module_utils import _deps
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import ALGORITHMS

SERVER_ARGS = dict(
    server=dict(type="str", required=True),
    port=dict(type="int", default=53),
    transport=dict(type="str", default="tcp", choices=["tcp", "udp"]),
    timeout=dict(type="float", default=10.0),
)

TSIG_ARGS = dict(
    tsig_key_name=dict(type="str"),
    tsig_key_secret=dict(type="str", no_log=True),
    tsig_key_algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
    tsig_key_file=dict(type="path"),
)

DEFAULT_MODE = "0640"
DEFAULT_GROUP = "bind"

_DURATION_RE = re.compile(r"(\d+)\s*([wdhms]?)", re.I)
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "": 1}


def require_libraries(module, *libraries):
    """fail_json with install advice unless every named library is importable and recent enough."""
    for library in libraries:
        found = _deps.problem(library)
        if found is None:
            continue
        name, minimum, version, package = found
        if version is None:
            module.fail_json(
                msg=missing_required_lib("%s >= %s" % (name, minimum)) + " (on Debian: apt-get install %s)" % package,
                exception=_import_traceback(name),
            )
        module.fail_json(
            msg="%s %s is too old on %s; dnsops.tkey needs %s >= %s (Debian 12's %s or newer)"
            % (name, version, module._name, name, minimum, package)
        )


def _import_traceback(library):
    try:
        __import__("dns.message" if library == "dnspython" else "cryptography.hazmat.primitives.asymmetric.dh")
    except ImportError:
        return traceback.format_exc()
    return None


def parse_duration(value, option):
    """Seconds from 3600, '3600', '30d', '12h', '1d12h', '2w'; ValueError naming OPTION otherwise."""
    text = str(value).strip()
    if not text:
        raise ValueError("%s is empty; give seconds or a duration such as '30d' or '12h'" % option)
    total, position = 0, 0
    for match in _DURATION_RE.finditer(text):
        if text[position:match.start()].strip():
            break
        total += int(match.group(1)) * _UNITS[match.group(2).lower()]
        position = match.end()
    if position == 0 or text[position:].strip():
        raise ValueError("%s %r is not a duration; give seconds or a value such as '30d', '12h' or '1d12h'" % (option, text))
    return total


def file_args(module, path):
    """The module's owner/group/mode for PATH, with the collection's defaults for key files.

    Defaults: mode 0640; group bind for a new file where that group exists, so named (which runs as
    bind) can read it while other users cannot.
    """
    args = module.load_file_common_arguments(module.params, path=path)
    if args.get("mode") is None:
        args["mode"] = DEFAULT_MODE
    if args.get("group") is None and not os.path.exists(path):
        try:
            grp.getgrnam(DEFAULT_GROUP)
            args["group"] = DEFAULT_GROUP
        except KeyError:
            pass
    return args


def write_file(module, path, content):
    """Write CONTENT to PATH atomically: a temporary file in the same directory, then a rename.

    The temporary file is created 0600 and gets its final owner, group and mode before the rename,
    so a secret is never readable by anyone else, not even for a moment (ansible's atomic_move
    makes new files 0644 first). Return True: the content was written.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValueError("directory %s does not exist; create it first (e.g. with ansible.builtin.file)" % directory)
    args = file_args(module, path)
    handle, temp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        temp_args = dict(args, path=temp)
        module.set_fs_attributes_if_different(temp_args, True)
        os.replace(temp, path)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return True


def ensure_attributes(module, path, changed):
    """Apply owner/group/mode to an existing PATH whose content is already right."""
    return module.set_fs_attributes_if_different(file_args(module, path), changed)


def read_text(path):
    """The content of PATH, or None if it does not exist."""
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError) as exc:
        if not os.path.exists(path):
            return None
        raise ValueError("cannot read %s: %s" % (path, exc.strerror or exc))
