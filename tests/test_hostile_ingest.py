"""Hostile inputs at the ingest edge that the other ingest tests do not reach: entity declarations
hidden from a text scan, DNS rebinding, and the user-supplied URL of /summarize pointing inside."""

from __future__ import annotations

import time

import pytest
from fakes.web import FakeWeb

from bot.config import FetchSettings, Settings
from bot.ingest import FetchError, guard
from bot.ingest.fetch import fetch_url
from bot.ingest.guard import make_client
from bot.ingest.parse import parse_feed_bytes
from bot.ingest.pipeline import fetch_page_text

BOMB = '<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {c} "' + f"&{p};" * 10 + '">' for p, c in zip("abcdefgh", "bcdefghi"))
ITEM = '<rss version="2.0"><channel><title>t</title><item><title>&i;</title><link>https://e.example/1</link></item></channel></rss>'


@pytest.mark.parametrize("prolog", [
    f"<!-- <x> --><!DOCTYPE rss [{BOMB}]>",                 # a tag-like comment before the DTD
    f"<?pi <x?><!DOCTYPE rss [{BOMB}]>",                    # ... or a processing instruction
    f'<!DOCTYPE rss SYSTEM "<x" [{BOMB}]>',                 # a '<' in the system literal
    f"<!DOCTYPE rss [<!-- <x --> {BOMB}]>",                 # a comment inside the internal subset
    '<!DOCTYPE rss [<!-- <y --><!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    '<!DOCTYPE rss [<!-- <y --><!ENTITY x SYSTEM "file:///etc/passwd">]>',
], ids=["comment", "pi", "quoted-lt", "subset-comment", "parameter-entity", "external-file"])
def test_entity_declarations_are_refused_however_the_prolog_hides_them(prolog: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as err:
        parse_feed_bytes(f'<?xml version="1.0"?>\n{prolog}\n{ITEM}'.encode(), url="https://e.example/feed")
    assert "entities" in err.value.reason
    assert time.monotonic() - started < 0.2  # refused before any expansion, not after expat's limit


async def test_external_dtd_is_never_fetched() -> None:
    async with FakeWeb() as web:
        web.add("/evil.dtd", '<!ENTITY x "pwned">', content_type="application/xml-dtd")
        doc = f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{web.url("/evil.dtd")}">{ITEM.replace("&i;", "&x;")}'
        parsed = parse_feed_bytes(doc.encode(), url="https://e.example/feed")
        assert web.hits["/evil.dtd"] == 0
    assert [e.url for e in parsed.entries] == ["https://e.example/1"]
    assert "pwned" not in parsed.entries[0].title



async def test_dns_rebinding_is_checked_on_every_connection(monkeypatch: pytest.MonkeyPatch, dialled: list) -> None:
    """The name first resolves to the (exempt) test server, then to a private address: the second
    connection is refused, because the address checked is the address dialled each time."""
    settings = FetchSettings(timeout_seconds=2)
    async with FakeWeb() as web:
        web.add("/feed", "<rss/>", content_type="application/rss+xml")
        answers = iter([["127.0.0.1"], ["10.0.0.7"]])

        async def rebinding(host: str, port: int) -> list[str]:
            assert host == "rebind.example"
            return next(answers)

        monkeypatch.setattr(guard, "resolve", rebinding)
        url = f"http://rebind.example:{web.port}/feed"
        async with make_client(settings, exempt=frozenset({("127.0.0.1", web.port)})) as first:
            assert (await fetch_url(first, url, settings)).body == b"<rss/>"
        async with make_client(settings, exempt=frozenset({("127.0.0.1", web.port)})) as second:
            with pytest.raises(FetchError) as err:
                await fetch_url(second, url, settings)
    assert err.value.reason == "refused: rebind.example resolves to 10.0.0.7, a private address"
    assert dialled == [("127.0.0.1", web.port)]


@pytest.mark.parametrize("target,phrase", [
    ("http://metadata.example/latest/meta-data/", "metadata.example resolves to 169.254.169.254"),
    ("http://[::ffff:169.254.169.254]/", "IPv4-mapped"),
    ("http://[fd00::1]:8080/admin", "unique-local"),
    ("http://192.168.1.1/", "192.168.1.1 is a private address"),
    ("http://0x7f.1:22/", "0x7f.1 resolves to 127.0.0.1, a loopback address"),
])
async def test_summarize_url_pointing_inside_is_refused_directly_and_by_redirect(
    target: str, phrase: str, monkeypatch: pytest.MonkeyPatch, dialled: list
) -> None:
    """`/summarize URL` takes a URL from any chat member: neither it nor a redirect may reach inside."""
    real_resolve = guard.resolve

    async def dns(host: str, port: int) -> list[str]:
        return ["169.254.169.254"] if host == "metadata.example" else await real_resolve(host, port)

    monkeypatch.setattr(guard, "resolve", dns)
    settings = Settings(fetch=FetchSettings(timeout_seconds=2))
    with pytest.raises(FetchError) as direct:
        await fetch_page_text(target, settings)
    async with FakeWeb() as web, make_client(settings.fetch, exempt=frozenset({("127.0.0.1", web.port)})) as client:
        with pytest.raises(FetchError) as redirected:
            await fetch_page_text(web.url(f"/_h/redirect?to={target}"), settings, client=client)
    assert phrase in direct.value.reason and phrase in redirected.value.reason
    assert all(port == web.port for _host, port in dialled)  # only the exempt test server was dialled
