"""Button payloads are data: one table of actions, each validating its own fields, every payload
within Telegram's 64 bytes and Discord's 100 characters, anything else decoded to None."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.delivery.adapter import expired_button, parse_payload
from bot.digest import buttons
from handlers import COMMANDS

# The longest value each field accepts (its `longest` says how long that is).
LONGEST = {"article_id": str(buttons.MAX_ID), "query_id": str(buttons.MAX_ID), "section": "s" * 32,
           "switch": "off", "language": "zh", "offset": "9995"}


def test_every_action_runs_a_real_command_and_fits_both_platforms() -> None:
    for name, action in buttons.ACTIONS.items():
        assert action.name == name and re.fullmatch(r"[a-z][a-z0-9_]*", name)
        assert action.command in COMMANDS
        longest = action.longest_payload()
        assert longest <= buttons.TELEGRAM_MAX_BYTES and longest <= buttons.DISCORD_MAX_CHARS, name
        # The longest value each field accepts really encodes, at that length, and decodes back.
        values = [LONGEST[f.name] for f in action.fields]
        assert [len(v) for v in values] == [f.longest for f in action.fields], name
        payload = buttons.encode(name, *values)
        chosen = None
        if action.choice is not None:  # a menu: as many different values as it may take
            chosen = [f"{i:02d}" + LONGEST[action.choice.name][2:] for i in range(action.max_choices)]
            assert buttons.decode(payload) is None  # a menu without a choice is not a press
        press = buttons.decode(payload, chosen)
        assert len(payload.encode()) == longest and press is not None, name
        assert press.args == (*action.args, *values, *(chosen or ())), name


def test_the_largest_article_id_fits_and_one_more_does_not() -> None:
    payload = buttons.encode("more", buttons.MAX_ID)
    assert buttons.decode(payload) == ("more", "more", (str(buttons.MAX_ID),))
    assert len(payload.encode()) <= 64
    assert buttons.decode(f"more:{buttons.MAX_ID + 1}") is None
    with pytest.raises(ValueError):
        buttons.encode("more", buttons.MAX_ID + 1)


FORGED = [
    "unsubscribe", "subscribe:en", "status", "addfeed:http://x", "digest:2017-06-30", "removefeed:1", "help",
    "more", "more:", "more:abc", "more:1:2", "more:-1", "more:01", "more: 1", "MORE:1", "more:１", "more:1\n",
    ":1", "", "x" * 65, "more:" + "9" * 60,
]


@pytest.mark.parametrize("payload", FORGED)
def test_anything_the_bot_did_not_issue_decodes_to_nothing(payload: str) -> None:
    assert buttons.decode(payload) is None and parse_payload(payload) is None


def test_non_strings_decode_to_nothing() -> None:
    for value in (None, 12, b"more:1", ["more", "1"]):
        assert buttons.decode(value) is None


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=120), st.from_regex(r"more:[0-9]{1,25}", fullmatch=True)))
def test_decoding_is_exact(payload: str) -> None:
    press = buttons.decode(payload)
    if press is not None:  # only what encode itself would produce
        values = press.args[len(buttons.ACTIONS[press.action].args):]
        assert buttons.encode(press.action, *values) == payload
        assert parse_payload(payload) == (press.command, press.args)


def test_the_expired_answer_speaks_both_languages() -> None:
    assert expired_button("en") == "This button has expired."
    assert expired_button("zh") == "该按钮已失效。"
    assert expired_button(None) == expired_button("en")
