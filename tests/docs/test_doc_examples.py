"""Every command example in README.md and docs/*.md is run, so the docs cannot go stale.

The convention (also in docs/contributing.md, "Command examples in the docs"):

1. A fenced block labelled ```sh holds commands to type, and this test runs every one of them.
   * Commands of one document run in order, in one bash process (``set -o pipefail``), in a scratch
     copy of the repository: its own ``config/`` and ``playbooks/`` (edit them freely), a fresh
     ``var/`` (so the default SQLite database is new), no ``SLACK_*`` or ``DATABASE_URL`` in the
     environment, and the project's virtual environment first on ``PATH`` (``python``, ``python3`` and
     ``incident-bot`` are the project's). ``cd``, variables and background jobs carry over to the
     next command of the same document; background jobs left running are stopped at the end.
     Documents run one at a time on a machine, so an example may start a server on a fixed port
     (the tutorial's bot on 3000 and Slack double on 3001).
   * One command per line; a line ending in ``\\`` continues on the next; a heredoc (``<<'EOF'``)
     runs to its end word. Lines starting with ``#`` are comments. No prompts (``$``), no output in
     the block: show output in a separate ```text block.
   * A command must exit 0. If the doc shows a command failing on purpose, say so at the end of its
     line: ``python -m bot rota preview ... --diff edited/config   # exits 1: a new blocking violation``.
     The test then requires exactly that exit code.
2. A ```sh block that cannot run here says why in its info string: ```sh not-run: slack-workspace
   (needs a real Slack workspace) or ```sh not-run: external-service (needs a server that is not in
   this repository). No other reason is accepted, and their number is capped (``MAX_NOT_RUN``): a new
   one needs a reason a reviewer can see. ``python3 run.py test`` is never run here: it is this suite
   (CI runs it).
3. Everything else that names a command is checked, not run: inline code in prose
   (`python -m bot check`) and syntax in ```text blocks (`incident-bot oncall [ROTA] [--at T]`)
   must name a real command and only options it has; a module (``python -m bot.slack.double``) must
   exist; a benchmark script must exist and know the options shown. A concrete command (no
   placeholder in CAPITALS, no ``[...]``, ``a|b`` or ``…``) in a ```text block is an error: label
   the block ```sh so it runs.
4. Slack command examples in inline code (`/incident fact personal_data_breach true`) are parsed by
   the bot's real command parser; a fact example must be one the bot accepts, name and value (a counts
   fact takes a key: `/incident fact residents.CA 600`). A bare `/incident fact` or `/oncall worked`
   names the command. ``#name`` is read as Slack sends it (``<#C…|name>``) and ``INC-n`` as an incident number.
5. Links to files (``[x](oncall.md)``) and inline ``*.md`` names must point at files in the repository
   (names under ``var/`` are files the bot writes, such as the drill's evidence pack).
"""

from __future__ import annotations

import fcntl
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tests.docs.markdown_examples import (
    BENCH_PREFIXES, CLI_PROGRAMS, CONTENT_LANGUAGES, MODULE_PREFIXES, NOT_RUN_REASONS, REPO_ROOT, RUN_LANGUAGES,
    RUN_PY, SUITE_COMMAND, Command, Mention, blocks, commands, documents, is_program, is_synopsis, mentions,
)

# Every not-run block is a promise the docs make that no test keeps: keep them this few.
MAX_NOT_RUN = 5
DOC_TIMEOUT_SECONDS = 600
SCRATCH_COPIES = ("config", "playbooks")  # copied, so a doc may edit them; everything else is linked
SCRATCH_SKIP = {".git", "var", ".pytest_cache", ".hypothesis", "build", "dist"}
MACHINE_LOCK = Path(tempfile.gettempdir()) / "incident-bot-doc-examples.lock"


