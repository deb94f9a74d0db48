# -*- coding: utf-8 -*-
# Copyright (c) 2026, dnsops.tkey contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The values that reach named's files: what each check accepts (and returns), and what it refuses, in one line
naming the option and the fix."""

from __future__ import annotations

import pytest

from ansible_collections.dnsops.tkey.plugins.module_utils import _validate
from ansible_collections.dnsops.tkey.plugins.module_utils._errors import OptionError

# issue 12: a secondary's tkey_address that reached the primary's named.conf and made named-checkconf quote /etc/passwd
INJECTION = '127.0.10.3; }; include "/etc/passwd"; options { '


def _refused(check, value, fragment):
    with pytest.raises(OptionError) as info:
        check(value, "the_option")
    message = str(info.value)
    assert message.startswith("the_option"), message
    assert fragment in message, message
    assert "\n" not in message
    return message


@pytest.mark.parametrize("value,expected", [
    ("127.0.10.3", "127.0.10.3"),
    ("192.0.2.1", "192.0.2.1"),
    ("::1", "::1"),
    ("2001:db8::53", "2001:db8::53"),
    ("2001:0DB8:0000:0000:0000:0000:0000:0053", "2001:db8::53"),
    ("fe80::1", "fe80::1"),
    ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  # the same on every Python (3.13 changed its text)
    ("::FFFF:C000:0201", "::ffff:192.0.2.1"),
])
def test_address_accepts_an_address_and_returns_it_compressed(value, expected):
    assert _validate.address(value, "tkey_address") == expected


@pytest.mark.parametrize("value,fragment", [
    (INJECTION, "is not an IP address"),
    ("127.0.0.1;", "is not an IP address"),
    ('"127.0.0.1"', "is not an IP address"),
    ("127.0.0.1\n", "has spaces around it"),
    ("127.0.0.1\ninclude", "is not an IP address"),
    (" 127.0.0.1", "has spaces around it"),
    ("127.0.0.1 ", "has spaces around it"),
    ("127.0.0.1/32", "has a prefix length"),
    ("2001:db8::/64", "has a prefix length"),
    ("fe80::1%eth0", "has a zone id"),
    ("localhost", "not a host name"),
    ("ns1.example.com", "is not an IP address"),
    ("127.000.0.1", "is not an IP address"),
    ("256.0.0.1", "is not an IP address"),
    ("0.0.0.0", "is not the address of a host"),
    ("::", "is not the address of a host"),
    ("224.0.0.1", "is not the address of a host"),
    ("", "is empty"),
    (None, "is not set"),
    (2130706433, "must be an IPv4 or IPv6 address"),
    (True, "must be an IPv4 or IPv6 address"),
    (["127.0.0.1"], "must be an IPv4 or IPv6 address"),
])
def test_address_refuses_anything_but_an_address(value, fragment):
    message = _refused(_validate.address, value, fragment)
    assert "192.0.2.1" in message or "give '127.0.0.1'" in message  # the fix: what to give


def test_a_long_value_is_shown_cut_short_on_one_line():
    message = _refused(_validate.address, INJECTION * 5, "is not an IP address")
    assert len(message) < 300 and "..." in message


@pytest.mark.parametrize("value,expected", [(53, 53), ("53", 53), (1, 1), (65535, 65535), ("5353", 5353), ("053", 53)])
def test_port_accepts_a_number_from_1_to_65535(value, expected):
    assert _validate.port(value, "primary_port") == expected


@pytest.mark.parametrize("value,fragment", [
    (0, "is not a port number from 1 to 65535"),
    (65536, "is not a port number"),
    (-53, "is not a port number"),
    ("65536", "is not a port number"),
    ("53; }; include", "is not a number"),
    ("5e3", "is not a number"),
    ("-1", "is not a number"),
    (" 53", "has spaces around it"),
    ("\u0665\u0663", "is not a number"),  # Arabic-Indic digits: str.isdigit() says yes, named does not
    (True, "not bool"),
    (False, "not bool"),
    (53.0, "not float"),
    (None, "is not set"),
    ("", "is empty"),
])
def test_port_refuses_anything_else(value, fragment):
    _refused(_validate.port, value, fragment)


@pytest.mark.parametrize("value,expected", [
    ("tkeyinit-ns2", "tkeyinit-ns2"),
    ("ns1.tkey", "ns1.tkey"),
    ("ns1.tkey.", "ns1.tkey"),
    ("Server_1", "Server_1"),
    ("a" * 63 + ".b", "a" * 63 + ".b"),
])
def test_key_name_accepts_a_dns_name_and_drops_its_final_dot(value, expected):
    assert _validate.key_name(value, "name") == expected


@pytest.mark.parametrize("value,fragment", [
    ('tkeyinit"; }; include "/etc/passwd', "may hold only letters, digits"),
    ("a;b", "may hold only"),
    ('a"b', "may hold only"),
    ("a'b", "may hold only"),
    ("a{b", "may hold only"),
    ("a}b", "may hold only"),
    ("a b", "may hold only"),
    ("a\nb", "may hold only"),
    ("a/b", "may hold only"),
    ("a\\b", "may hold only"),
    (" ns1", "has spaces around it"),
    ("a..b", "is not a valid DNS name"),
    (".", "is not a valid DNS name"),
    ("a" * 64, "is not a valid DNS name"),
    (".".join(["a" * 63] * 4), "is not a valid DNS name"),
    ("", "is empty"),
    (None, "is not set"),
    (5, "not int"),
])
def test_key_name_refuses_what_named_conf_or_a_file_name_cannot_hold(value, fragment):
    _refused(_validate.key_name, value, fragment)


@pytest.mark.parametrize("value,expected", [
    ("/etc/bind", "/etc/bind"),
    ("/etc/bind/", "/etc/bind"),
    ("//etc//bind/./tkey", "/etc/bind/tkey"),
    ("/var/cache/bind/../bind", "/var/cache/bind"),
    ("/", "/"),
    ("/srv/dns-1/zones_v2.d", "/srv/dns-1/zones_v2.d"),
])
def test_directory_accepts_an_absolute_path_and_normalizes_it(value, expected):
    assert _validate.directory(value, "directory") == expected
    assert _validate.path(value, "path") == expected


@pytest.mark.parametrize("value,fragment", [
    ('/etc/bind"; include "/etc/passwd', "holds '\"'"),
    ("/etc/bind;", "holds ';'"),
    ("/etc/{bind}", "holds '{'"),
    ("/etc/bind}", "holds '}'"),
    ("/etc/bi'nd", "holds \"'\""),
    ("/etc/bind\\", "holds '\\\\'"),
    ("/etc/bind\n/x", "holds '\\n'"),
    ("/etc/bi\x00nd", "holds '\\x00'"),
    ("/etc/my bind", "holds ' '"),
    ("/etc/bind\t", "has spaces around it"),
    ("etc/bind", "is not an absolute path"),
    ("./bind", "is not an absolute path"),
    ("~/bind", "is not an absolute path"),
    ("/" + "a" * 4095, "is longer than 4095"),
    ("", "is empty"),
    (None, "is not set"),
    (["/etc"], "not list"),
])
def test_directory_refuses_what_is_not_a_clean_absolute_path(value, fragment):
    _refused(_validate.directory, value, fragment)
    _refused(_validate.path, value, fragment)


@pytest.mark.parametrize("value", ["root", "bind", "_named", "www-data", "user.name", "machine$", "0", "105"])
def test_account_accepts_user_and_group_names_and_ids(value):
    assert _validate.account(value, "owner") == value


@pytest.mark.parametrize("value,fragment", [
    ("-bind", "is not a user or group name"),
    ("bi nd", "is not a user or group name"),
    ("bind;", "is not a user or group name"),
    ("a" * 33, "is not a user or group name"),
    (" bind", "has spaces around it"),
    ("", "is empty"),
])
def test_account_refuses_others(value, fragment):
    _refused(_validate.account, value, fragment)


@pytest.mark.parametrize("value,expected", [("0640", 0o640), ("640", 0o640), ("0600", 0o600), ("0755", 0o755), ("0775", 0o775)])
def test_file_mode_accepts_octal_modes(value, expected):
    assert _validate.file_mode(value, "mode") == expected


@pytest.mark.parametrize("value,fragment", [
    ("0646", "lets every account write"),
    ("0777", "lets every account write"),
    ("4750", "setuid, setgid or sticky"),
    ("01640", "setuid, setgid or sticky"),
    ("u=rw,g=r", "is not an octal mode"),
    ("0648", "is not an octal mode"),
    ("640 ", "is not an octal mode"),
    (416, "is not an octal mode"),
])
def test_file_mode_refuses_others(value, fragment):
    _refused(_validate.file_mode, value, fragment)
