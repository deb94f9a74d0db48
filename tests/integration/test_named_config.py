# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""named_config against an operator's own named.conf, checked by the real named-checkconf -p (BIND 9.18)."""

from __future__ import annotations

import os
import re

import pytest

from tests.support.files import tree_digest
from tests.support.named import run

ZONE = """$TTL 300
@ IN SOA ns hostmaster 1 3600 600 86400 300
@ IN NS ns
ns IN A 192.0.2.1
"""


@pytest.fixture
def operator(tmp_path):
    """An operator's configuration: named.conf with a zone of their own and a key, including two dnsops.tkey fragments."""
    etc = tmp_path / "etc"
    (etc / "dnsops-tkey").mkdir(parents=True)
    secret = re.search(r'secret "([^"]+)"', run(["tsig-keygen", "-a", "hmac-sha256", "ops-key"]).stdout).group(1)
    (etc / "ops.key").write_text('key "ops-key" { algorithm hmac-sha256; secret "%s"; };\n' % secret)
    (etc / "db.mine").write_text(ZONE)
    (etc / "db.example").write_text(ZONE)
    conf = etc / "named.conf"
    conf.write_text("""include "{etc}/ops.key";
include "{etc}/dnsops-tkey/primary.conf";
options {{
  directory "{etc}";
  recursion no;
  include "{etc}/dnsops-tkey/options.conf";
}};
zone "mine.test" {{ type primary; file "{etc}/db.mine"; allow-transfer {{ key "ops-key"; }}; }};
zone "example.test" {{
  type primary; file "{etc}/db.example";
  allow-transfer {{ "dnsops-tkey-xfr-example.test"; }};
  also-notify {{ "dnsops-tkey-notify-example.test"; }};
}};
""".format(etc=etc))
    return dict(etc=str(etc), conf=str(conf), secret=secret)


def _args(operator, **changes):
    etc = operator["etc"]
    files = [
        dict(path=etc + "/dnsops-tkey/options.conf", content='tkey-domain "p1.tkey";\n', include="options", group="root"),
        dict(path=etc + "/dnsops-tkey/primary.conf", group="root", include="top", content=(
            'acl "dnsops-tkey-xfr-example.test" { key "ops-key"; };\n'
            'primaries "dnsops-tkey-notify-example.test" { 192.0.2.2; };\n')),
    ]
    args = dict(named_conf=operator["conf"], files=files, require=[
        dict(zone="example.test", clause="allow-transfer", names=["dnsops-tkey-xfr-example.test"]),
        dict(zone="example.test", clause="also-notify", names=["dnsops-tkey-notify-example.test"]),
    ])
    args.update(changes)
    return args


def _clean_failure(failed, result, out, fragment):
    assert failed, out
    assert fragment in result["msg"], result["msg"]
    assert "\n" not in result["msg"] and "Traceback" not in out


def test_fragments_written_checked_and_idempotent(ansible_venv, operator):
    failed, result, out = ansible_venv.module("named_config", _args(operator), diff=True)
    assert not failed, out
    assert result["changed"] and len(result["files"]) == 2
    assert result["directory"] == operator["etc"] and result["views"] == [] and result["xfer_log"] == ""
    failed, again, out = ansible_venv.module("named_config", _args(operator))
    assert not failed and not again["changed"], out


def test_read_only_use_returns_what_the_roles_need_and_never_a_secret(ansible_venv, operator):
    ansible_venv.module("named_config", _args(operator))
    failed, result, out = ansible_venv.module("named_config", dict(named_conf=operator["conf"]))
    assert not failed and not result["changed"] and result["directory"] == operator["etc"], out
    assert operator["secret"] not in out


def test_a_missing_include_line_fails_naming_it_before_anything_is_written(ansible_venv, operator):
    conf = open(operator["conf"]).read()
    with open(operator["conf"], "w") as handle:
        handle.write(conf.replace('  include "%s/dnsops-tkey/options.conf";\n' % operator["etc"], ""))
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", dict(_args(operator), files=_args(operator)["files"][1:]))
    assert not failed, out  # without the options fragment nothing is missing
    failed, result, out = ansible_venv.module("named_config", _args(operator))
    _clean_failure(failed, result, out, 'add  include "%s/dnsops-tkey/options.conf";  inside options { }' % operator["etc"])
    assert "nothing was changed" in result["msg"]
    assert os.path.exists(operator["etc"] + "/dnsops-tkey/primary.conf")  # written by the successful run before
    assert not os.path.exists(operator["etc"] + "/dnsops-tkey/options.conf")
    assert before == {k: v for k, v in tree_digest(operator["etc"]).items() if "primary.conf" not in k}
    assert operator["secret"] not in out


