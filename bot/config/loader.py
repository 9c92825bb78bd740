"""Loading the whole configuration at once, all or nothing.

``load_config`` reads every file of every kind, reports every problem of
every file in one run, and returns a :class:`Config` only when there is no
error.  Nothing is ever half-applied: callers keep their previous ``Config``
when loading fails (see :mod:`bot.config.reload`).

Cross-file checks (dangling references, rota compliance) run only when every
file is individually valid, so they never report noise caused by a file that
failed to parse.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ValidationError

from bot.config.errors import ConfigInvalid, ConfigIssue
from bot.config.kinds import KINDS, ConfigKind
from bot.config.validation import issues_from_validation
from bot.config.yaml_source import DocPath, YamlDocument, format_path, read_yaml_file


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
    cache: dict[str, Any] = field(default_factory=dict)  # domain indexes built from this config

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


def collect(paths: ConfigPaths, *, compliance_blocks: bool = True,
            complete: bool = False) -> tuple[Config | None, list[ConfigIssue]]:
    """Load everything; return (config or None, every issue incl. warnings).

    ``compliance_blocks=False`` still returns a config whose rota breaks a labor rule (the
    violations stay in the returned issues): a manager previewing or reviewing a rota edit must
    see that rota. Structural errors always refuse the configuration.
    ``complete=True`` also requires the files a working bot needs (``check``, ``serve``).
    """
    issues: list[ConfigIssue] = []
    files: dict[str, list[LoadedFile]] = {}
    failed: set[str] = set()  # kinds with at least one file that could not be read or validated
    for kind in KINDS:
        root = paths.root(kind)
        matches = sorted(p for p in root.glob(kind.pattern) if p.is_file()) if root.is_dir() else []
        for path in matches:
            doc, parse_issues = read_yaml_file(path, _display(path))
            issues.extend(parse_issues)
            if parse_issues:
                failed.add(kind.name)
            if doc is None:
                continue
            model, validation_issues = _validate(kind, doc)
            issues.extend(validation_issues)
            if validation_issues:
                failed.add(kind.name)
            if model is not None and not parse_issues:
                files.setdefault(kind.name, []).append(LoadedFile(kind.name, doc, model))
    if not paths.config_dir.is_dir():
        issues.append(ConfigIssue(str(paths.config_dir), 1, 1, "", "configuration folder not found; "
                                  "pass --config-dir or set BOT_CONFIG_DIR"))
    # Cross-file checks run for every kind whose own files and whose dependencies are valid, so one run
    # reports a typo in settings.yaml and a dangling reference in rotas.yaml together, but never reports
    # references into a file that failed to load as "unknown".
    config = Config(paths=paths, files=files)
    for kind in KINDS:
        if not config.loaded(kind.name) or kind.name in failed or failed & set(kind.depends_on):
            continue
        check = kind.cross_check_fn()
        if check is not None:
            issues.extend(check(config))
    if complete:
        issues.extend(missing_required(paths, config))
    if _blocking(issues, compliance_blocks):
        return None, issues
    config.warnings = [i for i in issues if i.severity == "warning"]
    return config, issues


def missing_required(paths: ConfigPaths, config: Config) -> list[ConfigIssue]:
    """Errors for the kinds of file a working bot needs but the folders do not have."""
    from bot.config.kinds import REQUIRED_KINDS, kind_named

    out = []
    for name in REQUIRED_KINDS:
        if not config.loaded(name):
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
