"""libyaml reads a configuration exactly as the pure-Python reader does: the same values, the same line
and column for every value and key, the same issues; errors keep the pure-Python wording."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import yaml_source
from bot.config.yaml_source import parse_yaml

ROOT = Path(__file__).resolve().parents[2]

SNIPPETS = {
    "typing": "at: 09:00\ncountry: NO\nflag: on\nreal: true\nn: 0x1F\nf: 1.5\nd: 2026-12-24\nt: 2026-12-24 09:00:00+01:00\n"
              "nothing: ~\nempty:\nq: '09:00'\nneg: -3\nsexa: 1:30\n",
    "merge and aliases": "base: &base {cadence: weekly, handoff: 'MO 09:00'}\nrot: {<<: *base, id: platform}\n"
                         "hours: &h {MO-FR: ['09:00-17:00']}\npeople:\n  - {id: a, working_hours: *h}\n"
                         "  - {id: b, working_hours: *h}\n",
    "merge of a list": "a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    "duplicate keys": "people:\n  - id: a\n    name: A\n    id: b\n  - {id: c, id: d}\n",
    "keys that are not text": "? [1, 2]\n: x\n1: one\ntrue: yes\nnull: nothing\n",
    "unicode positions": "a: 'é€😀'\nb: [x, {c: 'ü', d: e}]\n# ü😀\nf: |\n  ö😀\n  x\ng: \"😀\\u00e9\"\nh: ü😀\n",
    "block styles": "text: >\n  folded\n  lines\nkeep: |+\n  kept\n\nlist:\n- a\n-   b\n- - c\n  - d\n",
    "syntax error": "h: ü😀: x\n",
    "unclosed flow": "a: [1, 2\nb: 3\n",
    "bad indentation": "a:\n  b: 1\n c: 2\n",
    "tab": "a:\n\tb: 1\n",
    "two documents": "a: 1\n---\nb: 2\n",
    "undefined alias": "a: *nowhere\n",
    "a star in text only": "cron: '0 * * * *'\nnote: \"**bold**\"\n",
    "recursive alias": "a: &a [1, *a]\n",
    "non-printable": "a: \"bell\x07\"\n",
    "empty": "",
    "comment only": "# nothing here\n",
    "top-level list": "- 1\n- 2\n",
}


def _reference(text: str, file: str, monkeypatch: pytest.MonkeyPatch):
    with monkeypatch.context() as patch:
        patch.setattr(yaml_source, "_HAVE_LIBYAML", False)
        return parse_yaml(text, file)


def _same(text: str, file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, issues = parse_yaml(text, file)
    ref_doc, ref_issues = _reference(text, file, monkeypatch)
    assert issues == ref_issues
    assert (doc is None) == (ref_doc is None)
    if doc is not None:
        assert doc.data == ref_doc.data
        assert [type(v) for v in _leaves(doc.data)] == [type(v) for v in _leaves(ref_doc.data)]
        assert doc.positions == ref_doc.positions
        assert doc.key_positions == ref_doc.key_positions


def _leaves(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, list):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_a_snippet_reads_the_same_through_libyaml(name, monkeypatch):
    _same(SNIPPETS[name], f"{name}.yaml", monkeypatch)


def test_every_shipped_file_reads_the_same_through_libyaml(monkeypatch):
    files = sorted([*(ROOT / "config").rglob("*.yaml"), *(ROOT / "playbooks").rglob("*.yaml")])
    assert len(files) > 20
    for path in files:
        _same(path.read_text(encoding="utf-8"), str(path), monkeypatch)


def test_syntax_errors_keep_the_pure_python_wording():
    (issue,) = parse_yaml("h: ü😀: x\n", "x.yaml")[1]
    assert (issue.line, issue.column) == (1, 6)
    assert issue.message == "YAML syntax error: mapping values are not allowed here"


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML was built without libyaml: every file is read in Python")
def test_libyaml_does_the_reading_when_it_is_there():
    assert isinstance(yaml_source._compose("a: 1\n")[1], yaml_source._WholeLoader)
    assert isinstance(yaml_source._compose("a: &x 1\nb: *x\n")[1], yaml_source._FastLoader)
