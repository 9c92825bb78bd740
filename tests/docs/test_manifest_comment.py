"""The manifest's own instructions match the manifest (a newcomer follows them line by line)."""

from __future__ import annotations

import re

from tests.docs.markdown_examples import REPO_ROOT

NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


def test_socket_mode_instruction_counts_the_url_lines_there_are():
    text = (REPO_ROOT / "manifest.yaml").read_text(encoding="utf-8")
    said = re.search(r"delete the (\w+) url/request_url", text)
    assert said, "the manifest should say which lines to delete for Socket Mode"
    url_lines = [line for line in text.splitlines()
                 if not line.lstrip().startswith("#") and re.match(r"\s*(url|request_url):", line)]
    assert NUMBERS[said.group(1)] == len(url_lines), url_lines
