# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""named.conf as named-checkconf -p prints it (this text was printed by named-checkconf 9.18.49, tabs made spaces)."""

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError
from ansible_collections.dnsops.tkey.plugins.module_utils._namedconf import Config, parse

PRINTED = '''acl "dnsops-tkey-xfr-example.test" {
    key "k1";
};
logging {
    channel "x" {
        file "/var/log/named/x.log" versions 3 size 1048576;
        print-time yes;
    };
    category "xfer-in" {
        "x";
    };
    category "default" {
        "default_syslog";
    };
};
options {
    directory "/var/cache/bind";
    tkey-dhkey "p1.tkey" 12345;
    tkey-domain "p1.tkey";
    recursion no;
};
primaries "dnsops-tkey-notify-example.test" {
    192.0.2.2;
    192.0.2.3 port 5353;
};
primaries "dnsops-tkey-p1" {
    192.0.2.1 port 53 key "k1";
};
key "k1" {
    algorithm "hmac-sha256";
    secret "GvjgROxW5sNgAAqqTcOLInuHNkFmilLLwnr1iPILJ9Y=";
};
zone "example.test" {
    type primary;
    file "/etc/bind/db.example";
    allow-transfer  {
        "dnsops-tkey-xfr-example.test";
    };
    also-notify {
        "dnsops-tkey-notify-example.test";
    };
    notify explicit;
};
zone "sec.test" {
    type secondary;
    file "sec.bk";
    primaries {
        "dnsops-tkey-p1";
        "dnsops-tkey-p2";
    };
};
'''


def test_what_the_roles_read():
    config = Config(PRINTED)
    assert config.directory == "/var/cache/bind"
    assert config.option("tkey-dhkey") == ["p1.tkey", "12345"] and config.option("absent") is None
    assert config.defined("acl") == {"dnsops-tkey-xfr-example.test"}
    assert config.defined("primaries") == {"dnsops-tkey-notify-example.test", "dnsops-tkey-p1"}
    assert config.zone_list("example.test", "allow-transfer") == ["dnsops-tkey-xfr-example.test"]
    assert config.zone_list("Example.Test.", "also-notify") == ["dnsops-tkey-notify-example.test"]
    assert config.zone_list("sec.test", "primaries") == ["dnsops-tkey-p1", "dnsops-tkey-p2"]
    assert config.zone_list("sec.test", "allow-transfer") is None and config.zone("nothere.test") is None
    assert config.log_file("xfer-in") == "/var/log/named/x.log"
    assert config.views == []


def test_log_file_falls_back_to_default_and_knows_syslog():
    syslog_only = PRINTED.replace('category "xfer-in" {\n        "x";\n    };\n', "")
    assert Config(syslog_only).log_file("xfer-in") is None
    assert Config('options { directory "/var/cache/bind"; };').log_file("xfer-in") is None
    assert Config('options { };').directory == "."


def test_named_checkconfs_warnings_on_stdout_are_not_configuration():
    config = Config("/etc/bind/named.conf:3: option 'tkey-domain' is deprecated\n" + PRINTED)
    assert config.defined("acl") == {"dnsops-tkey-xfr-example.test"}


def test_views():
    assert Config('view "inside" { zone "a.test" { type primary; file "a"; }; };').views == ["inside"]


@pytest.mark.parametrize("text", ['zone "a" { type primary;', 'options { }; };'])
def test_broken_text_is_an_error_without_quoting_it(text):
    with pytest.raises(DnsopsError) as info:
        parse(text)
    assert "primary" not in str(info.value)


def test_no_secret_is_reachable_through_the_queries():
    config = Config(PRINTED)
    shown = repr([config.defined(kind) for kind in ("acl", "primaries", "key")]) + repr(config.options.words)
    assert "GvjgROxW5sNg" not in shown