def _rel(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def _runnable(doc: Path) -> list[Command]:
    out: list[Command] = []
    for block in blocks(doc):
        if block.language in RUN_LANGUAGES and block.not_run_reason is None:
            out.extend(c for c in commands(block) if c.text.split("#", 1)[0].strip() != SUITE_COMMAND)
    return out


DOCS_WITH_EXAMPLES = [d for d in documents() if _runnable(d)]


# --- 1. run every example ---------------------------------------------------------------------------

def _scratch_repository(root: Path) -> Path:
    work = root / "repo"
    work.mkdir()
    for entry in REPO_ROOT.iterdir():
        if entry.name in SCRATCH_SKIP or entry.name in SCRATCH_COPIES or entry.name.endswith(".egg-info"):
            continue
        (work / entry.name).symlink_to(entry)
    for name in SCRATCH_COPIES:
        shutil.copytree(REPO_ROOT / name, work / name)
    return work


def _script(examples: list[Command]) -> str:
    lines = ["set -o pipefail"]
    for example in examples:
        shown = example.text.splitlines()[0]
        lines.append(f"printf '%s\\n' {shlex.quote(f'--- {example.where}: {shown}')}")
        lines.append(example.text)
        wanted = example.expected_exit
        complaint = shlex.quote(f"{example.where}: exited with ")
        lines.append(f'__rc=$?; if [ "$__rc" -ne {wanted} ]; then '
                     f'echo {complaint}"$__rc"{shlex.quote(f", the doc says {wanted}")} >&2; exit 97; fi')
    return "\n".join(lines) + "\n"


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "BOT_")) and k not in ("DATABASE_URL", "TEST_DATABASE_URL", "PORT")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.mark.slow
@pytest.mark.parametrize("doc", DOCS_WITH_EXAMPLES, ids=[_rel(d) for d in DOCS_WITH_EXAMPLES])
def test_every_command_example_runs(doc: Path, tmp_path: Path) -> None:
    work = _scratch_repository(tmp_path)
    script = tmp_path / "examples.sh"
    script.write_text(_script(_runnable(doc)), encoding="utf-8")
    log = tmp_path / "output.log"
    with open(MACHINE_LOCK, "a") as lock, log.open("wb") as out:
        fcntl.flock(lock, fcntl.LOCK_EX)  # examples may use fixed ports (3000, 3001): one document at a time
        process = subprocess.Popen(["bash", str(script)], cwd=work, env=_environment(), stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            code = process.wait(timeout=DOC_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            try:  # background jobs the examples started (a bot, the Slack double) end with the document
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait()
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, (f"{_rel(doc)}: the command examples did not run as the doc says "
                       f"({'timed out' if code is None else f'exit {code}'}); output:\n{output[-6000:]}")


# --- 2. the convention itself is kept ---------------------------------------------------------------

def test_not_run_blocks_are_few_and_say_why() -> None:
    problems, not_run = [], []
    for doc in documents():
        for block in blocks(doc):
            if block.language not in RUN_LANGUAGES:
                continue
            where = f"{_rel(doc)}:{block.line}"
            reason = block.not_run_reason
            rest = re.sub(r"not-run:\s*[\w-]+", "", block.options).strip()
            if rest:
                problems.append(f'{where}: unknown option "{rest}" on a ```sh block (only "not-run: REASON")')
            if reason is not None:
                not_run.append(where)
                if reason not in NOT_RUN_REASONS:
                    problems.append(f'{where}: not-run reason "{reason}" is not one of {sorted(NOT_RUN_REASONS)}')
            if not commands(block):
                problems.append(f"{where}: a ```sh block without a command")
    assert not problems, "\n".join(problems)
    assert len(not_run) <= MAX_NOT_RUN, f"{len(not_run)} blocks are not run (at most {MAX_NOT_RUN}): {not_run}"


def test_the_readme_and_the_tutorial_are_run() -> None:
    run = {_rel(d) for d in DOCS_WITH_EXAMPLES}
    assert {"README.md", "docs/tutorial.md"} <= run


def test_every_step_of_the_tutorial_is_among_the_commands_run() -> None:
    # the steps the tutorial promises: drill; preview, review and check a rota
    # edit; serve against the double and declare from its CLI. A step moved to a not-run block fails here.
    run = "\n".join(c.text for c in _runnable(REPO_ROOT / "docs" / "tutorial.md"))
    steps = {"run the drill": "run.py drill", "preview the edit": "bot rota preview platform",
             "review it": "--diff ../edited/config", "check it": "bot check --config-dir ../edited/config",
             "start the Slack double": "python -m bot.slack.double --port", "serve": "python -m bot serve",
             "declare from the double": 'double send --user U0KATRIN1 "/incident declare'}
    missing = [step for step, command in steps.items() if command not in run]
    assert not missing, f"tutorial steps not run by the doc test: {missing}"


def test_the_tutorial_is_the_first_link_in_the_readme() -> None:
    first = re.search(r"\]\(([^)\s]+)\)", (REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert first and first.group(1) == "docs/tutorial.md"


def test_concrete_commands_are_in_sh_blocks() -> None:
    problems = []
    for doc in documents():
        for block in blocks(doc):
            if block.language in RUN_LANGUAGES | CONTENT_LANGUAGES:
                continue
            for number, line in block.lines:
                text = line.strip()
                if is_program(text) and not is_synopsis(text):
                    problems.append(f"{_rel(doc)}:{number}: a concrete command in a ```{block.language or ''} block; "
                                    f"label the block ```sh so it runs: {text}")
    assert not problems, "\n".join(problems)


# --- 3. commands named in prose or shown as syntax exist, with the options shown --------------------

def _cli_options(words: list[str]) -> tuple[list[str], set[str]] | str:
    """(sub-command path, its options) for the words after the program, or a complaint."""
    import argparse

    from bot.cli import build_parser

    parser = build_parser()
    path: list[str] = []
    options = {o for a in parser._actions for o in a.option_strings}
    for word in words:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if word.startswith("-") or not subs:
            break
        if word not in subs[0].choices:
            if not path and not is_synopsis(word):
                return f'unknown command "{word}"; commands: {", ".join(sorted(subs[0].choices))}'
            break
        parser = subs[0].choices[word]
        path.append(word)
        options |= {o for a in parser._actions for o in a.option_strings}
    return path, options


def _options_shown(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z](?![\w-]))", text))


def _check_command(text: str) -> str | None:
    words = text.split()
    for prefix in CLI_PROGRAMS:
        if text == prefix or text.startswith(prefix + " "):
            found = _cli_options(words[len(prefix.split()):])
            if isinstance(found, str):
                return found
            path, options = found
            unknown = sorted(_options_shown(text[len(prefix):]) - options)
            return f"`{' '.join(['incident-bot', *path])}` has no option {', '.join(unknown)}" if unknown else None
    for prefix in RUN_PY:
        if text == prefix or text.startswith(prefix + " "):
            rest = words[len(prefix.split()):]
            if not rest or rest[0] not in ("drill", "test"):
                return "run.py takes drill or test"
            return _check_command("incident-bot " + " ".join(rest)) if rest[0] == "drill" else None
    if text.startswith(MODULE_PREFIXES):
        module = words[2]
        source = _module_source(module)
        if source is None:
            return f"no module {module}"
        missing = sorted(o for o in _options_shown(text.split(module, 1)[1]) if o not in source)
        return f"{module} has no option {', '.join(missing)}" if missing else None
    if text.startswith(BENCH_PREFIXES):
        script = REPO_ROOT / words[1]
        if not script.is_file():
            return f"no benchmark script {words[1]}"
        missing = sorted(o for o in _options_shown(text.split(words[1], 1)[1])
                         if o not in script.read_text(encoding="utf-8"))
        return f"{words[1]} has no option {', '.join(missing)}" if missing else None
    return None


def _module_source(module: str) -> str | None:
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    origin = Path(spec.origin)
    if origin.name == "__init__.py" and (origin.parent / "__main__.py").exists():
        origin = origin.parent / "__main__.py"
    return origin.read_text(encoding="utf-8")


def _all_mentions() -> list[Mention]:
    return [m for doc in documents() for m in mentions(doc)]


def test_commands_named_in_the_docs_exist_with_the_options_shown() -> None:
    problems = []
    for mention in _all_mentions():
        if is_program(mention.text):
            complaint = _check_command(mention.text)
            if complaint:
                problems.append(f"{mention.where}: {mention.text}: {complaint}")
    assert not problems, "\n".join(problems)


def as_slack_sends_it(typed: str) -> str:
    """A command as Slack delivers it: the manifest's commands have should_escape, so a channel a person
    types as ``#name`` arrives as ``<#C…|name>``; ``INC-n`` in prose stands for an incident number."""
    text = re.sub(r"\bINC-n\b", "INC-42", typed)
    return re.sub(r"(?<![<\w])#([a-z0-9][a-z0-9_-]*)", r"<#C0EXAMPLE1|\1>", text)


def test_slack_command_examples_parse_and_name_known_facts() -> None:
    from bot.config.loader import ConfigPaths, load_config
    from bot.incidents.errors import InvalidRequest
    from bot.incidents.facts import normalise_fact
    from bot.slack.command_parser import ONCALL_REQUESTS, USAGE, UsageError, parse_incident, parse_oncall
    from bot.slack.calendar_command import wants_calendar
    from bot.slack.web_command import wants_web

    config = load_config(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))
    now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    problems, checked = [], 0
    for mention in _all_mentions():
        text = mention.text
        if not text.startswith(("/incident ", "/oncall ")) or any(m in text for m in ("<", "[", "…", "...")):
            continue
        words = text.split()
        if words[0] == "/incident" and len(words) == 2 and not words[1].upper().startswith("INC-"):
            # `/incident fact` names a command in prose; it is not an example to run
            if words[1].lower() not in USAGE and words[1].lower() != "help":
                problems.append(f"{mention.where}: {text}: /incident has no command {words[1]!r}")
            continue
        if words[0] == "/oncall" and len(words) == 2 and words[1].lower() in ONCALL_REQUESTS:
            continue  # `/oncall worked` names the command (`/oncall platform` is an example, and is parsed)
        checked += 1
        text = as_slack_sends_it(text)
        try:
            if text.startswith("/oncall"):
                rest = text.split(None, 1)[1]
                if not (wants_web(rest) or wants_calendar(rest)):  # answered before the rota parser, as the listener does
                    parse_oncall(rest)
                continue
            command = parse_incident(text.split(None, 1)[1], now)
        except UsageError as exc:
            problems.append(f"{mention.where}: {text}: {exc}")
            continue
        if command.name == "fact":
            try:  # the name and the value, read as the bot reads them (a counts fact takes a key: residents.CA)
                normalise_fact(config, command.args["name"], command.args["value"])
            except InvalidRequest as exc:
                problems.append(f"{mention.where}: {text}: {exc}")
    assert not problems, "\n".join(problems)
    assert checked >= 2, "the Slack docs should show concrete command examples"


def test_files_the_docs_point_at_exist() -> None:
    problems = []
    for doc in documents():
        text = doc.read_text(encoding="utf-8")
        for number, line in enumerate(text.splitlines(), start=1):
            for target in re.findall(r"\]\(([^)\s]+)\)", line):
                if target.startswith(("http://", "https://", "mailto:", "#")):
                    continue
                path = target.split("#", 1)[0]
                if not (doc.parent / path).exists():
                    problems.append(f"{_rel(doc)}:{number}: link to {target}, which is not in the repository")
    for mention in _all_mentions():
        name = mention.text
        if re.fullmatch(r"[\w./-]+\.md", name) and not name.startswith("var/"):  # var/: written by the bot
            here = mention.doc.parent
            if not any((base / name).exists() for base in (here, REPO_ROOT, REPO_ROOT / "docs")):
                problems.append(f"{mention.where}: names {name}, which is not in the repository")
    assert not problems, "\n".join(problems)
