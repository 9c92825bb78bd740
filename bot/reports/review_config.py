"""Loading a configuration for review: structural errors are fatal, labor violations are findings.

``bot check`` rejects a rota whose plan-time checks find a blocking labor-rule
violation.  A manager reviewing an edit, or asking for a report, still needs
to see that rota, with the violation shown, so this loader runs every
validation and cross-check of :func:`bot.config.loader.collect` except that
the rota compliance issues (``bot.oncall.compliance.check_rotas``) are left
out of the verdict.  Everything else (syntax, unknown keys, dangling
references) still refuses the configuration with every issue listed.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ValidationError

from bot.config.errors import ConfigInvalid, ConfigIssue
from bot.config.kinds import KINDS
from bot.config.loader import Config, ConfigPaths, LoadedFile
from bot.config.validation import issues_from_validation
from bot.config.yaml_source import read_yaml_file


def _display(path: Path) -> str:
    """Relative to the working directory when possible, as ``bot check`` prints it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _read(paths: ConfigPaths) -> tuple[dict[str, list[LoadedFile]], list[ConfigIssue]]:
    files: dict[str, list[LoadedFile]] = {}
    issues: list[ConfigIssue] = []
    for kind in KINDS:
        root = paths.root(kind)
        matches = sorted(p for p in root.glob(kind.pattern) if p.is_file()) if root.is_dir() else []
        for path in matches:
            doc, parse_issues = read_yaml_file(path, _display(path))
            issues.extend(parse_issues)
            if doc is None or parse_issues:
                continue
            model_class: type[BaseModel] = kind.model_class()
            data = doc.data if doc.data is not None else {}
            if not isinstance(data, dict):
                line, col = doc.position(())
                issues.append(ConfigIssue(doc.file, line, col, "", "expected a mapping of keys and values at the top of the file"))
                continue
            try:
                model = model_class.model_validate(data)
            except ValidationError as exc:
                issues.extend(issues_from_validation(exc, doc, model_class))
                continue
            files.setdefault(kind.name, []).append(LoadedFile(kind.name, doc, model))
    if not paths.config_dir.is_dir():
        issues.append(ConfigIssue(str(paths.config_dir), 1, 1, "", "configuration folder not found; "
                                  "pass --config-dir (or the folder given to --diff) that holds people.yaml and rotas.yaml"))
    return files, issues


def _compliance_issues(config: Config) -> set[ConfigIssue]:
    from bot.oncall.compliance import check_rotas

    rotas = config.loaded("rotas")
    if not rotas or not config.loaded("people"):
        return set()
    try:
        return set(check_rotas(config, rotas[0]))
    except (KeyError, ValueError):  # dangling references: those are the structural errors themselves
        return set()


def load_for_review(paths: ConfigPaths) -> Config:
    """A validated :class:`Config` even if its rota breaks labor rules; raises :class:`ConfigInvalid` otherwise.

    The returned config's ``warnings`` hold the non-compliance warnings only; the
    violations themselves are computed by the preview from the same core checks.
    """
    files, issues = _read(paths)
    if any(i.severity == "error" for i in issues):
        raise ConfigInvalid(issues)
    config = Config(paths=paths, files=files)
    if not config.loaded("people") or not config.loaded("rotas"):
        missing = [name for name in ("people", "rotas") if not config.loaded(name)]
        raise ConfigInvalid([ConfigIssue(str(paths.config_dir), 1, 1, "",
                                         f"expected {' and '.join(n + '.yaml' for n in missing)} in this folder, found none")])
    cross: list[ConfigIssue] = []
    for kind in KINDS:
        check = kind.cross_check_fn() if config.loaded(kind.name) else None
        if check is not None:
            cross.extend(check(config))
    structural = [i for i in cross if i.severity == "error"]
    if structural:
        compliance = _compliance_issues(config)
        structural = [i for i in structural if i not in compliance]
    if structural:
        raise ConfigInvalid(issues + structural)
    config.warnings = [i for i in issues + cross if i.severity == "warning"]
    return config
