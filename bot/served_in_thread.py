"""A waitress server serving on a thread of its own, stopped from any other thread without killing it.

waitress's ``close()`` closes the server's sockets at once. Called from another thread, it pulls them from under
the serving loop, whose next ``select`` fails on a closed descriptor and ends the thread with an exception
(``EBADF``); worse, a descriptor number the loop then closes again may by then belong to another file of the
process (a database connection, another server's socket). :meth:`ServedInThread.stop` lets the requests being
answered finish, then has the loop close its own sockets (through waitress's trigger, on the loop's thread), so
the loop ends by itself. Used by every HTTP listener the bot runs beside its main server (the one beside Socket
Mode, the alert intake's own port).
"""

from __future__ import annotations

import threading
from typing import Any


class ServedInThread:
    """``server`` (from ``waitress.create_server``) serving on a thread named ``name`` until :meth:`stop`."""

    def __init__(self, server: Any, *, name: str) -> None:
        self.server = server
        self.effective_port = server.effective_port
        self._thread = threading.Thread(target=server.run, name=name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        from waitress import wasyncore

        if not self._thread.is_alive():
            return
        self.server.task_dispatcher.shutdown(timeout=timeout)
        self.server.trigger.pull_trigger(lambda: wasyncore.close_all(self.server._map))
        self._thread.join(timeout)
