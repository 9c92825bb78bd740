"""Keeping the last good configuration in force while managers edit files.

A running bot holds its configuration in a :class:`ConfigHolder`.  ``reload``
builds a complete new :class:`Config`; only when it is valid does it replace
the current one, atomically.  An invalid edit is rejected with every error
logged and the previous configuration stays in force; the ``on_rejected``
listeners get a :class:`Rejection` (which files, their content hash, the
errors), so that the people who run the bot are told, once per rejected
content (``serve`` and the ``scheduler`` record it through
:mod:`bot.audit.config_rejections`).

Reloads are triggered by SIGHUP (``install_sighup``) and by a watcher thread
that polls file modification times (``start_watching``).  A reload never
stops the process: any failure, even an unexpected one, is logged and the
previous configuration stays in force.  A reload that failed (e.g. the guard
could not read the database) is told to the ``on_rejected`` listeners like a
rejected edit, by the name of what was raised, and tried again at the next
poll; so is a rejection whose telling failed: an edit is never left
unapplied without a person being told.  A ``guard`` can refuse a valid
configuration that the running bot cannot switch to (a playbook that open
incidents still use).
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from bot.config.errors import ConfigIssue
from bot.config.kinds import KINDS
from bot.config.loader import Config, ConfigPaths, collect
from bot.config.version import file_list_digest

log = logging.getLogger(__name__)


# A check of a new configuration against what is running (e.g. open incidents still using a playbook).
Guard = Callable[[Config], list[ConfigIssue]]

# A fingerprint no folder has: the next poll reloads (a failed reload, or a rejection not told yet).
_TRY_AGAIN: tuple[tuple[str, int, int], ...] = (("", -1, -1),)


@dataclass(frozen=True)
class Rejection:
    """An edit the running bot refused: what was on disk and what was wrong, never the files' content.

    ``digest`` is computed like a configuration version's hash (:mod:`bot.config.version`) over every
    configuration file on disk, so the same rejected content has the same digest in every process."""

    digest: str
    files: tuple[tuple[str, str | None], ...]  # (label, sha256) of each file an error names; None: not on disk
    errors: tuple[str, ...]  # every error, "file:line:col: path: message"


def _label(paths: ConfigPaths, root_name: str, path: Path) -> str:
    root = paths.config_dir if root_name == "config" else paths.playbooks_dir
    try:
        return f"{root_name}/{path.resolve().relative_to(Path(root).resolve()).as_posix()}"
    except ValueError:
        return f"{root_name}/{path.name}"


def rejection(paths: ConfigPaths, errors: list[ConfigIssue]) -> Rejection:
    """What the files on disk are (label and SHA-256 of each) and which of them the ``errors`` name."""
    hashes: dict[Path, tuple[str, str]] = {}
    for kind in KINDS:
        root = paths.root(kind)
        for path in sorted(root.glob(kind.pattern)) if root.is_dir() else ():
            try:
                with path.open("rb") as f:
                    digest = hashlib.file_digest(f, "sha256").hexdigest()
            except OSError:
                continue  # gone since the load: the next poll sees the change
            hashes[path.resolve()] = (_label(paths, kind.root, path), digest)
    named: dict[str, str | None] = {}
    for issue in errors:
        label, digest = hashes.get(Path(issue.file).resolve(), (issue.file, None))
        named[label] = digest
    return Rejection(digest=file_list_digest(list(hashes.values())), files=tuple(sorted(named.items())),
                     errors=tuple(str(i) for i in errors))


class ConfigHolder:
    def __init__(self, paths: ConfigPaths, config: Config, *, complete: bool = False,
                 guard: Guard | None = None) -> None:
        self.paths = paths
        self._config = config
        self._complete = complete  # also require the files a working bot needs, as at start
        self._guard = guard
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Config], None]] = []
        self._rejected_listeners: list[Callable[[Rejection, Config], None]] = []
        self._stop = threading.Event()
        self._fingerprint = self._snapshot()
        self.last_issues: list[ConfigIssue] = []

    @property
    def current(self) -> Config:
        return self._config

    def on_change(self, listener: Callable[[Config], None]) -> None:
        self._listeners.append(listener)

    def on_rejected(self, listener: Callable[[Rejection, Config], None]) -> None:
        """``listener(rejection, configuration still in force)`` after each rejected reload (also of content
        rejected before: the listener decides what is new)."""
        self._rejected_listeners.append(listener)

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
                    refused = rejection(self.paths, errors)
                else:
                    self._config = config
                    refused = None
        except Exception as exc:
            log.exception("configuration reload failed; the previous configuration stays in force, the reload "
                          "is tried again at the next poll")
            self._fingerprint = _TRY_AGAIN
            self._tell_rejected(self._failure(exc))
            return False
        if refused is not None:
            self._tell_rejected(refused)
            return False
        log.info("configuration reloaded (%d warning(s))", len(config.warnings))
        for listener in list(self._listeners):
            try:
                listener(config)
            except Exception:  # a listener bug must not undo a good reload
                log.exception("configuration listener failed")
        return True

    def _failure(self, exc: Exception) -> Rejection | None:
        """A reload that raised, as a rejection of the files on disk: the name of what was raised, never its
        text (it may quote a file's content, e.g. a phone number)."""
        try:
            on_disk = rejection(self.paths, [])
        except Exception:  # noqa: BLE001 - the folder cannot be read: the next poll tries again
            log.exception("the failed configuration reload cannot be described")
            return None
        return Rejection(digest=on_disk.digest, files=(), errors=(
            f"the reload failed ({type(exc).__name__}, see the bot's log); it is tried again at each poll",))

    def _tell_rejected(self, refused: Rejection | None) -> None:
        for listener in list(self._rejected_listeners) if refused is not None else ():
            try:
                listener(refused, self._config)
            except Exception:  # e.g. the database is down: told at the next poll (once, the listener decides)
                log.exception("telling about the rejected configuration edit failed; tried again at the next poll")
                self._fingerprint = _TRY_AGAIN

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

