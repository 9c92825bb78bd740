"""A configuration file cannot hang the bot or fill its memory: aliases are bounded, files are capped."""

from __future__ import annotations

import time

import pytest

from bot.config import yaml_source
from bot.config.loader import ConfigPaths, collect
from bot.config.yaml_source import MAX_ALIAS_VALUES, parse_yaml, read_yaml_file


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each level repeats the previous one 9 times (9**levels values)."""
    names = "abcdefghijk"
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip(names, names[1:levels + 1]):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_is_refused_quickly_at_the_alias_that_crosses_the_budget():
    started = time.monotonic()
    doc, issues = parse_yaml(billion_laughs(), "bomb.yaml")
    assert time.monotonic() - started < 2  # refused while composing, before anything is copied
    assert doc is None
    (issue,) = issues
    # a is a list of 9 strings: 10 values. Each alias adds a copy of its anchor: b adds 9*10 = 90 (b is
    # 91 values), c adds 9*91 = 819 (820), d adds 9*820 = 7,380 (7,381), e adds 9*7,381 = 66,429 (66,430):
    # 74,718 added so far. f's first alias (line 6, column 8) adds a copy of e, 66,430: over 100,000.
    assert (issue.file, issue.line, issue.column) == ("bomb.yaml", 6, 8)
    assert issue.message.startswith(f"aliases in this file expand to more than {MAX_ALIAS_VALUES:,} values (at *e)")


@pytest.mark.parametrize("text, line, column", [
    ("a: &a [1, *a]\n", 1, 11),  # a list containing itself
    ("a: &a\n  b: *a\n", 2, 6),  # a mapping containing itself
    ("x:\n  - &loop {next: [*loop]}\n", 2, 19),  # deeper inside
])
def test_a_recursive_alias_is_refused_with_its_position(text, line, column):
    doc, issues = parse_yaml(text, "loop.yaml")
    assert doc is None
    (issue,) = issues
    assert (issue.line, issue.column) == (line, column)
    assert "refers to the value that contains it (a recursive alias" in issue.message


def test_ordinary_aliases_and_merge_keys_still_work():
    doc, issues = parse_yaml(
        "hours: &office {MO-FR: ['09:00-17:00']}\n"
        "a: {working_hours: *office}\n"
        "b: {working_hours: *office}\n"
        "base: &base {cadence: weekly, handoff: 'MO 09:00'}\n"
        "rot: {<<: *base, id: platform}\n", "ok.yaml")
    assert issues == []
    assert doc.data["a"] == doc.data["b"] == {"working_hours": {"MO-FR": ["09:00-17:00"]}}
    assert doc.data["rot"] == {"cadence": "weekly", "handoff": "MO 09:00", "id": "platform"}


def test_many_aliases_below_the_budget_are_accepted():
    # 5,000 people sharing one anchor of 10 values each: 50,000 values added, under the budget.
    text = "shared: &s [1, 2, 3, 4, 5, 6, 7, 8, 9]\npeople:\n" + "".join(f"  - {{id: p{i}, h: *s}}\n" for i in range(5000))
    doc, issues = parse_yaml(text, "many.yaml")
    assert issues == [] and len(doc.data["people"]) == 5000


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path, monkeypatch):
    monkeypatch.setattr(yaml_source, "MAX_FILE_BYTES", 1024)
    path = tmp_path / "settings.yaml"
    path.write_text("organisation: Acme\n" + "# comment\n" * 200)  # about 2 KiB
    doc, issues = read_yaml_file(path, "config/settings.yaml")
    assert doc is None
    (issue,) = issues
    assert (issue.file, issue.line, issue.column) == ("config/settings.yaml", 1, 1)
    assert "file is larger than" in issue.message and "the limit for a configuration file" in issue.message
    path.write_text("organisation: Acme\n")
    assert read_yaml_file(path, "config/settings.yaml")[1] == []


def test_the_shipped_limit_is_eight_mebibytes_and_check_reports_it(tmp_path):
    cfg = tmp_path / "config"
    cfg.mkdir()
    (cfg / "settings.yaml").write_text("organisation: Acme\n" + "#" * (8 * 1024 * 1024) + "\n")
    config, issues = collect(ConfigPaths(cfg, tmp_path / "playbooks"))
    assert config is None
    assert [i.message.split(",")[0] for i in issues] == ["file is larger than 8 MiB"]
