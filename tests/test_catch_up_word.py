"""Catch-up keeps the bot's word: a chat subscribed or moved after today's slot first hears from the
bot at the "Next: …" it was promised, while a digest that fell due while the bot was down still goes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from test_scheduler import RecordingAdapter, admin_request, attach_scheduler, make_services

from bot.jobs import catch_up, digest_job
from handlers import dispatch


async def test_subscribed_after_todays_slot_waits_for_the_announced_next_slot(tmp_path) -> None:
    adapter = RecordingAdapter()
    asked = datetime(2026, 12, 2, 7, 24, tzinfo=UTC)  # 08:24 in Paris
    services = make_services(tmp_path / "bot.db", adapter, lambda: asked)
    reply = await dispatch(admin_request("subscribe", "07:45", "Europe/Paris", "en"), services)
    assert "Next: 2026-12-03 07:45 CET" in reply.text
    services.store.close()

    restarted = make_services(tmp_path / "bot.db", adapter, lambda: asked)  # a restart at 08:30
    assert await catch_up(restarted, asked + timedelta(minutes=6)) == []
    assert await digest_job(restarted, asked + timedelta(hours=1)) == []
    promised = datetime(2026, 12, 3, 6, 45, tzinfo=UTC)
    results = await digest_job(restarted, promised)
    assert [(r.status, r.subscription.chat_id) for r in results] == [("sent", "-1001")]
    assert restarted.digests.builds == [(date(2026, 12, 3), "en")]
    restarted.store.close()


async def test_moving_the_time_after_todays_slot_counts_from_the_move(tmp_path) -> None:
    adapter = RecordingAdapter()
    clock = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    services = make_services(tmp_path / "bot.db", adapter, lambda: clock[0])
    attach_scheduler(services)
    await dispatch(admin_request("subscribe", "09:00", "UTC"), services)
    # At 08:00 the admin moves the chat to 07:00, an hour already past today.
    clock[0] = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    reply = await dispatch(admin_request("subscribe", "07:00"), services)
    assert "Next: 2026-12-03 07:00 UTC" in reply.text
    assert await catch_up(services, clock[0] + timedelta(minutes=5)) == []  # a restart sends nothing
    assert await digest_job(services, datetime(2026, 12, 2, 9, 0, tzinfo=UTC)) == []
    [sent] = await digest_job(services, datetime(2026, 12, 3, 7, 0, tzinfo=UTC))
    assert sent.status == "sent" and len(adapter.sent) == 1
    # Moving to 10:00 on a day that already got its digest: the next one is tomorrow's.
    clock[0] = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    reply = await dispatch(admin_request("subscribe", "10:00"), services)
    assert "Next: 2026-12-04 10:00 UTC" in reply.text
    assert await digest_job(services, datetime(2026, 12, 3, 10, 0, tzinfo=UTC)) == []
    services.store.close()


async def test_a_digest_due_while_the_bot_was_down_is_still_caught_up(tmp_path) -> None:
    adapter = RecordingAdapter()
    services = make_services(tmp_path / "bot.db", adapter, lambda: datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    await dispatch(admin_request("subscribe", "07:00", "UTC"), services)
    await dispatch(admin_request("subscribe", "07:00", "UTC", "en"), services)  # same slot: no move
    back = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # down over 07:00, back within the grace window
    assert [r.status for r in await catch_up(services, back)] == ["sent"]
    services.store.close()


async def test_unsubscribe_then_subscribe_again_after_the_slot_waits_for_the_next(tmp_path) -> None:
    adapter = RecordingAdapter()
    clock = [datetime(2026, 12, 1, 12, 0, tzinfo=UTC)]
    services = make_services(tmp_path / "bot.db", adapter, lambda: clock[0])
    await dispatch(admin_request("subscribe", "07:00", "UTC"), services)
    await dispatch(admin_request("unsubscribe"), services)
    clock[0] = datetime(2026, 12, 2, 7, 30, tzinfo=UTC)  # back after today's slot, same time
    reply = await dispatch(admin_request("subscribe", "07:00", "UTC"), services)
    assert "Next: 2026-12-03 07:00 UTC" in reply.text
    assert await catch_up(services, clock[0]) == []
    services.store.close()
