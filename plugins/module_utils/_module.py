# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# PRIVATE to this collection: no compatibility promise for code outside dnsops.tkey.

"""What the modules share on the Ansible side: option specs and their parsing, the guarded runner,
dependency checks and file writing.
"""

from __future__ import annotations

import grp
import os
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.dnsops.tkey.plugins.module_utils import _deps, _files, _tkey
from ansible_collections.dnsops.tkey.plugins.module_utils._dhkey import DHKey, load_key
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DHKeyError, DnsopsError, OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._keyfile import ALGORITHMS, check_secret, read_key_file
from ansible_collections.dnsops.tkey.plugins.module_utils._tkey import key_from_statement, tsig_key
from ansible_collections.dnsops.tkey.plugins.module_utils._transport import Server

SERVER_ARGS = dict(
    server=dict(type="str", required=True),
    port=dict(type="int", default=53),
    transport=dict(type="str", default="tcp", choices=["tcp", "udp"]),
    timeout=dict(type="float", default=10.0),
    signal_zone=dict(type="str"),
    allow_hidden_version=dict(type="bool", default=False),
)

TSIG_ARGS = dict(
    tsig_key_name=dict(type="str"),
    tsig_key_secret=dict(type="str", no_log=True),
    tsig_key_algorithm=dict(type="str", default="hmac-sha256", choices=sorted(ALGORITHMS)),
    tsig_key_file=dict(type="path"),
)

DEFAULT_MODE = "0640"
DEFAULT_GROUP = "bind"


def guarded_run(module, run):
    """exit_json(**run(module)); a DnsopsError becomes a one-line failure, anything else a bug with its traceback."""
    try:
        result = run(module)
    except DnsopsError as exc:
        module.fail_json(msg=str(exc), **exc.result)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        module.fail_json(
            msg="%s failed unexpectedly, a bug in dnsops.tkey: %s: %s; please report it with the traceback that "
            "ANSIBLE_DISPLAY_TRACEBACK=error (or -vvv before ansible-core 2.19) shows" % (module._name, type(exc).__name__, exc),
            exception=traceback.format_exc(),
        )
    module.exit_json(**result)


def hide(module, *secrets):
    """Mask SECRETS in everything the module returns (messages and tracebacks included), as no_log options are."""
    for secret in secrets:
        if secret:
            module.no_log_values.add(str(secret))


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


# --- options shared by several modules -------------------------------------------------------------

def server_from_params(params):
    """The _transport.Server of the server, port, transport and timeout options."""
    if not params.get("server"):
        raise OptionError("server is empty; give the primary's address")
    port, timeout = params["port"], params["timeout"]
    if not 0 < port < 65536:
        raise OptionError("port %d is not a port number (1-65535)" % port)
    if timeout <= 0:
        raise OptionError("timeout must be a positive number of seconds, not %g" % timeout)
    return Server(params["server"], port, params["transport"], timeout)


def credential_from_params(module, prefix="tsig_key"):
    """The dnspython key of <prefix>_file, or of <prefix>_name + _secret + _algorithm; None if neither is given.

    A secret read from a file is hidden from the module's output at once.
    """
    params = module.params
    path, name, secret = params.get(prefix + "_file"), params.get(prefix + "_name"), params.get(prefix + "_secret")
    if path:
        statement = read_key_file(path, name)
        hide(module, statement.secret)
        return key_from_statement(statement)
    if name and secret:
        check_secret(secret, "%s_secret of key %s" % (prefix, name))
        return tsig_key(name, secret, params.get(prefix + "_algorithm") or "hmac-sha256")
    return None


def server_key_from_param(value, option="server_public_key"):
    """The server's public DH key from the text of its K*.key file, or from that file's path or base name."""
    text = str(value).strip()
    tokens = text.split()
    if len(tokens) >= 5 and "KEY" in (token.upper() for token in tokens[:4]):
        try:
            return DHKey.from_texts(text, source=option)
        except DHKeyError as exc:
            raise OptionError("%s is not a DH KEY record (%s); give the content or path of the server's K*.key" % (option, exc))
    if os.path.exists(text) or os.path.exists(text + ".key"):
        try:
            return load_key(text, private=False)
        except DHKeyError as exc:
            raise OptionError("%s: %s" % (option, exc))
    raise OptionError("%s is neither a KEY record nor an existing K*.key file: %r" % (option, text[:200]))


def refuse_unsafe_server(params, server, credential, negotiate=True):
    """No TKEY query unless the server says, now, that it runs BIND 9.18: its signal (signal_zone, asked signed with
    CREDENTIAL), else its version.bind; a hidden version only with allow_hidden_version."""
    signal = (params["signal_zone"], credential) if params.get("signal_zone") else None
    _tkey.refuse_unsafe_server(server, signal=signal, allow_hidden=params.get("allow_hidden_version"), negotiate=negotiate)


def require_directory_of(module, path, option):
    """An OptionError unless the directory PATH goes into exists.

    In check mode a missing directory is accepted: an earlier task of the same run would make it.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) and not module.check_mode:
        raise OptionError("the directory of %s %s does not exist; create it first (e.g. with ansible.builtin.file)" % (option, path))


# --- files -----------------------------------------------------------------------------------------

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


def _octal_mode(mode):
    """MODE as an int when it is one or an octal string ('0640'), else None (a symbolic mode such as 'u=rw,g=r')."""
    if isinstance(mode, int):
        return mode
    try:
        return int(str(mode), 8)
    except ValueError:
        return None


def write_file(module, path, content):
    """Write CONTENT to PATH atomically through _files.write_atomic (the one writer of the collection): a temporary
    file in the same directory, reached without following links, given its owner, group and mode on its descriptor
    before the rename, in a directory only root (or the bind group) can change.

    A symbolic mode (or SELinux attributes) is applied to the final file afterwards, by name: safe, since no other
    account can replace it in such a directory. The caller has checked that the directory exists.
    """
    args = file_args(module, path)
    mode = _octal_mode(args["mode"])
    owner, group = args.get("owner"), args.get("group")
    if owner is None or group is None:  # not given: an existing file keeps its own (root:bind, so named can read it)
        try:
            info = os.stat(path, follow_symlinks=False)
            owner = info.st_uid if owner is None else owner
            group = info.st_gid if group is None else group
        except OSError:
            pass
    _files.write_atomic(path, content, mode=0o600 if mode is None else mode, owner=owner, group=group)
    module.set_fs_attributes_if_different(args, True)


def ensure_attributes(module, path, diff=None):
    """Give an existing PATH whose content is right its owner/group/mode; True if they differed.

    In check mode nothing is changed and a difference is only reported, as a real run would make it.
    DIFF (a dict with 'before' and 'after') receives the attributes that differ.
    """
    return module.set_fs_attributes_if_different(file_args(module, path), False, diff=diff)


def read_text(path):
    """The content of PATH (a regular file of at most 1 MiB, not a link), or None if it does not exist."""
    try:
        return _files.read_text(path)
    except DnsopsError as exc:
        raise OptionError(str(exc))
