"""Which configuration was in force: a content hash of the files as loaded, plus the git commit.

An auditor asks which rota, which labor rules and which regulations applied
to a decision made months ago.  Every page plan, deadline computation and
permission decision therefore records the *configuration version* of the
:class:`~bot.config.loader.Config` it was made with:

* ``hash``: SHA-256 over the sorted list of ``<folder>/<file> <sha256 of its bytes>``
  lines, one per file that was loaded (``config/rotas.yaml``, ``playbooks/sev1.yaml`` …), including the files
  of kinds a command does not read (``collect(kinds=...)`` identifies them without parsing them).
  It is computed from the bytes the loader actually read, never from the disk later,
  so an edit after loading cannot change the version of a decision already made.
  Anyone can recompute it with ``sha256sum`` over the files (``incident-bot check``
  prints it).
* ``git``: the commit checked out in the configuration folder, when it is a git
  checkout, and ``git_exact``: whether every loaded file is byte for byte the
  file of that commit (git's own object ids are compared).  ``git_exact: false``
  names a commit with local edits on top; the per-file hashes then say which.

The version is built once per loaded configuration (``Config.derived``).
"""

from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GIT_TIMEOUT = 5  # seconds; a hung git never holds up a decision for longer


@dataclass(frozen=True)
class ConfigVersion:
    digest: str  # hex SHA-256 of the file list
    files: tuple[tuple[str, str], ...]  # (label, sha256 of the bytes), sorted by label
    git_commit: str | None = None
    git_exact: bool | None = None  # None: not a git checkout (or git unavailable)
    git_changed: tuple[str, ...] = ()  # labels of files that differ from (or are not in) the commit

    @property
    def short(self) -> str:
        return self.digest[:12]

    def stamp(self) -> dict[str, Any]:
        """What a decision records: compact, and enough to find the files again."""
        return {"hash": self.digest, "git": self.git_commit, "git_exact": self.git_exact}

    def describe(self) -> str:
        git = ""
        if self.git_commit:
            git = f", git {self.git_commit[:12]}" + ("" if self.git_exact else " with local changes")
        return f"configuration {self.short} ({len(self.files)} files{git})"

    def to_json(self) -> dict[str, Any]:
        return {**self.stamp(), "files": {label: digest for label, digest in self.files},
                "git_changed": list(self.git_changed)}


def _label(config: Any, loaded: Any) -> str:
    from bot.config.kinds import kind_named

    kind = kind_named(loaded.kind)
    root = config.paths.root(kind)
    folder = "config" if kind.root == "config" else "playbooks"
    source = loaded.doc.source
    try:
        return f"{folder}/{Path(source).resolve().relative_to(Path(root).resolve()).as_posix()}"
    except (TypeError, ValueError):
        return f"{folder}/{Path(loaded.doc.file).name}"


def file_list_digest(files: list[tuple[str, str]]) -> str:
    text = "".join(f"{label} {digest}\n" for label, digest in sorted(files))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.SubprocessError):
        return None  # git not installed, or it hung
    return done.stdout if done.returncode == 0 else None


def _git_state(config: Any, blobs: dict[str, tuple[Path, str]]) -> tuple[str | None, bool | None, tuple[str, ...]]:
    folder = Path(config.paths.config_dir)
    top = _git(folder, "rev-parse", "--show-toplevel")
    commit = _git(folder, "rev-parse", "HEAD")
    if not top or not commit:
        return None, None, ()
    top_path = Path(top.strip()).resolve()
    inside: dict[str, tuple[str, str]] = {}  # repository path -> (label, blob of what was loaded)
    changed: list[str] = []
    for label, (source, blob) in blobs.items():
        try:
            inside[Path(source).resolve().relative_to(top_path).as_posix()] = (label, blob)
        except ValueError:
            changed.append(label)  # not in the checkout at all
    listing = _git(top_path, "ls-tree", "-r", "-z", "HEAD", "--", *sorted(inside)) if inside else ""
    if listing is None:
        return commit.strip(), None, ()
    committed: dict[str, str] = {}
    for entry in listing.split("\0"):
        if "\t" in entry:
            meta, path = entry.split("\t", 1)
            committed[path] = meta.split()[2]
    changed += [label for path, (label, blob) in inside.items() if committed.get(path) != blob]
    return commit.strip(), not changed, tuple(sorted(changed))


def build_version(config: Any) -> ConfigVersion:
    files: list[tuple[str, str]] = []
    blobs: dict[str, tuple[Path, str]] = {}
    for kind_files in (*config.files.values(), getattr(config, "unread", ())):
        for loaded in kind_files:
            label = _label(config, loaded)
            files.append((label, loaded.doc.sha256))
            if loaded.doc.source is not None:
                blobs[label] = (loaded.doc.source, loaded.doc.git_blob)
    commit, exact, changed = _git_state(config, blobs)
    return ConfigVersion(digest=file_list_digest(files), files=tuple(sorted(files)), git_commit=commit,
                         git_exact=exact, git_changed=changed)


def config_version(config: Any) -> ConfigVersion:
    """The version of ``config`` (built once per loaded configuration)."""
    return config.derived("config.version", build_version)


def version_stamp(config: Any) -> dict[str, Any]:
    return config_version(config).stamp()