def test_the_tree_follows_includes_and_knows_where_they_are(tmp_path):
    (tmp_path / "zones.conf").write_text('include "%s/nested.conf";\nzone "a.test" { type primary; file "a"; allow-transfer { "x"; }; };\n' % tmp_path)
    (tmp_path / "nested.conf").write_text('zone "b.test" { type primary; file "b"; };\n')
    (tmp_path / "named.conf").write_text(
        'options {\n directory "/var/cache/bind";\n include "/etc/bind/dnsops-tkey/options.conf";\n};\n'
        'include "%s/zones.conf";\ninclude "/etc/bind/dnsops-tkey/primary.conf";\n' % tmp_path)
    from ansible_collections.dnsops.tkey.plugins.module_utils._namedconf import Tree
    tree = Tree(str(tmp_path / "named.conf"))
    assert "/etc/bind/dnsops-tkey/options.conf" in tree.included_in_options
    assert "/etc/bind/dnsops-tkey/primary.conf" in tree.included_top
    assert tree.zone_list("a.test", "allow-transfer") == ["x"] and tree.zone("b.test") is not None
    assert tree.directory == "/var/cache/bind"


def test_a_glob_include_is_followed_as_bind_does(tmp_path):
    """BIND 9.18 expands include "DIR/*.conf"; a zone defined there is the operator's, and a fragment it matches is used."""
    from ansible_collections.dnsops.tkey.plugins.module_utils._namedconf import Tree  # pylint: disable=import-outside-toplevel

    zones = tmp_path / "zones.d"
    zones.mkdir()
    (zones / "a.conf").write_text('zone "a.test" { type primary; file "a.db"; };\n')
    (zones / "b.conf").write_text('zone "b.test" { type primary; file "b.db"; };\n')
    conf = tmp_path / "named.conf"
    conf.write_text('options { directory "%s"; };\ninclude "%s/*.conf";\n' % (tmp_path, zones))
    tree = Tree(str(conf))
    assert tree.zone("a.test") is not None and tree.zone("b.test") is not None
    assert str(zones / "b.conf") in tree.included_top
    skipped = Tree(str(conf), skip=[str(zones / "b.conf")])
    assert skipped.zone("a.test") is not None and skipped.zone("b.test") is None


def test_an_include_loop_and_a_self_including_glob_are_refused_in_bounds(tmp_path, monkeypatch):
    """A file that includes itself (directly, or through a glob over its own directory) was read again at each level,
    a glob's files multiplying the reads up to the depth limit; now the loop is named, and all reads have one budget."""
    from ansible_collections.dnsops.tkey.plugins.module_utils._errors import DnsopsError  # pylint: disable=import-outside-toplevel
    from ansible_collections.dnsops.tkey.plugins.module_utils._namedconf import Tree  # pylint: disable=import-outside-toplevel

    conf = tmp_path / "named.conf"
    conf.write_text('include "%s/ops.conf";\n' % tmp_path)
    (tmp_path / "ops.conf").write_text('include "%s";\n' % conf)
    with pytest.raises(DnsopsError, match=r"^an include loop \(\S*named.conf -> \S*ops.conf -> \S*named.conf\)"):
        Tree(str(conf))
    loop = tmp_path / "d"
    loop.mkdir()
    for name in "abc":
        (loop / (name + ".conf")).write_text('include "%s/*.conf";\nzone "%s.test" { type primary; file "x"; };\n' % (loop, name))
    conf.write_text('include "%s/*.conf";\n' % loop)
    with pytest.raises(DnsopsError, match="an include loop"):
        Tree(str(conf))
    monkeypatch.setattr(Tree, "TOTAL_LIMIT", 200)  # three files of about 80 bytes: the third is over
    conf.write_text('include "%s/a.conf";\ninclude "%s/b.conf";\ninclude "%s/c.conf";\n' % (loop, loop, loop))
    for name in "abc":
        (loop / (name + ".conf")).write_text('zone "%s.test" { type primary; file "x"; allow-transfer { none; }; };\n' % name * 1)
    with pytest.raises(DnsopsError, match="more than 0 MiB in all"):
        Tree(str(conf))
