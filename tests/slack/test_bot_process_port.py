"""The separate bot process of the end-to-end tests starts on another port when the free port it was given is taken
before it binds (another process's connection or server took it meanwhile): a race, not a defect of the bot, that
made a fresh-clone run fail at setup with "Address already in use"."""

from __future__ import annotations

import socket

from bot.slack.double import bot_process
from tests.slack.conftest import _start


def test_a_port_taken_before_the_bot_binds_it_is_replaced(double, database_url, tmp_path, monkeypatch):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    occupied = taken.getsockname()[1]
    real = bot_process.free_port
    offered = iter([occupied])
    monkeypatch.setattr(bot_process, "free_port", lambda: next(offered, None) or real())
    try:
        proc = _start(double, database_url, tmp_path, scheduler=False)
        try:
            assert proc.port != occupied
            assert "Address already in use" in proc.log()  # the first start did fail on the taken port
        finally:
            proc.stop()
    finally:
        taken.close()
