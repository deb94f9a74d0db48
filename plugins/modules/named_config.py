#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: named_config
short_description: Write dnsops.tkey's named configuration files, check the whole configuration, or put them back
version_added: 0.2.0
description:
  - Writes the files the roles own (a whole C(named.conf), or fragments an operator's own named.conf includes, zone
    files, C(rndc.conf)), each validated first if O(files[].validate) says how; then checks the whole configuration
    with C(named-checkconf -p O(named_conf)) (includes followed). If the configuration is invalid, or does not use
    the fragments as O(require) says, every file written is put back as it was and the module fails with the exact
    lines to add to the operator's configuration. named is not reloaded here; the roles do that afterwards.
  - With O(service), named (the unit O(service) names) is then started if it is not running, and enabled at boot, as
    M(ansible.builtin.service) with C(state=started enabled=true) would (the roles' full mode, in the same call).
  - Before anything is written, the operator's configuration is read as it is (includes followed where the files
    exist) - if it does not include a fragment where O(files[].include) says, or a zone lacks what O(require) says, or
    it uses views, the module fails naming the exact lines to add, and nothing changes. O(check_only) stops there
    (the roles do this first, before they make any key), returning what they need (RV(directory), RV(xfer_log)).
  - Every fragment the operator's named.conf may include (O(files[].include) V(top) or V(options)) always exists and
    loads. With O(check_only) (the roles' first step) one that does not exist yet is created with its
    O(files[].placeholder) before any message names it, and a failed write puts back the previous content, or the
    placeholder, never leaving an include that points at nothing (a named restart in between would fail).
  - A zone a fragment defines that the operator's own configuration defines too is refused before anything is
    written, in one line naming the zone ("zone already exists" would otherwise only come after writing).
  - C(named-checkconf -p) prints key secrets, so its output is never returned, logged or quoted.
  - "When C(named-checkconf) (or a O(files[].validate) command) refuses, its reason is shown, but a line about a file
    that is neither one of O(files) nor O(named_conf) without the words BIND quotes from it (for example
    C(/etc/bind/ops.key:3: missing ';' before '...')). An include can make BIND read any file, and BIND quotes the words
    it refuses, so a key's secret or the first line of another file never reaches the message."
author:
  - dnsops.tkey maintainers (@dnsops)
extends_documentation_fragment:
  - dnsops.tkey.attributes
options:
  named_conf:
    description: The configuration named reads; an absolute path without quotes, backslashes, C(;), braces or spaces.
    type: path
    default: /etc/bind/named.conf
  files:
    description: The files to write; only those whose content, mode, owner or group differ are written.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: The file; an absolute path without quotes, backslashes, C(;), braces or spaces (the roles write it
          into include statements).
        type: path
        required: true
      content:
        description: Its content (rendered on the controller); required unless O(check_only).
        type: str
        default: ""
      mode:
        description: Its mode, in octal; setuid, setgid and sticky bits and write access for others are refused.
        type: str
        default: "0640"
      owner:
        description: Its owner, a user name or numeric id.
        type: str
        default: root
      group:
        description: Its group, a group name or numeric id.
        type: str
        default: bind
      validate:
        description: A command that must accept the content before it is written, C(%s) standing for a temporary file.
        type: str
      include:
        description:
          - How the operator's configuration must use this fragment, checked after writing. V(top) (included at the top
            level of named.conf; the names it defines must be defined), V(options) (included inside C(options { })),
            or V(none).
        type: str
        default: none
        choices: [top, options, none]
      placeholder:
        description:
          - For a fragment the operator includes, harmless content named loads when the fragment does not exist yet
            (for example an ACL of C(none) for each name the operator's zones use). Written by O(check_only) when the
            file is missing, and put back instead of removing the file when a write fails.
        type: str
  require:
    description:
      - What the managed zones of the operator's configuration must say, checked after writing.
    type: list
    elements: dict
    default: []
    suboptions:
      zone:
        description: The zone.
        type: str
        required: true
      clause:
        description: The clause, for example V(allow-transfer), V(also-notify) or V(primaries).
        type: str
        required: true
      names:
        description: The names the clause must hold, in this order.
        type: list
        elements: str
        required: true
      hint:
        description: What to tell when the zone is missing (for example the include line of the file that defines it).
        type: str
  views:
    description: Whether the configuration may use views; V(false) refuses a configuration with views.
    type: bool
    default: false
  check_only:
    description:
      - Only check the operator's configuration (as it is) against O(files[].include) and O(require). Nothing is written
        but the O(files[].placeholder) of a fragment that does not exist yet (see above), and that only after the views
        check.
    type: bool
    default: false
  service:
    description:
      - The service of named (V(named) on Debian); when given, named is started if it is not running and enabled at
        boot after the files were written and checked (with systemd; without it, the init script starts it). Empty
        leaves named alone (the roles' include mode, where named is the operator's).
    type: str
    default: ""
    version_added: 1.1.0
"""

EXAMPLES = r"""
- name: Write the primary's fragments and check that named.conf uses them
  dnsops.tkey.named_config:
    files:
      - path: /etc/bind/dnsops-tkey/options.conf
        content: "{{ lookup('ansible.builtin.template', 'options.conf.j2') }}"
        include: options
    require:
      - zone: example.com
        clause: allow-transfer
        names: [dnsops-tkey-xfr-example.com]
"""

RETURN = r"""
started:
  description: Whether named was (or in check mode would be) started or enabled at boot, by O(service).
  returned: with O(service)
  type: bool
  version_added: 1.1.0
service_actions:
  description: What was done to O(service), for example V(["enable named", "start named"]); empty when nothing was.
  returned: with O(service)
  type: list
  elements: str
  version_added: 1.1.0
files:
  description: The files written (in check mode, to be written).
  returned: success
  type: list
  elements: str
directory:
  description: named's C(directory).
  returned: when the configuration could be read
  type: str
views:
  description: The views of the configuration.
  returned: when the configuration could be read
  type: list
  elements: str
xfer_log:
  description: The file named logs zone transfers (category C(xfer-in), else C(default)) to, or empty (syslog).
  returned: when the configuration could be read
  type: str
absent_files:
  description: The files of O(files) that did not exist before this task (with O(check_only); placeholders are written for
    those that have one).
  returned: with O(check_only)
  type: list
  elements: str
"""

import os
import re
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.dnsops.tkey.plugins.module_utils import _files, _module, _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError, OptionError
from ansible_collections.dnsops.tkey.plugins.module_utils._namedconf import Config, Tree, parse


def _differs(spec):
    if _files.read_text(spec["path"]) != spec["content"]:
        return True
    return not _files.attributes_match(spec["path"], int(spec["mode"], 8), spec["owner"], spec["group"])


def _snapshot(path):
    """(content, mode, uid, gid) of PATH, or None if it does not exist: what putting it back needs."""
    text = _files.read_text(path)
    if text is None:
        return None
    info = os.stat(path)
    return text, info.st_mode & 0o7777, info.st_uid, info.st_gid


# Where named-checkconf and named-checkzone say a problem is: "FILE:LINE: " (named-checkzone prefixes its own words).
_LOCATION_RE = re.compile(r"(?P<file>[^\s:][^\s]*?):(?P<line>[0-9]+): ")
_QUOTE_RE = re.compile(r"['\"]")
_PUNCTUATION = ("';'", "'{'", "'}'")  # BIND's own, which it quotes too: "missing ';' before 'WORD'"
_BIND_WORDS_RE = re.compile(r"^[ a-z]+$")
NOT_SHOWN = "quoted words of files this task does not write are not shown"


def _without_quoted_words(line):
    """LINE from its first quoted word to its last quote left out: "FILE:LINE: missing ';' before 'WORD'" ->
    "FILE:LINE: missing ';' before '...'". BIND's words come before the quoted one and, after it, at most a few
    lower-case ones ("'WORD' unexpected"), kept as they are."""
    position = 0
    while True:
        quote = _QUOTE_RE.search(line, position)
        if quote is None:
            return line
        if line[quote.start():quote.start() + 3] not in _PUNCTUATION:
            break
        position = quote.start() + 3
    tail = _QUOTE_RE.split(line)[-1]
    return line[:quote.start()].rstrip() + " '...'" + (tail if _BIND_WORDS_RE.match(tail) else "")


def checker_message(lines, trusted):
    """The lines of named-checkconf or named-checkzone as one line that may be shown, and whether words were left out.

    A line about a file of TRUSTED (the files this task writes, the configuration it was given) is shown whole; any
    other line without the words it quotes: an include (or $INCLUDE) can make BIND read any file, and BIND quotes the
    words it refuses, so otherwise the first line of /etc/passwd, or a key's secret, would be in the message. What stays
    says where and what: "/etc/passwd:1: unknown option '...'".
    """
    shown, left_out = [], False
    trusted = set(os.path.normpath(path) for path in trusted)
    for line in lines:
        location = _LOCATION_RE.search(line)
        if not (location and os.path.normpath(location.group("file")) in trusted):
            cleaned = _without_quoted_words(line)
            left_out = left_out or cleaned != line
            line = cleaned
        shown.append(line)
    return " ".join(" ".join(shown).split()), left_out


COMMAND_TIMEOUT = 120


def _run(module, argv):
    """(rc, stdout, stderr) of ARGV, run as it is (no shell, no ~ or $VAR expansion) and ended after COMMAND_TIMEOUT
    seconds (rc 124); OSError if it cannot start."""
    bound = ["timeout", str(COMMAND_TIMEOUT)] if module.get_bin_path("timeout") else []
    return module.run_command(bound + list(argv), expand_user_and_vars=False, handle_exceptions=False)


def _service(module, name):
    """NAME running, and started at boot: (whether anything changed or, in check mode, would, what was done)."""
    if os.path.isdir("/run/systemd/system"):
        active = _run(module, ["systemctl", "is-active", "--quiet", name])[0] == 0
        enabled = _run(module, ["systemctl", "is-enabled", "--quiet", name])[0] == 0
        commands = ([] if enabled else [["systemctl", "enable", name]]) + ([] if active else [["systemctl", "start", name]])
    else:  # no systemd: the init script, which Debian's packages enable at installation
        active = _run(module, ["service", name, "status"])[0] == 0
        commands = [] if active else [["service", name, "start"]]
    if not module.check_mode:
        for argv in commands:
            rc, out, err = _run(module, argv)
            if rc != 0:
                raise DnsopsError("%s failed (exit %d): %s; see journalctl -u %s, or named's log"
                                  % (" ".join(argv), rc, " ".join((err or out).split())[:300], name))
    return bool(commands), [" ".join(argv[1:]) if argv[0] == "systemctl" else "%s %s" % (argv[2], argv[1]) for argv in commands]


def _check_content(module, spec):
    if not spec.get("validate"):
        return
    if "%s" not in spec["validate"]:
        raise OptionError("validate for %s must contain %%s (the file to check)" % spec["path"])
    handle, temp = tempfile.mkstemp(prefix=".dnsops-tkey-validate.")
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(spec["content"])
        command = spec["validate"].replace("%s", temp).split()
        rc, out, err = _run(module, command)
    finally:
        os.unlink(temp)
    if rc != 0:
        said, left_out = checker_message((out + err).replace(temp, spec["path"]).splitlines(), [spec["path"]])
        raise DnsopsError("%s refused %s: %s%s" % (command[0], spec["path"], said or "exit %d" % rc,
                                                   " (%s)" % NOT_SHOWN if left_out else ""))


def read_config(module, named_conf, written=()):
    """The operator's whole configuration, or a DnsopsError with named-checkconf's reason (never its -p output).

    The reason quotes BIND's words only for NAMED_CONF and the files WRITTEN (checker_message)."""
    try:
        rc, out, err = _run(module, ["named-checkconf", "-p", named_conf])
    except OSError as exc:
        raise DnsopsError("cannot run named-checkconf (%s); install bind9-utils" % exc)
    if rc != 0:
        # without -p's output: the errors name files and lines, never a secret
        said = err.splitlines() + [line for line in out.splitlines() if re.match(r"^\S+:\d+: ", line)]
        errors = [line for line in said if "deprecated" not in line] or said[-1:]
        shown, left_out = checker_message(errors, [named_conf] + list(written))
        raise DnsopsError("named-checkconf %s refuses the configuration: %s%s"
                          % (named_conf, shown[:600], " (%s)" % NOT_SHOWN if left_out else ""))
    return Config(out)


def _missing(config, files, require, named_conf):
    """The lines the operator must add, one per missing use of a fragment. CONFIG is the printed configuration (after
    writing: the names the fragments define must be defined) or a Tree (before: the fragments must be included)."""
    lines = []
    for spec in files:
        if spec["include"] == "none":
            continue
        if isinstance(config, Tree):
            places = config.included_top if spec["include"] == "top" else config.included_in_options
            present = spec["path"] in places
        elif spec["include"] == "top":
            present = all(statement.name in config.defined(statement.keyword) for statement in parse(spec["content"])
                          if statement.keyword in ("acl", "primaries", "key"))
        else:
            present = all(config.option(statement.keyword) == statement.words[1:] for statement in parse(spec["content"]))
        if not present:
            where = "to %s" % named_conf if spec["include"] == "top" else "inside options { } of %s" % named_conf
            lines.append('add  include "%s";  %s' % (spec["path"], where))
    for item in require:
        found = config.zone_list(item["zone"], item["clause"])
        wanted = list(item["names"])
        if config.zone(item["zone"]) is None:
            line = item.get("hint") or 'add the zone "%s" (it is not in %s)' % (item["zone"], named_conf)
            if line not in lines and not (isinstance(config, Tree) and item.get("hint")):
                lines.append(line)
        elif found is None or [name for name in found if name in wanted] != wanted:
            lines.append('in zone "%s" { }, say  %s { %s };' % (item["zone"], item["clause"], " ".join('"%s";' % name for name in wanted)))
    return lines


def _place_holders(specs):
    """Write each spec's placeholder (the ones that have one); the paths written."""
    placed = []
    for spec in specs:
        if spec.get("placeholder") is None:
            continue
        directory = os.path.dirname(spec["path"])
        if not os.path.isdir(directory):
            _files.make_directory(directory, 0o755, group=None)
        _files.write_atomic(spec["path"], spec["placeholder"], mode=int(spec["mode"], 8), group=spec["group"], owner=spec["owner"])
        placed.append(spec["path"])
    return placed


def _clashes(tree, files, named_conf):
    """The zones a fragment would define that the operator's own configuration (TREE, without the fragments) defines."""
    lines = []
    for spec in files:
        if spec["include"] != "top":
            continue
        for statement in parse(spec["content"]):
            if statement.keyword == "zone" and statement.name and tree.zone(statement.name) is not None:
                lines.append('zone "%s" is in %s already, and dnsops.tkey would define it in %s: remove it from %s, or let '
                             "dnsops.tkey manage only its transfers (on a primary: list it in tkey_zones without records or "
                             "file; on a secondary: secondary_zone_statements: false)"
                             % (statement.name, named_conf, spec["path"], named_conf))
    return lines


def _refuse_views(config, params, named_conf):
    if config.views and not params["views"]:
        raise DnsopsError(
            "%s uses views (%s): a key negotiated by TKEY lives in the keyring of the view that answered the TKEY query, "
            "so TKEY and the transfers must reach the same view; dnsops.tkey does not support views yet"
            % (named_conf, ", ".join(config.views)))


def run(module):
    params = module.params
    files, named_conf = params["files"], _validate.path(params["named_conf"], "named_conf")
    for index, spec in enumerate(files):
        where = "files[%d]" % index
        spec["path"] = _validate.path(spec["path"], where + ".path")
        where = "%s (%s)" % (where, spec["path"])
        _validate.file_mode(spec["mode"], where + ".mode")
        _validate.account(spec["owner"], where + ".owner")
        _validate.account(spec["group"], where + ".group")
        if not params["check_only"] and spec["include"] != "none" and not spec["content"].strip():
            raise OptionError("%s is empty; a fragment must define something" % spec["path"])
    absent = [spec["path"] for spec in files if not os.path.lexists(spec["path"])]
    writes_named_conf = any(os.path.abspath(spec["path"]) == os.path.abspath(named_conf) for spec in files)
    placed = []
    # the operator's configuration as it is: does it use the fragments? (nothing else has been written yet)
    tree = None
    if not writes_named_conf and os.path.exists(named_conf):
        tree = Tree(named_conf, skip=[spec["path"] for spec in files])
        _refuse_views(tree, params, named_conf)  # before anything is made
    if params["check_only"] and not module.check_mode and not writes_named_conf:
        # every fragment a message below may name exists, and loads, before the message: the operator adds the line,
        # and named restarts fine even if no run ever succeeds
        placed = _place_holders([spec for spec in files if spec["path"] in absent])
    if tree is not None:
        missing = _clashes(tree, files, named_conf) + _missing(tree, files, params["require"], named_conf)
        if missing:
            made = (" (nothing else was changed; made %s, which load as they are)" % ", ".join(placed) if placed
                    else " (nothing was changed)")
            raise DnsopsError("%s does not use dnsops.tkey's files yet; %s%s" % (named_conf, "; ".join(missing), made))
    if params["check_only"]:
        try:
            config = read_config(module, named_conf, [spec["path"] for spec in files])
        except DnsopsError:
            config = Tree(named_conf)  # its includes of the fragments point at files that do not exist yet
        return dict(changed=bool(placed), files=placed, directory=config.directory, views=config.views,
                    xfer_log=config.log_file("xfer-in") or "", absent_files=absent)
    changed = [spec for spec in files if _differs(spec)]
    for spec in changed:
        _check_content(module, spec)
    result = dict(changed=bool(changed), files=[spec["path"] for spec in changed])
    if module._diff:
        result["diff"] = [dict(before_header=spec["path"], after_header=spec["path"], before=_files.read_text(spec["path"]) or "",
                               after=spec["content"]) for spec in changed]
    if module.check_mode and changed:
        if params["service"]:
            started, done = _service(module, params["service"])
            result.update(started=started, service_actions=done)
        return result  # the whole configuration can only be checked with the files in place
    previous = dict((spec["path"], _snapshot(spec["path"])) for spec in changed)
    try:
        for spec in changed:
            directory = os.path.dirname(spec["path"])
            if not os.path.isdir(directory):
                _files.make_directory(directory, 0o755, group=None)
            _files.write_atomic(spec["path"], spec["content"], mode=int(spec["mode"], 8), group=spec["group"], owner=spec["owner"])
        config = read_config(module, named_conf, [spec["path"] for spec in files])
        _refuse_views(config, params, named_conf)
        missing = _missing(config, files, params["require"], named_conf)
        if missing:
            raise DnsopsError("%s does not use dnsops.tkey's files yet; %s" % (named_conf, "; ".join(missing)))
    except (DnsopsError, IOError, OSError) as exc:
        placeholders = dict((spec["path"], spec) for spec in files if spec.get("placeholder") is not None)
        for path, snapshot in previous.items():
            if snapshot is None and path in placeholders:
                _place_holders([placeholders[path]])  # named.conf may include it: never an include pointing at nothing
            elif snapshot is None:
                _files.remove(path)
            else:
                text, mode, uid, gid = snapshot
                _files.write_atomic(path, text, mode=mode, owner=uid, group=gid)
        if isinstance(exc, DnsopsError):
            raise DnsopsError("%s%s" % (exc, " (the files written were put back)" if changed else ""))
        raise DnsopsError("cannot write %s: %s" % (getattr(exc, "filename", ""), exc.strerror or exc))
    result.update(directory=config.directory, views=config.views, xfer_log=config.log_file("xfer-in") or "")
    if params["service"]:
        started, done = _service(module, params["service"])
        result.update(started=started, service_actions=done, changed=result["changed"] or started)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            named_conf=dict(type="path", default="/etc/bind/named.conf"),
            files=dict(type="list", elements="dict", default=[], options=dict(
                path=dict(type="path", required=True),
                content=dict(type="str", default=""),
                mode=dict(type="str", default="0640"),
                owner=dict(type="str", default="root"),
                group=dict(type="str", default="bind"),
                validate=dict(type="str"),
                include=dict(type="str", default="none", choices=["top", "options", "none"]),
                placeholder=dict(type="str"),
            )),
            require=dict(type="list", elements="dict", default=[], options=dict(
                zone=dict(type="str", required=True),
                clause=dict(type="str", required=True),
                names=dict(type="list", elements="str", required=True),
                hint=dict(type="str"),
            )),
            views=dict(type="bool", default=False),
            check_only=dict(type="bool", default=False),
            service=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    _module.guarded_run(module, run)


if __name__ == "__main__":
    main()
