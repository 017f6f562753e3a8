"""Restart benchmark: the service and `digest --send` racing on one database, SIGKILLed and restarted
at 20 seeded moments (issue 10), against the Telegram and Discord fakes.

Each seed picks who starts first (together, the service, the command), who is killed (the service, the
command, both) and when (holding a claim with nothing sent yet, after the N-th message, after every
message), then restarts the victims and lets everything finish (tests/restart_race.py). Counted: parts
that arrived twice beyond the platform-side bound (a message in flight at a kill), digests not
complete, kills that landed at their moment.

    python -m benchmarks.restarts [--seeds 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"


async def _run(seeds: list[int]) -> dict[str, Any]:
    from fakes.web import FakeWeb
    from restart_race import make_template, run_scenario

    scenarios: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeWeb() as web:
            template = await make_template(Path(tmp), web)
            for seed in seeds:
                try:
                    scenarios.append(await run_scenario(Path(tmp) / f"race{seed}", web, template, seed))
                except AssertionError as exc:  # a broken promise is a figure here, not a crash
                    scenarios.append({"seed": seed, "violation": str(exc).splitlines()[0][:200]})
    ok = [s for s in scenarios if "violation" not in s]
    return {
        "scenarios": len(scenarios),
        "violations": [s for s in scenarios if "violation" in s],
        "landed": sum(1 for s in ok if s["landed"]),
        "repeats": sum(s["repeats"] for s in ok),
        "in_flight": sum(s["in_flight"] for s in ok),
        "median_seconds": statistics.median(s["seconds"] for s in ok) if ok else 0.0,
        "runs": scenarios,
    }


def run(seeds: int = 20, first: int = 0) -> dict[str, Any]:
    """Race and kill at `seeds` seeded moments (seeds first … first + seeds − 1)."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    return asyncio.run(_run(list(range(first, first + seeds))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(run(args.seeds), indent=2))


if __name__ == "__main__":
    main()
