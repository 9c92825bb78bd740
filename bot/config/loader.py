"""Loading the whole configuration at once, all or nothing.

``load_config`` reads every file of every kind, reports every problem of
every file in one run, and returns a :class:`Config` only when there is no
error.  Nothing is ever half-applied: callers keep their previous ``Config``
when loading fails (see :mod:`bot.config.reload`).

Cross-file checks (dangling references, rota compliance) run on every part
that can still be used, so a typo in one file never hides a dangling
reference in another; findings that another error explains (a reference to
an item that has its own error, a rota checked with parts missing) are left
out, so nothing is reported twice or wrongly.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Collection, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

from pydantic import BaseModel, ValidationError

from bot.config.errors import ConfigInvalid, ConfigIssue
from bot.config.kinds import KINDS, ConfigKind, kind_named
from bot.config.repair import UsablePart, usable_part
from bot.config.validation import issues_from_validation
from bot.config.yaml_source import DocPath, YamlDocument, format_path, identify_yaml_file, read_yaml_file


@dataclass(frozen=True)
class ConfigPaths:
    config_dir: Path
    playbooks_dir: Path

    @classmethod
    def default(cls, config_dir: str | Path | None = None, playbooks_dir: str | Path | None = None) -> "ConfigPaths":
        cdir = Path(config_dir or os.environ.get("BOT_CONFIG_DIR") or "config")
        pdir = Path(playbooks_dir or os.environ.get("BOT_PLAYBOOKS_DIR") or (cdir.parent / "playbooks"))
        return cls(cdir, pdir)

    def root(self, kind: ConfigKind) -> Path:
        return self.config_dir if kind.root == "config" else self.playbooks_dir


@dataclass
class LoadedFile:
    kind: str
    doc: YamlDocument
    model: Any

    @property
    def file(self) -> str:
        return self.doc.file

    def issue(self, path: DocPath, message: str, severity: Literal["error", "warning"] = "error",
              *, key: bool = False) -> ConfigIssue:
        line, col = self.doc.position(tuple(path), key=key)
        return ConfigIssue(self.doc.file, line, col, format_path(tuple(path)), message, severity)


@dataclass
class Config:
    """A fully validated configuration. Immutable by convention: reloads build a new one."""

    paths: ConfigPaths
    files: dict[str, list[LoadedFile]]
    warnings: list[ConfigIssue] = field(default_factory=list)
    # Files of the kinds a partial load did not read (``collect(kinds=...)``): identified, not parsed (model None),
    # so the configuration version still covers every file.
    unread: list[LoadedFile] = field(default_factory=list)
    cache: dict[str, Any] = field(default_factory=dict)  # domain indexes built from this config
    # The day `check` looks ahead from (the reader's today), and how many weeks (None: as configured).
    # None for a running bot: a restart must never fail because the calendar moved on.
    today: date | None = None
    weeks_ahead: int | None = None

    def loaded(self, kind: str) -> list[LoadedFile]:
        return self.files.get(kind, [])

    def one(self, kind: str) -> Any:
        items = self.loaded(kind)
        return items[0].model if items else None

    def all(self, kind: str) -> list[Any]:
        return [f.model for f in self.loaded(kind)]

    @property
    def settings(self) -> Any:
        from bot.config.settings import SettingsFile

        return self.one("settings") or SettingsFile()

    def derived(self, key: str, build: Callable[["Config"], Any]) -> Any:
        """Build-once domain index (e.g. the resolved team) tied to this config version."""
        if key not in self.cache:
            self.cache[key] = build(self)
        return self.cache[key]


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _validate(kind: ConfigKind, doc: YamlDocument) -> tuple[Any, list[ConfigIssue]]:
    model: type[BaseModel] = kind.model_class()
    data = doc.data if doc.data is not None else {}
    if not isinstance(data, dict):
        line, col = doc.position(())
        return None, [ConfigIssue(doc.file, line, col, "", "expected a mapping of keys and values at the top of the file")]
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, issues_from_validation(exc, doc, model)


def _blocking(issues: list[ConfigIssue], compliance_blocks: bool) -> bool:
    return any(i.severity == "error" and (compliance_blocks or i.category != "compliance") for i in issues)


# A cross-file check names the reference it could not resolve: 'unknown person "x"' or, in the
# "expected ..., got ..." form, 'expected a playbook id (...), got "x"'.
_UNKNOWN_REFERENCE = re.compile(r'unknown [a-z ]+ "([^"]+)"|, got "([^"]+)"$')


@dataclass
class _Reading:
    """Everything read from the folders, before anything is decided."""

    files: dict[str, list[LoadedFile]] = field(default_factory=dict)  # valid files
    partial: dict[str, list[LoadedFile]] = field(default_factory=dict)  # usable parts of files with errors
    present: set[str] = field(default_factory=set)  # kinds with at least one file on disk
    failed: set[str] = field(default_factory=set)  # kinds with at least one file with errors
    unusable: dict[str, str] = field(default_factory=dict)  # kind -> file: nothing of it can be used
    dropped: set[str] = field(default_factory=set)  # ids of items that exist but have errors


def _files_of(kind: ConfigKind, root: Path, stems: Collection[str] | None = None) -> list[Path]:
    """The kind's files (only those named ``stems``, without ".yaml", when given)."""
    found = sorted(p for p in root.glob(kind.pattern) if p.is_file()) if root.is_dir() else []
    return found if stems is None else [p for p in found if p.stem in stems]


