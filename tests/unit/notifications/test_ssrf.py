"""Where webhooks may go: the address checks (IPv4 and IPv6, mapped, embedded, and the
decimal, octal and hex spellings of IPv4) and the URL rules."""

from __future__ import annotations

import ipaddress

import pytest

from services.notifications.domain.ssrf import (
    UnsafeDestination,
    address_problem,
    check_addresses,
    literal_address,
    parse_networks,
    parse_target,
)


def problem_of_url(url: str, **kwargs: object) -> str | None:
    target = parse_target(url)
    address = literal_address(target.host)
    assert address is not None, url
    return address_problem(address, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/", "loopback"),
        ("http://2130706433/", "loopback"),
        ("http://0x7f000001/", "loopback"),
        ("http://0177.0.0.1/", "loopback"),
        ("http://127.1/", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:7f00:1]/", "loopback"),
        ("http://[64:ff9b::7f00:1]/", "loopback"),
        ("http://[2002:7f00:1::]/", "loopback"),
        ("http://10.0.0.5/", "private"),
        ("http://172.16.3.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://[fd00::1]/", "private"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://169.254.169.254/latest/meta-data", "metadata"),
        ("http://[fd00:ec2::254]/", "metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://[fe80::1]/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://[ff02::1]/", "multicast"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://[::]/", "unspecified"),
        ("http://100.64.0.1/", "shared"),
        ("http://240.0.0.1/", ""),
        ("http://192.0.2.1/", ""),
        ("http://255.255.255.255/", ""),
    ],
)
def test_refused(url: str, why: str) -> None:
    problem = problem_of_url(url)
    assert problem is not None, url
    assert why in problem


@pytest.mark.parametrize(
    "url", ["https://8.8.8.8/hook", "http://[2001:4860:4860::8888]/", "http://1.1.1.1:8080/x?y=1"]
)
def test_public_addresses_pass(url: str) -> None:
    assert problem_of_url(url) is None


def test_loopback_allowed_only_when_asked_and_only_loopback() -> None:
    assert problem_of_url("http://127.0.0.1:9000/", allow_loopback=True) is None
    assert problem_of_url("http://[::ffff:127.0.0.1]/", allow_loopback=True) is None
    assert problem_of_url("http://10.0.0.1/", allow_loopback=True) is not None
    assert problem_of_url("http://169.254.169.254/", allow_loopback=True) is not None


def test_allowed_networks() -> None:
    allowed = parse_networks("10.20.0.0/16, fd00:1::/32")
    assert problem_of_url("http://10.20.3.4/", allowed=allowed) is None
    assert problem_of_url("http://10.21.3.4/", allowed=allowed) is not None
    assert problem_of_url("http://[fd00:1::5]/", allowed=allowed) is None
    with pytest.raises(ValueError):
        parse_networks("10.0.0.0/33")


def test_one_bad_answer_refuses_the_host() -> None:
    good = ipaddress.ip_address("8.8.8.8")
    bad = ipaddress.ip_address("10.0.0.1")
    assert check_addresses([good]) == [good]
    with pytest.raises(UnsafeDestination, match="private"):
        check_addresses([good, bad])
    with pytest.raises(UnsafeDestination, match="no address"):
        check_addresses([])


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "gopher://example.com/",
        "http:///nohost",
        "http://user:pass@example.com/",
        "http://example.com:99999/",
        "example.com/hook",
        "http://example.com/#frag",
        "http://" + "a" * 2001 + ".com/",
    ],
)
def test_bad_urls(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        parse_target(url)


def test_targets() -> None:
    t = parse_target("https://Hooks.Example.com./in?x=1")
    assert (t.scheme, t.host, t.port, t.path) == ("https", "hooks.example.com", 443, "/in?x=1")
    assert t.host_header == "hooks.example.com"
    v6 = parse_target("http://[2001:db8::1]:8080")
    assert (v6.host, v6.port, v6.path, v6.host_header) == (
        "2001:db8::1",
        8080,
        "/",
        "[2001:db8::1]:8080",
    )


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("0177.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("3232235777", "192.168.1.1"),
        ("example.com", None),
        ("256.0.0.1", None),
        ("4294967296", None),
        ("1.2.3.4.5", None),
        ("+1", None),
        ("08.0.0.1", None),
    ],
)
def test_literal_addresses(host: str, address: str | None) -> None:
    found = literal_address(host)
    assert (str(found) if found else None) == address