def test_check_only_before_the_first_run_says_what_is_missing_or_returns_named_s_directory(ansible_venv, operator):
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", dict(_args(operator), check_only=True))
    assert not failed and not result["changed"] and result["directory"] == operator["etc"], out
    assert tree_digest(operator["etc"]) == before  # the fragments do not exist yet, and still do not
    conf = open(operator["conf"]).read()
    with open(operator["conf"], "w") as handle:
        handle.write(conf.replace('include "%s/dnsops-tkey/primary.conf";\n' % operator["etc"], ""))
    failed, result, out = ansible_venv.module("named_config", dict(_args(operator), check_only=True))
    _clean_failure(failed, result, out, 'add  include "%s/dnsops-tkey/primary.conf";  to %s' % (operator["etc"], operator["conf"]))


def test_a_zone_that_does_not_use_the_acl_fails_with_the_line_to_say(ansible_venv, operator):
    conf = open(operator["conf"]).read()
    with open(operator["conf"], "w") as handle:
        handle.write(conf.replace('allow-transfer {{ "dnsops-tkey-xfr-example.test"; }};'.replace("{{", "{").replace("}}", "}"), 'allow-transfer { none; };'))
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", _args(operator))
    _clean_failure(failed, result, out, 'in zone "example.test" { }, say  allow-transfer { "dnsops-tkey-xfr-example.test"; };')
    assert tree_digest(operator["etc"]) == before


def test_an_invalid_configuration_is_refused_with_named_checkconfs_reason(ansible_venv, operator):
    args = _args(operator)
    args["files"][1]["content"] += 'acl "broken" { key "no-such-key"; };\nzone "x" { type nonsense; };\n'
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, "named-checkconf %s refuses the configuration" % operator["conf"])
    assert tree_digest(operator["etc"]) == before
    assert operator["secret"] not in out


def test_views_are_refused_with_the_reason(ansible_venv, operator):
    etc = operator["etc"]
    with open(operator["conf"], "w") as handle:
        handle.write('options {{ directory "{etc}"; recursion no; }};\nview "inside" {{ zone "mine.test" {{ type primary; file "{etc}/db.mine"; }}; }};\n'
                     .format(etc=etc))
    failed, result, out = ansible_venv.module("named_config", dict(named_conf=operator["conf"]))
    _clean_failure(failed, result, out, "uses views (inside): a key negotiated by TKEY lives in the keyring of the view")


def test_a_zone_file_is_validated_before_it_is_written(ansible_venv, operator):
    path = operator["etc"] + "/db.new"
    failed, result, out = ansible_venv.module("named_config", dict(named_conf=operator["conf"], files=[dict(
        path=path, content="$TTL 300\n@ IN SOA ns hostmaster abc 1 1 1 1\n", validate="named-checkzone new.test %s", group="root")]))
    _clean_failure(failed, result, out, "named-checkzone refused %s" % path)
    assert not os.path.exists(path)


# --- what named-checkconf's message may quote (issue 12: it quoted the first line of /etc/passwd) ---

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_a_file_included_from_a_written_one_is_never_quoted(ansible_venv, operator):
    """An address like 127.0.10.3; }; include "/etc/passwd"; options { made named.conf include /etc/passwd."""
    etc = operator["etc"]
    with open(etc + "/passwd", "w") as handle:
        handle.write(PASSWD)
    args = _args(operator)
    args["files"][1]["content"] += 'primaries "x" { 127.0.10.3; }; include "%s/passwd"; acl "y" { none; };\n' % etc
    before = tree_digest(etc)
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, "named-checkconf %s refuses the configuration: %s/passwd:1: unknown option '...'" % (operator["conf"], etc))
    assert "quoted words of files this task does not write are not shown" in result["msg"]
    assert "root:" not in out and "/bin/bash" not in out and "daemon" not in out
    assert tree_digest(etc) == before


def test_a_key_file_the_configuration_includes_is_never_quoted(ansible_venv, operator):
    etc, secret = operator["etc"], operator["secret"]
    half = len(secret) // 2
    with open(etc + "/ops.key", "w") as handle:  # a secret split by a space: BIND quotes the word after the first
        handle.write('key "ops-key" {\n  algorithm hmac-sha256;\n  secret %s %s;\n};\n' % (secret[:half], secret[half:]))
    failed, result, out = ansible_venv.module("named_config", _args(operator))
    _clean_failure(failed, result, out, "%s/ops.key:3: missing ';' before '...'" % etc)
    assert secret[:half] not in out and secret[half:] not in out


