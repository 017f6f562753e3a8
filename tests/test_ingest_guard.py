"""The SSRF guard: address classification, and real refusals over loopback HTTP before any connect."""

from __future__ import annotations

import socket

import httpcore
import pytest
from fakes.web import FakeWeb

from bot.config import FetchSettings
from bot.ingest import FetchError, guard
from bot.ingest.fetch import fetch_url
from bot.ingest.guard import make_client, refusal_reason
from bot.ingest.reasons import known

REFUSED = {
    "127.0.0.1": "loopback",
    "127.8.9.1": "loopback",
    "10.0.0.1": "private",
    "172.16.5.4": "private",
    "192.168.1.1": "private",
    "169.254.169.254": "metadata",
    "169.254.1.1": "link-local",
    "100.64.0.1": "CGNAT",
    "0.0.0.0": "unspecified",
    "224.0.0.1": "multicast",
    "240.0.0.1": "reserved",
    "::1": "loopback",
    "::": "unspecified",
    "fd12:3456::1": "unique-local",
    "fe80::1": "link-local",
    "ff02::1": "multicast",
    "::ffff:127.0.0.1": "IPv4-mapped",
    "::ffff:169.254.169.254": "IPv4-mapped",
    "2002:7f00:1::1": "inward IPv4",
    "64:ff9b::a00:1": "inward IPv4",
}


@pytest.mark.parametrize("address,word", REFUSED.items())
def test_non_public_addresses_are_refused_with_a_reason(address: str, word: str) -> None:
    reason = refusal_reason(address)
    assert reason is not None and word in reason


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal_reason(address) is None


@pytest.fixture
def no_connect(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Records (and forbids) any real connect the guard lets through to a non-exempt address."""
    attempts: list[tuple[str, int]] = []
    real = httpcore.AnyIOBackend.connect_tcp

    async def spy(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append((host, port))
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(httpcore.AnyIOBackend, "connect_tcp", spy)
    return attempts


async def test_loopback_url_refused_by_default(no_connect: list) -> None:
    settings = FetchSettings(timeout_seconds=1)
    async with FakeWeb() as web:
        web.add("/feed", "<rss/>")
        async with make_client(settings) as client:
            with pytest.raises(FetchError) as err:
                await fetch_url(client, web.url("/feed"), settings)
    assert err.value.reason == "refused: 127.0.0.1 is a loopback address"
    assert web.hits["/feed"] == 0 and no_connect == []


async def test_names_resolving_inward_are_refused(monkeypatch: pytest.MonkeyPatch, no_connect: list) -> None:
    settings = FetchSettings(timeout_seconds=1)
    fake_dns = {"intranet.example": ["10.0.0.1"], "meta.example": ["169.254.169.254"],
                "mixed.example": ["93.184.216.34", "192.168.0.7"], "v6.example": ["fd00::5"],
                "sixtofour.example": ["2002:a00:1::1"]}

    async def resolve(host: str, port: int) -> list[str]:
        return fake_dns[host]

    monkeypatch.setattr(guard, "resolve", resolve)
    # the reason names the host, the address it resolves to, and what kind of address that is
    expected = {
        "intranet.example": "intranet.example resolves to 10.0.0.1, a private address",
        "meta.example": "meta.example resolves to 169.254.169.254, a cloud metadata address",
        "mixed.example": "mixed.example resolves to 192.168.0.7, a private address",
        "v6.example": "v6.example resolves to fd00::5, a unique-local (private) IPv6 address",
        "sixtofour.example": "sixtofour.example resolves to 2002:a00:1::1, which embeds an inward "
                             "IPv4 address (10.0.0.1 is a private address)",
    }
    async with make_client(settings) as client:
        for host, reason in expected.items():
            with pytest.raises(FetchError) as err:
                await fetch_url(client, f"http://{host}/feed", settings)
            assert err.value.reason == f"refused: {reason}"
    assert no_connect == []


@pytest.mark.parametrize("failure,words", [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), "no such host"),
    (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
     "the name server did not answer (temporary)"),
    (TimeoutError(), "timed out"),
    (OSError(99, "Cannot assign requested address"), "Cannot assign requested address"),
])
async def test_a_failed_name_lookup_reads_plainly(
    monkeypatch: pytest.MonkeyPatch, no_connect: list, failure: OSError, words: str
) -> None:
    """The reason is shown to subscribers under "Feeds that failed": no "[Errno -2]", and never an
    empty tail (a lookup that timed out used to end in "could not resolve host: ")."""
    async def dns(host: str, port: int) -> list[str]:
        raise failure

    monkeypatch.setattr(guard, "resolve", dns)
    settings = FetchSettings(timeout_seconds=1)
    async with make_client(settings) as client:
        with pytest.raises(FetchError) as err:
            await fetch_url(client, "http://gone.example/feed", settings)
    assert err.value.reason == f"could not resolve gone.example: {words}"
    assert known(err.value.reason)  # a Chinese digest can say it in Chinese
    assert no_connect == []


async def test_localhost_name_is_refused(no_connect: list) -> None:
    settings = FetchSettings(timeout_seconds=1)
    async with make_client(settings) as client:
        with pytest.raises(FetchError) as err:
            await fetch_url(client, "http://localhost:9/x", settings)
    assert "localhost resolves to" in err.value.reason and "loopback" in err.value.reason
    assert no_connect == []


@pytest.mark.parametrize(
    "target,word",
    [("http://127.0.0.1:1/admin", "127.0.0.1 is a loopback"),
     ("http://169.254.169.254/latest/meta-data/", "metadata"),
     ("http://[::1]:8080/", "::1 is a loopback"),
     ("http://[::ffff:7f00:1]/", "IPv4-mapped")],
)
async def test_redirects_from_an_allowed_server_to_inside_are_refused(
    target: str, word: str, no_connect: list
) -> None:
    settings = FetchSettings(timeout_seconds=1)
    async with FakeWeb() as web:
        client = make_client(settings, exempt=frozenset({("127.0.0.1", web.port)}))
        async with client:
            assert (await fetch_url(client, web.url("/_h/ok"), settings)).body == b"ok"
            with pytest.raises(FetchError) as err:
                await fetch_url(client, web.url(f"/_h/redirect?to={target}"), settings)
    assert err.value.reason.startswith("refused:") and word in err.value.reason
    assert all(port == web.port for _host, port in no_connect)  # only the exempt server was dialled


async def test_allow_private_addresses_lifts_the_guard() -> None:
    settings = FetchSettings(timeout_seconds=1, allow_private_addresses=True)
    async with FakeWeb() as web:
        web.add("/feed", "<rss/>")
        async with make_client(settings) as client:
            body = await fetch_url(client, web.url("/feed"), settings)
    assert body.status == 200 and body.body == b"<rss/>"


async def test_non_http_schemes_refused() -> None:
    settings = FetchSettings(timeout_seconds=1)
    async with make_client(settings) as client:
        for url in ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"]:
            with pytest.raises(FetchError) as err:
                await fetch_url(client, url, settings)
            assert "only http and https" in err.value.reason