def _unread(kind: ConfigKind, root: Path, read: Collection[str] = ()) -> list[LoadedFile]:
    """The kind's files that were not read (all but those named ``read``), hashed for the config version."""
    docs = [identify_yaml_file(path, _display(path)) for path in _files_of(kind, root) if path.stem not in read]
    return [LoadedFile(kind.name, doc, None) for doc in docs if doc is not None]


def _read_kind(kind: ConfigKind, root: Path, reading: _Reading, issues: list[ConfigIssue],
               stems: Collection[str] | None = None) -> None:
    for path in _files_of(kind, root, stems):
        reading.present.add(kind.name)
        doc, parse_issues = read_yaml_file(path, _display(path))
        issues.extend(parse_issues)
        model, validation_issues = _validate(kind, doc) if doc is not None else (None, [])
        issues.extend(validation_issues)
        if not parse_issues and not validation_issues:
            reading.files.setdefault(kind.name, []).append(LoadedFile(kind.name, doc, model))
            continue
        reading.failed.add(kind.name)
        part = UsablePart(model) if model is not None else usable_part(kind.model_class(), doc.data if doc else None)
        reading.dropped |= part.dropped
        if part.model is not None:
            reading.partial.setdefault(kind.name, []).append(LoadedFile(kind.name, doc, part.model))
        elif kind.many:  # one item of the kind is missing: the others still answer references
            data = doc.data if doc is not None and isinstance(doc.data, dict) else {}
            reading.dropped |= {path.stem} | ({str(data["id"])} if isinstance(data.get("id"), (str, int)) else set())
        else:
            reading.unusable[kind.name] = _display(path)


def _cross_check(kind: ConfigKind, config: Config, reading: _Reading) -> list[ConfigIssue]:
    """The kind's cross-file checks, on every usable part; findings explained by other errors are left out."""
    blocked = [reading.unusable[d] for d in kind.depends_on if d in reading.unusable]
    if blocked:
        where = _display(config.paths.root(kind) / kind.pattern)
        return [ConfigIssue(where, 1, 1, "", f"references into {', '.join(sorted(blocked))} were not checked: it "
                            "cannot be read; fix it and run check again", "warning")]
    check = kind.cross_check_fn()
    if check is None:
        return []
    rereading = {kind.name, *kind.depends_on} & reading.failed
    out = []
    for issue in check(config):
        if issue.category == "compliance" and rereading:
            continue  # a rota checked with parts missing would show violations that are not there
        unknown = _UNKNOWN_REFERENCE.search(issue.message)
        if unknown and (unknown.group(1) or unknown.group(2)) in reading.dropped:
            continue  # it exists; its own error is reported where it is written
        out.append(issue)
    return out


