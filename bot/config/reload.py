"""Keeping the last good configuration in force while managers edit files.

A running bot holds its configuration in a :class:`ConfigHolder`.  ``reload``
builds a complete new :class:`Config`; only when it is valid does it replace
the current one, atomically.  An invalid edit is rejected with every error
logged and the previous configuration stays in force.

Reloads are triggered by SIGHUP (``install_sighup``) and by a watcher thread
that polls file modification times (``start_watching``).  A reload never
stops the process: any failure, even an unexpected one, is logged and the
previous configuration stays in force.  A ``guard`` can refuse a valid
configuration that the running bot cannot switch to (a playbook that open
incidents still use).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Callable

from bot.config.errors import ConfigIssue
from bot.config.kinds import KINDS
from bot.config.loader import Config, ConfigPaths, collect

log = logging.getLogger(__name__)


# A check of a new configuration against what is running (e.g. open incidents still using a playbook).
Guard = Callable[[Config], list[ConfigIssue]]


class ConfigHolder:
    def __init__(self, paths: ConfigPaths, config: Config, *, complete: bool = False,
                 guard: Guard | None = None) -> None:
        self.paths = paths
        self._config = config
        self._complete = complete  # also require the files a working bot needs, as at start
        self._guard = guard
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Config], None]] = []
        self._stop = threading.Event()
        self._fingerprint = self._snapshot()
        self.last_issues: list[ConfigIssue] = []

    @property
    def current(self) -> Config:
        return self._config

    def on_change(self, listener: Callable[[Config], None]) -> None:
        self._listeners.append(listener)

    def reload(self) -> bool:
        """Try to load the files again. True if the new configuration is now in force.

        Never raises: whatever goes wrong while reading, checking or guarding the new files (a bug
        included), the running configuration stays in force and the process goes on.
        """
        try:
            with self._lock:
                self._fingerprint = self._snapshot()
                config, issues = collect(self.paths, complete=self._complete)
                if config is not None and self._guard is not None:
                    issues = issues + self._guard(config)
                self.last_issues = issues
                errors = [i for i in issues if i.severity == "error"]
                if config is None or errors:
                    log.error("configuration edit rejected (%d error(s)); the previous configuration stays in "
                              "force:\n%s", len(errors), "\n".join(str(i) for i in errors))
                    return False
                self._config = config
        except Exception:
            log.exception("configuration reload failed; the previous configuration stays in force")
            return False
        log.info("configuration reloaded (%d warning(s))", len(config.warnings))
        for listener in list(self._listeners):
            try:
                listener(config)
            except Exception:  # a listener bug must not undo a good reload
                log.exception("configuration listener failed")
        return True

    # --- triggers ---------------------------------------------------------

    def _snapshot(self) -> tuple[tuple[str, int, int], ...]:
        entries: list[tuple[str, int, int]] = []
        for kind in KINDS:
            root = self.paths.root(kind)
            if not root.is_dir():
                continue
            for path in root.glob(kind.pattern):
                try:
                    st = path.stat()
                except OSError:
                    continue
                entries.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(sorted(entries))

    def changed_on_disk(self) -> bool:
        return self._snapshot() != self._fingerprint

    def poll_once(self) -> bool | None:
        """Reload if files changed. None if nothing changed, else the reload result."""
        if not self.changed_on_disk():
            return None
        return self.reload()

    def start_watching(self, interval_seconds: float) -> threading.Thread:
        def run() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.poll_once()
                except Exception:
                    log.exception("configuration watcher failed; it keeps running")

        thread = threading.Thread(target=run, name="config-watcher", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def install_sighup(self) -> None:
        """SIGHUP reloads in a thread of its own: the signal handler does no work that could fail or block
        the main thread (the web server), and a slow reload never delays the next request."""
        if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGHUP, lambda *_: threading.Thread(target=self.reload, name="config-reload",
                                                                 daemon=True).start())

