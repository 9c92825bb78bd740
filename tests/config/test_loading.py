"""`bot check` semantics: every error of every file, each pinned to file:line:col."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.config.errors import ConfigInvalid
from bot.config.loader import ConfigPaths, collect, load_config
from bot.config.yaml_source import parse_yaml


def write(dir_: Path, name: str, text: str) -> Path:
    path = dir_ / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def cfg(tmp_path) -> Path:
    d = tmp_path / "config"
    d.mkdir()
    return d


def errors_of(cfg: Path) -> list[str]:
    config, issues = collect(ConfigPaths(cfg, cfg.parent / "playbooks"))
    assert config is None, "expected the configuration to be rejected"
    return [str(i) for i in issues if i.severity == "error"]


def test_valid_settings_load(cfg):
    write(cfg, "settings.yaml", """
        organisation: Acme
        timezone: Europe/Lisbon
        admins: [U012AB3CD]
    """)
    config = load_config(ConfigPaths(cfg, cfg.parent / "playbooks"))
    assert config.settings.organisation == "Acme"
    assert config.settings.timezone == "Europe/Lisbon"


def test_yaml_syntax_error_names_file_line_and_column(cfg):
    write(cfg, "settings.yaml", """
        organisation: Acme
        admins: [U012AB3CD
        timezone: UTC
    """)
    (err,) = errors_of(cfg)
    # The unclosed flow sequence opened on line 2 is noticed at line 3, column 9 ("timezone:"
    # cannot appear inside a list); PyYAML reports the mark where parsing failed.
    assert err.startswith(f"{cfg / 'settings.yaml'}:3:") or "settings.yaml:3:" in err
    assert "YAML syntax error" in err


def test_unknown_key_is_an_error_with_a_suggestion(cfg):
    write(cfg, "settings.yaml", """
        organisation: Acme
        retention_dayz: 30
    """)
    (err,) = errors_of(cfg)
    assert "settings.yaml:2:1: retention_dayz: unknown key" in err
    assert 'did you mean "retention_days"?' in err


def test_duplicate_key_is_an_error(cfg):
    write(cfg, "settings.yaml", """
        timezone: Europe/Berlin
        organisation: Acme
        timezone: UTC
    """)
    (err,) = errors_of(cfg)
    assert "settings.yaml:3:1: timezone: duplicate key" in err
    assert "first defined at line 1" in err


def test_wrong_type_says_what_was_expected_and_found(cfg):
    write(cfg, "settings.yaml", """
        retention_days: a year
    """)
    (err,) = errors_of(cfg)
    assert err.endswith('settings.yaml:1:17: retention_days: expected a whole number, got "a year"')


def test_custom_value_errors_keep_their_sentence(cfg):
    write(cfg, "settings.yaml", """
        timezone: europe/berlin
    """)
    (err,) = errors_of(cfg)
    assert 'settings.yaml:1:11: timezone: expected an IANA time zone like "Europe/Berlin", got "europe/berlin"' in err
    assert 'did you mean "Europe/Berlin"?' in err


def test_every_error_in_a_file_is_reported_in_one_run(cfg):
    write(cfg, "settings.yaml", """
        organisation: Acme
        retention_days: -5
        admins: [not-a-user]
        reload_poll_secs: 1
    """)
    errs = errors_of(cfg)
    assert len(errs) == 3, errs
    assert any(":2:17: retention_days: expected greater than or equal to 1" in e for e in errs)
    assert any(":3:10: admins[0]: expected a Slack user id" in e for e in errs)
    assert any(":4:1: reload_poll_secs: unknown key" in e for e in errs)


def test_yaml_11_surprises_are_not_applied():
    # "09:00" would be the integer 540 and NO/on the boolean false/true under YAML 1.1.
    doc, issues = parse_yaml("at: 09:00\ncountry: NO\nflag: on\nreal: true\n", "x.yaml")
    assert not issues
    assert doc.data == {"at": "09:00", "country": "NO", "flag": "on", "real": True}


def test_positions_are_kept_for_nested_values():
    doc, _ = parse_yaml("a:\n  b:\n    - x\n    - y: 1\n", "x.yaml")
    assert doc.position(("a", "b", 1, "y")) == (4, 10)
    assert doc.position(("a", "b", 0)) == (3, 7)


def test_nothing_is_applied_when_any_file_is_invalid(cfg):
    write(cfg, "settings.yaml", "organisation: Acme\nretention_days: -1\n")
    with pytest.raises(ConfigInvalid) as info:
        load_config(ConfigPaths(cfg, cfg.parent / "playbooks"))
    assert "retention_days" in str(info.value)


def test_missing_config_folder_is_reported(tmp_path):
    config, issues = collect(ConfigPaths(tmp_path / "nope", tmp_path / "playbooks"))
    assert config is None
    assert "configuration folder not found" in str(issues[0])
