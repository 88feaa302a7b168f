"""The address guard: which addresses are public, what an allowlist may name, and what a run may narrow."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.fetching.http import Fetcher
from pipeline.fetching.netguard import (
    GuardedBackend,
    is_never_allowed,
    is_public_address,
    narrow_private_allowlist,
    parse_private_allowlist,
)
from pipeline.sample.server import SampleSite
from pipeline.settings import SettingsError, load_settings
from tests.faults import fault_routes


@pytest.fixture
def site():
    with SampleSite(routes=fault_routes()) as server:
        yield server


@pytest.mark.parametrize(
    "address",
    [
        "fec0::1",  # deprecated site-local IPv6, which Python's is_global calls global
        "3fff::1",
        "5f00::1",
        "2001:db8::1",
        "100::1",
        "fd00:ec2::254",
        "fc00::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",  # NAT64 of 127.0.0.1 and 169.254.169.254
        "64:ff9b:1::1",
        "2002:7f00:1::",
        "::ffff:127.0.0.1",
        "::7f00:1",
        "192.0.0.8",
        "198.18.0.1",
        "100.64.0.1",
        "192.88.99.1",
        "240.0.0.1",
        "0.0.0.0",
        "127.0.0.2",
        "::1",
    ],
)
def test_special_purpose_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_are_public(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "::ffff:169.254.169.254",
        "fe80::1",
        "fd00:ec2::254",
        "100.100.100.200",
        "0.0.0.0",
        "::",
        "224.0.0.1",
        "64:ff9b::a9fe:a9fe",
    ],
)
def test_link_local_and_metadata_addresses_are_never_allowed(address):
    assert is_never_allowed(address)
    assert not GuardedBackend(parse_private_allowlist("127.0.0.0/8 10.0.0.0/8 fc00::/8")).allowed(address)


def test_the_allowlist_opens_exactly_what_it_names():
    guard = GuardedBackend(parse_private_allowlist("127.0.0.1/32, 10.2.0.0/16"))
    assert guard.allowed("127.0.0.1") and guard.allowed("::ffff:127.0.0.1") and guard.allowed("10.2.3.4")
    assert not guard.allowed("127.0.0.2") and not guard.allowed("::1") and not guard.allowed("10.3.0.1")
    assert guard.allowed("8.8.8.8")  # public addresses need no allowlist
    assert not GuardedBackend(()).allowed("127.0.0.1")


@pytest.mark.parametrize(
    "text, message",
    [
        ("169.254.0.0/16", "can never be allowed"),
        ("169.254.169.254", "can never be allowed"),
        ("0.0.0.0/0", "can never be allowed"),
        ("::/0", "can never be allowed"),
        ("fe80::/64", "can never be allowed"),
        ("localhost", "host names are not accepted"),
        ("127.0.0.1/33", "is not an IP address or network"),
    ],
)
def test_a_bad_allowlist_is_a_one_line_error(text, message):
    with pytest.raises(ValueError, match=message) as error:
        parse_private_allowlist(text)
    assert "\n" not in str(error.value)


def test_settings_read_the_allowlist_and_refuse_the_old_switch():
    assert load_settings({}).limits.private_allowlist == ()  # production: nothing non-public
    assert load_settings({"NEWSMON_PRIVATE_ALLOWLIST": "127.0.0.1"}).limits.private_allowlist == ("127.0.0.1/32",)
    with pytest.raises(SettingsError, match="NEWSMON_PRIVATE_ALLOWLIST"):
        load_settings({"NEWSMON_ALLOW_PRIVATE_HOSTS": "true"})
    with pytest.raises(SettingsError, match="can never be allowed"):
        load_settings({"NEWSMON_PRIVATE_ALLOWLIST": "169.254.169.254/32"})


def test_a_run_can_only_narrow_the_deployment():
    assert narrow_private_allowlist(("127.0.0.0/8",), "127.0.0.1/32", "param") == ("127.0.0.1/32",)
    with pytest.raises(ValueError, match="only narrow"):
        narrow_private_allowlist(("127.0.0.1/32",), "127.0.0.0/8", "param private_hosts")
    with pytest.raises(ValueError, match="only narrow"):
        narrow_private_allowlist((), "127.0.0.1", "param private_hosts")
    with pytest.raises(ValueError, match="can never be allowed"):
        narrow_private_allowlist(("127.0.0.0/8",), "169.254.169.254", "param private_hosts")


@pytest.mark.parametrize(
    "path", ["/fault/to-loopback-2", "/fault/to-ipv6-loopback", "/fault/to-metadata", "/fault/to-private"]
)
def test_redirect_hops_are_checked_against_the_same_allowlist(site, limits, path):
    only_own_server = dataclasses.replace(limits, private_allowlist=("127.0.0.1/32",), retries=2)
    with Fetcher(only_own_server) as client:
        result = client.fetch(site.url(path))
    assert result.status == "refused", result  # refused, so not retried and not charged as a temporary fault
    assert result.attempts == 1
    assert "non-public address" in result.reason


def test_the_same_address_in_another_spelling_is_the_same_address(site, limits):
    only_own_server = dataclasses.replace(limits, private_allowlist=("127.0.0.1/32",))
    with Fetcher(only_own_server) as client:
        result = client.fetch(site.url("/fault/to-decimal-loopback"))
    assert result.status == "ok"  # 2130706433 is 127.0.0.1, which the allowlist names
