"""Keeping the last good configuration in force while managers edit files.

A running bot holds its configuration in a :class:`ConfigHolder`.  ``reload``
builds a complete new :class:`Config`; only when it is valid does it replace
the current one, atomically.  An invalid edit is rejected with every error
logged and the previous configuration stays in force.

Reloads are triggered by SIGHUP (``install_sighup``) and by a watcher thread
that polls file modification times (``start_watching``).
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


class ConfigHolder:
    def __init__(self, paths: ConfigPaths, config: Config) -> None:
        self.paths = paths
        self._config = config
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
        """Try to load the files again. True if the new configuration is now in force."""
        with self._lock:
            self._fingerprint = self._snapshot()
            config, issues = collect(self.paths)
            self.last_issues = issues
            if config is None:
                errors = [i for i in issues if i.severity == "error"]
                log.error("configuration edit rejected (%d error(s)); the previous configuration stays in force:\n%s",
                          len(errors), "\n".join(str(i) for i in errors))
                return False
            self._config = config
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
        if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
            return
        signal.signal(signal.SIGHUP, lambda *_: self.reload())

