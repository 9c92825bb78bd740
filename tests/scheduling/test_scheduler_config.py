"""The `scheduler` worker pages people, so it is as strict about its configuration as `serve`: it does not start
without the files a working bot needs (people, rotas, a playbook), and a reload that would leave one out is
rejected, the previous configuration staying in force."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from bot.slack.double import SlackDouble
from tests.conftest import REPO_ROOT
from tests.scheduling.workers import Worker, wait_for, worker_env, write_config

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("missing", ["people.yaml", "rotas.yaml"])
def test_the_worker_does_not_start_without_a_required_file(store, database_url, tmp_path, missing):
    config_dir = write_config(tmp_path)
    (config_dir / missing).unlink()
    with SlackDouble() as double:
        try:
            done = subprocess.run([sys.executable, "-m", "bot", "scheduler", "--config-dir", str(config_dir)],
                                  cwd=REPO_ROOT, env=worker_env(database_url, double), capture_output=True,
                                  text=True, timeout=30)
        except subprocess.TimeoutExpired as exc:
            output = exc.stderr.decode() if isinstance(exc.stderr, bytes) else exc.stderr
            pytest.fail(f"the worker started without {missing}:\n{output}")
    assert done.returncode == 2, done.stderr
    assert f"{missing}" in done.stderr and "required file not found" in done.stderr, done.stderr


def test_a_reload_that_removes_a_required_file_is_rejected(store, database_url, tmp_path):
    config_dir = write_config(tmp_path)
    with SlackDouble() as double:
        worker = Worker(worker_env(database_url, double), config_dir)
        try:
            assert wait_for(lambda: worker.became_leader_at() is not None, 30), worker.log()
            (config_dir / "rotas.yaml").unlink()  # nothing else refers to the rotation: only completeness refuses it
            os.kill(worker.proc.pid, signal.SIGHUP)
            assert wait_for(lambda: "configuration edit rejected" in worker.log()
                            or "configuration reloaded" in worker.log(), 30), worker.log()
            assert "configuration edit rejected" in worker.log() and "required file not found" in worker.log()
            assert worker.proc.poll() is None, "a rejected reload never stops the worker"
        finally:
            worker.stop()