def test_the_files_it_writes_and_named_conf_are_quoted_as_named_checkconf_says(ansible_venv, operator):
    args = _args(operator)
    args["files"][1]["content"] += "frobnicate yes;\n"
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, "%s/dnsops-tkey/primary.conf:3: unknown option 'frobnicate'" % operator["etc"])
    assert "not shown" not in result["msg"]
    with open(operator["conf"], "a") as handle:
        handle.write("wibble yes;\n")
    failed, result, out = ansible_venv.module("named_config", _args(operator))
    line = open(operator["conf"]).read().count("\n")
    _clean_failure(failed, result, out, "%s:%d: unknown option 'wibble'" % (operator["conf"], line))


def test_a_zone_file_s_include_is_not_quoted_by_named_checkzone(ansible_venv, operator):
    etc = operator["etc"]
    with open(etc + "/inc.zone", "w") as handle:
        handle.write("hunter2 IN BOGUSTYPE hunter3\n")
    path = etc + "/db.new"
    failed, result, out = ansible_venv.module("named_config", dict(named_conf=operator["conf"], files=[dict(
        path=path, content=ZONE + "$INCLUDE %s/inc.zone\n" % etc, validate="named-checkzone new.test %s", group="root")]))
    _clean_failure(failed, result, out, "named-checkzone refused %s: %s/inc.zone:1: unknown RR type '...'" % (path, etc))
    assert "BOGUSTYPE" not in out and "hunter" not in out
    failed, result, out = ansible_venv.module("named_config", dict(named_conf=operator["conf"], files=[dict(
        path=path, content=ZONE + "www IN BOGUSTYPE 1\n", validate="named-checkzone new.test %s", group="root")]))
    _clean_failure(failed, result, out, "%s:5: unknown RR type 'BOGUSTYPE'" % path)  # its own file: quoted


@pytest.mark.parametrize("change,fragment", [
    (dict(path="dnsops-tkey/primary.conf"), "files[1].path 'dnsops-tkey/primary.conf' is not an absolute path"),
    (dict(path='/etc/bind/x.conf"; include "/etc/passwd'), "files[1].path '/etc/bind/x.conf\"; include \"/etc/passwd' holds"),
    (dict(mode="0666"), "files[1] ({etc}/dnsops-tkey/primary.conf).mode '0666' lets every account write the file"),
    (dict(mode="4640"), "sets setuid, setgid or sticky bits"),
    (dict(mode="rw"), "mode 'rw' is not an octal mode"),
    (dict(owner="root; rm"), "files[1] ({etc}/dnsops-tkey/primary.conf).owner 'root; rm' is not a user or group name"),
    (dict(group=" bind"), "group ' bind' has spaces around it"),
    ("named_conf", "named_conf 'named.conf' is not an absolute path"),
])
def test_unusable_file_specs_are_refused_before_anything_is_written(ansible_venv, operator, change, fragment):
    args = _args(operator)
    if change == "named_conf":
        args["named_conf"] = "named.conf"
    else:
        args["files"][1].update(change)
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, fragment.format(etc=operator["etc"]))
    assert tree_digest(operator["etc"]) == before


@pytest.mark.parametrize("lines,written,expected,left_out", [
    (["/etc/passwd:1: unknown option 'root:x:0:0:root:'"], [], "/etc/passwd:1: unknown option '...'", True),
    (["/etc/bind/named.conf:12: unknown option 'foo'"], ["/etc/bind/named.conf"], "/etc/bind/named.conf:12: unknown option 'foo'", False),
    (["/etc/bind//dnsops-tkey/./primary.conf:2: 'x' unexpected"], ["/etc/bind/dnsops-tkey/primary.conf"],
     "/etc/bind//dnsops-tkey/./primary.conf:2: 'x' unexpected", False),
    (["/etc/bind/k.key:3: missing ';' before 'c2VjcmV0'"], ["/etc/bind/named.conf"], "/etc/bind/k.key:3: missing ';' before '...'", True),
    (['/etc/bind/k.key:3: key "x": bad'], [], "/etc/bind/k.key:3: key '...'", True),
    (["/etc/bind/k.key:3: 'c2VjcmV0' unexpected"], [], "/etc/bind/k.key:3: '...' unexpected", True),
    (["/etc/bind/k.key:3: 'it's' unexpected near '}'"], [], "/etc/bind/k.key:3: '...'", True),
    (["/etc/bind/k.key:3: unknown option 'a';'b'"], [], "/etc/bind/k.key:3: unknown option '...'", True),
    (["/etc/bind/k.key:1: unexpected token near end of file"], [], "/etc/bind/k.key:1: unexpected token near end of file", False),
    (["/etc/bind/k.key:1: key 'a': already exists previous definition: /etc/bind/k.key:1"], [], "/etc/bind/k.key:1: key '...'", True),
    (["dns_master_load: /etc/passwd:1: unknown RR type 'x:0:0'"], ["/etc/bind/db.x"], "dns_master_load: /etc/passwd:1: unknown RR type '...'", True),
    (["dns_master_load: /etc/bind/db.x:1: unknown RR type 'AAAAA'"], ["/etc/bind/db.x"], "dns_master_load: /etc/bind/db.x:1: unknown RR type 'AAAAA'", False),
    (["zone x/IN: has 0 SOA records", "zone x/IN: not loaded due to errors."], [], "zone x/IN: has 0 SOA records zone x/IN: not loaded due to errors.", False),
    (["something 'quoted' with no file"], ["/etc/bind/named.conf"], "something '...' with no file", True),
    (["open: /etc/bind/missing.conf: file not found"], [], "open: /etc/bind/missing.conf: file not found", False),
])
def test_checker_message_quotes_only_the_files_it_was_given(lines, written, expected, left_out):
    from ansible_collections.dnsops.tkey.plugins.modules.named_config import checker_message
    assert checker_message(lines, written) == (expected, left_out)


