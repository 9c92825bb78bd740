"""Reading the command examples out of the project's Markdown files.

The convention these functions implement is written down at the top of
``tests/docs/test_doc_examples.py`` and in ``docs/contributing.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Why a ```sh block may be left unrun. Keep this list short: each entry is a thing the test cannot have.
NOT_RUN_REASONS = {
    "slack-workspace": "needs a real Slack workspace and its tokens",
    "external-service": "needs a server that is not part of this repository (a production database, a CI system)",
}
# The one command the test never runs: it is the test suite itself (CI runs it, see .ci/run).
SUITE_COMMAND = "python3 run.py test"

RUN_LANGUAGES = {"sh"}
# Blocks in these languages hold file contents or API code, not commands typed at a prompt.
CONTENT_LANGUAGES = {"yaml", "json", "python", "toml", "ini", "diff", "mermaid"}

# How a command of this project starts (the CLI, the quick start script, a module, a benchmark).
CLI_PROGRAMS = ("python -m bot", "python3 -m bot", "incident-bot", ".venv/bin/incident-bot")
RUN_PY = ("python3 run.py", "python run.py")
MODULE_PREFIXES = ("python -m bot.", "python3 -m bot.")
BENCH_PREFIXES = ("python bench/", "python3 bench/")
_EXPECTED_EXIT = re.compile(r"#\s*exits\s+(\d+)\b")
_PLACEHOLDER_TOKEN = re.compile(r"^[A-Z][A-Z0-9_=,.:]*[A-Z0-9]$")
_FENCE = re.compile(r"^(\s*)(```+|~~~+)(.*)$")
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_HEREDOC = re.compile(r"<<-?\s*'?\"?([A-Za-z_]+)'?\"?")


@dataclass
class Block:
    doc: Path
    line: int  # line of the opening fence (1-based)
    language: str
    options: str  # the rest of the info string
    lines: list[tuple[int, str]] = field(default_factory=list)

    @property
    def not_run_reason(self) -> str | None:
        match = re.search(r"not-run:\s*([\w-]+)", self.options)
        return match.group(1) if match else None


@dataclass(frozen=True)
class Command:
    doc: Path
    line: int
    text: str  # one logical command (continuations joined with newlines, heredoc included)
    last_line: str  # the line that ends the command (before a heredoc's body): where `# exits N` goes

    @property
    def expected_exit(self) -> int:
        match = _EXPECTED_EXIT.search(self.last_line)
        return int(match.group(1)) if match else 0

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO_ROOT)}:{self.line}"


@dataclass(frozen=True)
class Mention:
    """A command or path named in prose or shown as syntax: checked, not run."""

    doc: Path
    line: int
    text: str

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(REPO_ROOT)}:{self.line}"


def documents() -> list[Path]:
    return [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]


def blocks(doc: Path) -> list[Block]:
    found: list[Block] = []
    current: Block | None = None
    fence = ""
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        match = _FENCE.match(line)
        if current is None:
            if match:
                info = match.group(3).strip()
                language, _, options = info.partition(" ")
                current, fence = Block(doc, number, language.lower(), options.strip()), match.group(2)
            continue
        if match and match.group(2).startswith(fence) and not match.group(3).strip():
            found.append(current)
            current = None
            continue
        current.lines.append((number, line))
    if current is not None:
        raise AssertionError(f"{doc.relative_to(REPO_ROOT)}:{current.line}: code block is never closed")
    return found


def commands(block: Block) -> list[Command]:
    """The logical commands of a ```sh block: one per line, ``\\`` continues, heredocs run to their end word."""
    out: list[Command] = []
    pending: list[str] = []
    start = 0
    heredoc_end: str | None = None
    last = ""
    for number, line in block.lines:
        if heredoc_end is not None:
            pending.append(line)
            if line.strip() == heredoc_end:
                out.append(Command(block.doc, start, "\n".join(pending), last))
                pending, heredoc_end = [], None
            continue
        if not pending:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        pending.append(line)
        if line.rstrip().endswith("\\"):
            continue
        last = line
        heredoc = _HEREDOC.search(line.split(" #", 1)[0])
        if heredoc:
            heredoc_end = heredoc.group(1)
            continue
        out.append(Command(block.doc, start, "\n".join(pending), last))
        pending = []
    if pending:
        raise AssertionError(f"{block.doc.relative_to(REPO_ROOT)}:{start}: command is not finished "
                             f"(a trailing backslash or an unclosed heredoc)")
    return out


def is_program(text: str) -> bool:
    """Does this text start with a command of this project?"""
    return (any(text == p or text.startswith(p + " ") for p in CLI_PROGRAMS + RUN_PY)
            or text.startswith(MODULE_PREFIXES + BENCH_PREFIXES))


def is_synopsis(text: str) -> bool:
    """Shows syntax (placeholders in capitals, [optional] parts, a|b choices, …) rather than a concrete command."""
    if any(mark in text for mark in ("[", "|", "…", "...")):
        return True
    return any(_PLACEHOLDER_TOKEN.match(token.strip("\"'")) for token in text.split())


def mentions(doc: Path) -> list[Mention]:
    """Inline code spans outside code blocks, and command lines of blocks that are neither run nor content."""
    found: list[Mention] = []
    in_block = False
    fence = ""
    block_language = ""
    for number, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), start=1):
        match = _FENCE.match(line)
        if match and not in_block:
            in_block, fence = True, match.group(2)
            block_language = match.group(3).strip().partition(" ")[0].lower()
            continue
        if in_block:
            if match and match.group(2).startswith(fence) and not match.group(3).strip():
                in_block = False
            elif block_language not in RUN_LANGUAGES | CONTENT_LANGUAGES:
                text = line.strip()
                if is_program(text):
                    found.append(Mention(doc, number, text))
            continue
        for span in _INLINE.findall(line):
            found.append(Mention(doc, number, span.strip()))
    return found
