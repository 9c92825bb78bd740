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

from bot.config.errors import ConfigInvalid, ConfigIssue
from bot.config.loader import Config, ConfigPaths, collect


def load_for_review(paths: ConfigPaths) -> Config:
    """A validated :class:`Config` even if its rota breaks labor rules; raises :class:`ConfigInvalid` otherwise.

    The returned config's ``warnings`` hold the non-compliance warnings only; the
    violations themselves are computed by the preview from the same core checks.
    """
    config, issues = collect(paths, compliance_blocks=False)
    if config is None:
        if not paths.config_dir.is_dir():
            issues = [i for i in issues if "configuration folder not found" not in i.message] + [ConfigIssue(
                str(paths.config_dir), 1, 1, "", "configuration folder not found; pass --config-dir (or the folder "
                "given to --diff) that holds people.yaml and rotas.yaml")]
        raise ConfigInvalid(issues)
    missing = [name for name in ("people", "rotas") if not config.loaded(name)]
    if missing:
        raise ConfigInvalid([ConfigIssue(str(paths.config_dir), 1, 1, "",
                                         f"expected {' and '.join(n + '.yaml' for n in missing)} in this folder, found none")])
    return config