# --- issue 13: adoption never leaves named unable to start ---------------------------------------------------------

PLACEHOLDER_PRIMARY = 'acl "dnsops-tkey-xfr-example.test" { none; };\nprimaries "dnsops-tkey-notify-example.test" { };\n'


def _with_placeholders(operator, zones_content='zone "ours.test" { type primary; file "/nonexistent/db.ours"; };\n'):
    etc = operator["etc"]
    args = _args(operator)
    args["files"][0]["placeholder"] = "// nothing yet\n"
    args["files"][1]["placeholder"] = PLACEHOLDER_PRIMARY
    args["files"].append(dict(path=etc + "/dnsops-tkey/zones.conf", include="top", group="root", content=zones_content,
                              placeholder="// no zones yet\n"))
    return args


def test_one_refusal_names_every_missing_line_and_the_files_it_names_exist_and_load(ansible_venv, operator):
    """The refusal named options.conf and primary.conf but not zones.conf; the fragments it named did not exist."""
    conf = operator["conf"]
    text = open(conf).read()
    open(conf, "w").write(text.replace('include "%s/dnsops-tkey/primary.conf";\n' % operator["etc"], "")
                          .replace('  include "%s/dnsops-tkey/options.conf";\n' % operator["etc"], ""))
    args = _with_placeholders(operator)
    failed, result, out = ansible_venv.module("named_config", dict(args, check_only=True))
    _clean_failure(failed, result, out, "nothing else was changed; made ")  # the placeholders, which load as they are
    for fragment in ("options.conf\";  inside options", "primary.conf\";  to ", "zones.conf\";  to "):
        assert fragment in result["msg"], result["msg"]
    assert result["msg"].count("add  include") == 3
    # the operator adds exactly those lines: the configuration loads at once (placeholders), before any real run
    lines = re.findall(r'add  include "([^"]+)";  (inside options|to)', result["msg"])
    text = open(conf).read()
    for path, where in lines:
        if where == "to":
            text = 'include "%s";\n' % path + text
        else:
            text = text.replace("  recursion no;\n", '  recursion no;\n  include "%s";\n' % path)
    open(conf, "w").write(text)
    assert run(["named-checkconf", conf], check=False).returncode == 0
    failed, result, out = ansible_venv.module("named_config", dict(args, check_only=True))
    assert not failed and not result["changed"], out
    failed, result, out = ansible_venv.module("named_config", args)
    assert not failed and result["changed"], out


def test_a_failed_write_puts_the_placeholder_back_and_never_removes_an_included_file(ansible_venv, operator):
    conf = operator["conf"]
    open(conf, "a").write('include "%s/dnsops-tkey/zones.conf";\n' % operator["etc"])
    args = _with_placeholders(operator, zones_content='zone "ours.test" { type primary; bad-option yes; };\n')
    failed, result, out = ansible_venv.module("named_config", dict(args, check_only=True))
    assert not failed and sorted(result["files"]) == sorted(spec["path"] for spec in args["files"]), out
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, "put back")
    zones = operator["etc"] + "/dnsops-tkey/zones.conf"
    assert open(zones).read() == "// no zones yet\n"  # not removed: named.conf includes it
    assert run(["named-checkconf", conf], check=False).returncode == 0


def test_an_operator_zone_the_fragments_would_define_again_is_refused_before_anything_is_written(ansible_venv, operator):
    conf = operator["conf"]
    open(conf, "a").write('include "%s/dnsops-tkey/zones.conf";\n' % operator["etc"])
    args = _with_placeholders(operator, zones_content='zone "mine.test" { type primary; file "%s/db.mine"; };\n' % operator["etc"])
    before = tree_digest(operator["etc"])
    failed, result, out = ansible_venv.module("named_config", args)
    _clean_failure(failed, result, out, 'zone "mine.test" is in %s already' % conf)
    assert "tkey_zones without records" in result["msg"] and tree_digest(operator["etc"]) == before
