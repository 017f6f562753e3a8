"""SIGKILL and restart the service while `digest --send` races it on the same database, at seeded
moments (before, between and after the parts), against the Telegram and Discord fakes: no part is
ever sent twice except one in flight at a kill (the README's platform-side bound), and every due
digest arrives complete. One seed here, another in the benchmarks' smoke test (`--quick`);
`python -m benchmarks --only restarts` runs twenty."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from fakes.web import FakeWeb
from restart_race import make_template, run_scenario
from service_harness import DIGESTBOT

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL") or not DIGESTBOT.exists(),
                                reason="needs SIGKILL and the digestbot console script")

# 31: the service is sending when the command starts; the service is killed after the 2nd message.
# (19, in the smoke test: the command is sending when the service starts; both are killed while one
# holds a claim with nothing sent.)
SEEDS = {31: ("service first", "service", "between")}


async def test_kill_and_restart_while_racing_sends_every_part_once(tmp_path: Path) -> None:
    async with FakeWeb() as web:
        template = await make_template(tmp_path, web)
        for seed, (order, victim, moment) in SEEDS.items():
            report = await run_scenario(tmp_path / f"race{seed}", web, template, seed)
            print(f"\nrestart race {report}")
            assert (report["order"], report["victim"], report["moment"]) == (order, victim, moment)
            assert report["landed"], "the kill came after the moment it aimed at"
            assert report["repeats"] <= report["in_flight"]
