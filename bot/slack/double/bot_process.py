"""``python -m bot serve`` as a separate process in HTTP mode against the Slack double (tests, benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.slack.double.sender import SECRET

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """``python -m bot serve`` in HTTP mode against the Slack double."""

    def __init__(self, *, api_url: str, database_url: str, config_dir: Path, playbooks_dir: Path, log_path: Path,
                 scheduler: bool = False, extra_env: dict[str, str] | None = None,
                 extra_args: list[str] | None = None, port: int | None = None) -> None:
        self._chosen = port is None  # a free port found by asking; another process may take it before the bot binds
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env.update({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": api_url,
                    "DATABASE_URL": database_url, "BOT_CONFIG_DIR": str(config_dir),
                    "BOT_PLAYBOOKS_DIR": str(playbooks_dir), "PYTHONUNBUFFERED": "1", **(extra_env or {})})
        self._env = env
        self._args = ([sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1"]
                      + ([] if scheduler else ["--no-scheduler"]) + list(extra_args or []))
        self._log = open(log_path, "wb")
        self._start(port or free_port())

    def _start(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(self._args, cwd=REPO, env={**self._env, "PORT": str(port)}, stdout=self._log,
                                     stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        retries = 3
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if self._chosen and retries and "Address already in use" in self.log():
                    retries -= 1  # the port was free when asked, taken before the bot bound it: another one
                    self._start(free_port())
                    continue
                raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the bot did not start within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