def collect(paths: ConfigPaths, *, compliance_blocks: bool = True, complete: bool = False,
            today: date | None = None, weeks_ahead: int | None = None,
            kinds: tuple[str, ...] | None = None,
            only: Mapping[str, Collection[str]] | None = None) -> tuple[Config | None, list[ConfigIssue]]:
    """Load everything; return (config or None, every issue incl. warnings).

    Every file is read and validated on its own, and the cross-file checks run on every usable part
    (see :mod:`bot.config.repair`), so one run reports the errors of all files, including references
    between files that can still be resolved. A configuration is returned only when there is no error.
    ``compliance_blocks=False`` still returns a config whose rota breaks a labor rule (the
    violations stay in the returned issues): a manager previewing or reviewing a rota edit must
    see that rota. Structural errors always refuse the configuration.
    ``complete=True`` also requires the files a working bot needs (``check``, ``serve``).
    ``today`` also checks the weeks ahead of that day (``check``; ``weeks_ahead`` overrides the files).
    ``kinds``: read only these kinds (a command that needs only part of the configuration). The files of the
    others are neither read nor checked, and a cross-check that reads a kind left out is not run (it would
    take the missing files for unknown references): ``check`` and ``serve`` read everything.
    ``only``: of these kinds, read only the files with these names (without ".yaml"), e.g.
    ``{"regulation": {"gdpr"}}``; the kind's other files are hashed like unread kinds, and no cross-check that
    reads the kind is run.
    """
    with _collector_paused():
        return _collect(paths, compliance_blocks, complete, today, weeks_ahead, kinds, only or {})


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a configuration is read and checked.

    Loading builds hundreds of thousands of objects that all stay alive (nodes, values, models, shifts);
    the collector, started every few hundred allocations, walked them again and again: at 20,000 people
    it took two thirds of the time of composing people.yaml (bench/org_scale.py). Nothing made here is
    freed any later for it: the collector runs as before once the load is over (unless it was off)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _collect(paths: ConfigPaths, compliance_blocks: bool, complete: bool, today: date | None,
             weeks_ahead: int | None, kinds: tuple[str, ...] | None,
             only: Mapping[str, Collection[str]]) -> tuple[Config | None, list[ConfigIssue]]:
    issues: list[ConfigIssue] = []
    reading = _Reading()
    wanted = {kind_named(k).name for k in kinds} if kinds is not None else {k.name for k in KINDS}  # a typo raises
    only = {kind_named(k).name: stems for k, stems in only.items()}
    for kind in KINDS:
        if kind.name in wanted:
            _read_kind(kind, paths.root(kind), reading, issues, only.get(kind.name))
    if not paths.config_dir.is_dir():
        issues.append(ConfigIssue(str(paths.config_dir), 1, 1, "", "configuration folder not found; "
                                  "pass --config-dir or set BOT_CONFIG_DIR"))
    usable = {k: reading.files.get(k, []) + reading.partial.get(k, []) for k in reading.files.keys() | reading.partial}
    checking = Config(paths=paths, files=usable, today=today, weeks_ahead=weeks_ahead)
    for kind in KINDS:
        whole = wanted.issuperset(kind.depends_on) and not only.keys() & {kind.name, *kind.depends_on}
        if checking.loaded(kind.name) and whole:
            issues.extend(_cross_check(kind, checking, reading))
    if complete:
        issues.extend(missing_required(paths, reading.present))
    if _blocking(issues, compliance_blocks):
        return None, issues
    config = Config(paths=paths, files=reading.files, today=today, weeks_ahead=weeks_ahead)
    config.warnings = [i for i in issues if i.severity == "warning"]
    config.unread = [f for kind in KINDS if kind.name not in wanted for f in _unread(kind, paths.root(kind))]
    config.unread += [f for kind in KINDS if kind.name in wanted and kind.name in only
                      for f in _unread(kind, paths.root(kind), only[kind.name])]
    return config, issues


def missing_required(paths: ConfigPaths, present: set[str]) -> list[ConfigIssue]:
    """Errors for the kinds of file a working bot needs but the folders do not have at all."""
    from bot.config.kinds import REQUIRED_KINDS

    out = []
    for name in REQUIRED_KINDS:
        if name not in present:
            kind = kind_named(name)
            where = paths.root(kind) / kind.pattern
            out.append(ConfigIssue(_display(where), 1, 1, "", f"required file not found: {kind.description}; "
                                   "check --config-dir / --playbooks-dir (see README, Configuration)"))
    return out


def load_config(paths: ConfigPaths | None = None) -> Config:
    """Load and validate; raise :class:`ConfigInvalid` with every issue on any error."""
    config, issues = collect(paths or ConfigPaths.default())
    if config is None:
        raise ConfigInvalid(issues)
    return config
