"""Run the real `digestbot` executable against the fakes: a config pointing at them, a process whose
output goes to files (the service logs at INFO and must never block on a full pipe), and bounded
polling while it runs. Shared by the service-process tests and benchmarks/restarts.py."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DIGESTBOT = Path(sys.executable).parent / "digestbot"  # the console script of this virtualenv
TG_ENV, DC_ENV = "DIGESTBOT_TEST_TG_TOKEN", "DIGESTBOT_TEST_DC_TOKEN"
EMPTY_RSS = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title>'
             "<link>https://quiet.example/</link></channel></rss>")


def write_config(path: Path, *, db: Path, feed_urls: Sequence[str], tg_base: str = "", dc_api: str = "",
                 dc_gateway: str = "", extra: str = "") -> Path:
    """A digestbot.toml for the fakes: loopback feeds allowed, platforms at the fakes' addresses."""
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\nname = "Feed {i}"\n' for i, url in enumerate(feed_urls))
    path.write_text(
        f'[storage]\npath = "{db}"\n'
        "[fetch]\nallow_private_addresses = true\nfull_text = false\ntimeout_seconds = 10.0\n"
        f'[telegram]\ntoken_env = "{TG_ENV}"\nbase_url = "{tg_base}"\nadmins = ["4242"]\n'
        f'[discord]\ntoken_env = "{DC_ENV}"\napi_base_url = "{dc_api}"\ngateway_url = "{dc_gateway}"\n'
        + extra + feeds,
        encoding="utf-8",
    )
    return path


def service_env(tg_token: str | None = None, dc_token: str | None = None) -> dict[str, str]:
    """The environment the service gets: this one minus DIGESTBOT_*, plus the tokens given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGESTBOT")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    if tg_token:
        env[TG_ENV] = tg_token
    if dc_token:
        env[DC_ENV] = dc_token
    return env


class Proc:
    """One child process with stdout/stderr in files under `workdir`."""

    def __init__(self, proc: asyncio.subprocess.Process, out: Path, err: Path) -> None:
        self.proc = proc
        self.out_path, self.err_path = out, err

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    def out(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def err(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    async def wait(self, timeout: float) -> int:
        """The exit status, within `timeout` seconds (killed and failed after that)."""
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            self.kill()
            await self.proc.wait()
            raise AssertionError(f"pid {self.pid} did not exit within {timeout} s:\n{self.err()[-3000:]}") from None

    def signal(self, sig: int) -> None:
        if self.proc.returncode is None:
            os.kill(self.proc.pid, sig)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)


async def start(argv: Sequence[str], *, env: dict[str, str], cwd: Path, name: str) -> Proc:
    """Start `argv` with output captured in `cwd/name.out` and `cwd/name.err` (appended)."""
    out, err = cwd / f"{name}.out", cwd / f"{name}.err"
    with open(out, "ab") as o, open(err, "ab") as e:  # noqa: ASYNC230 - two local files, opened once
        proc = await asyncio.create_subprocess_exec(*argv, env=env, cwd=cwd, stdout=o, stderr=e,
                                                    stdin=asyncio.subprocess.DEVNULL)
    return Proc(proc, out, err)


async def poll(condition: Callable[[], bool], *, timeout: float, what: str,
               alive: Sequence[Proc] = ()) -> None:
    """Check `condition` every 20 ms until it holds; fail if a process in `alive` exits first."""
    deadline = time.monotonic() + timeout
    while not condition():
        for p in alive:
            if p.returncode is not None:
                raise AssertionError(f"pid {p.pid} exited ({p.returncode}) before {what}:\n{p.err()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)
