"""A waitress server serving on a thread of its own, stopped from any other thread without killing it.

waitress's ``close()`` closes the server's sockets at once. Called from another thread, it pulls them from under
the serving loop, whose next ``select`` fails on a closed descriptor and ends the thread with an exception
(``EBADF``); worse, a descriptor number the loop then closes again may by then belong to another file of the
process (a database connection, another server's socket). :meth:`ServedInThread.stop` lets the requests being
answered finish, then has the loop close its own sockets (through waitress's trigger, on the loop's thread), so
the loop ends by itself; the trigger's own pipe is closed last, by the stopping thread, after its last write.
Used by every HTTP listener the bot runs beside its main server (the one beside Socket Mode, the alert intake's
own port).
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
        trigger = self.server.trigger

        def close_all_but_the_trigger() -> None:
            # On the loop's thread. The trigger's pipe stays open: this may run before our own pull below is
            # written (a finished request pulled the trigger first), and a write to a closed pipe fails, or lands
            # in whatever file took its number. Out of the map, it lets the loop end; we close it after the join.
            # The server's own close() would close the trigger too: its socket is closed as a plain dispatcher's.
            others = {fd: one for fd, one in self.server._map.items() if one is not trigger and one is not self.server}
            wasyncore.close_all(others)
            wasyncore.dispatcher.close(self.server)
            trigger.del_channel()

        trigger.pull_trigger(close_all_but_the_trigger)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            trigger.close()  # nobody writes to it any more: the loop has ended, the request threads have stopped
