"""`audit verify --anchor A --published P` with published checkpoints the anchor file lacks.

The bot appends every checkpoint to its anchor file, oldest first, and never leaves one out. So a published
checkpoint missing from the file while the file holds later ones (or only later ones) was removed from it:
tampering. Published checkpoints newer than the file's last line are what an honest copy taken before they were
appended lacks too (or the published file read later than the copy), and what a truncated file lacks: the file
cannot tell these apart, so the check still fails (exit 1), says both, and what to do (take a fresh copy); the
database's copy of each such checkpoint says whether the bot appended it yet, and one missing there or with
another sha256 than Slack's is tampering."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone

import pytest

from bot.audit.checkpoints import Anchor, write_checkpoint
from bot.audit.published import Published, Stored, published_problems
from bot.cli import main
from tests.audit.test_published_checkpoints import AUDIT_CHANNEL, _config, double, make_worker  # noqa: F401
from tests.audit.test_verify_published import CHECKPOINTS, _read_back, _verify, key, published_world  # noqa: F401
from tests.incidents.conftest import REPORTER

# --- the rule, on lines built here ---------------------------------------------------------------------------


def _anchor(seq: int) -> Anchor:
    return Anchor({"version": 1, "seq": seq, "chains": {}}, f"signature-{seq}")


def _published(anchors: dict[int, Anchor], *seqs: int) -> list[Published]:
    return [Published(seq, anchors[seq].line_hash, f"{1000 + seq}.000100", False) for seq in seqs]


ALL = {seq: _anchor(seq) for seq in range(1, 6)}


def test_a_published_checkpoint_missing_between_anchor_lines_was_removed():
    check = published_problems([ALL[1], ALL[2], ALL[4], ALL[5]], _published(ALL, 1, 2, 3, 4, 5))
    assert check.behind == []
    problem, = check.problems
    assert problem.startswith("checkpoint #3 was published in Slack")
    assert "holds #2 and #4 around it" in problem and "lines were removed" in problem


def test_published_checkpoints_before_the_anchor_files_first_line_were_removed():
    check = published_problems([ALL[3], ALL[4]], _published(ALL, 1, 2, 3, 4))
    assert check.behind == []
    assert [p.split(" was published")[0] for p in check.problems] == ["checkpoint #1", "checkpoint #2"]
    assert all("begins at #3" in p and "lines were removed" in p for p in check.problems)


def test_published_checkpoints_newer_than_the_last_line_are_behind_not_tampering():
    check = published_problems([ALL[1], ALL[2]], _published(ALL, 1, 2, 3, 4))
    assert check.problems == []
    behind, = check.behind
    assert behind.startswith("checkpoints #3..#4 were published in Slack") and "which ends at #2" in behind
    assert "taken before they were appended" in behind and "truncated" in behind  # both possibilities
    assert "Take a fresh copy of the anchor file" in behind and "still ends at #2 was truncated" in behind


def test_an_empty_anchor_file_is_behind_every_published_checkpoint():
    check = published_problems([], _published(ALL, 1))
    assert check.problems == []
    assert check.behind[0].startswith("checkpoint #1 was published in Slack") and "holds no checkpoint" in \
        check.behind[0]


def test_the_databases_copies_say_whether_the_bot_appended_the_missing_ones():
    appended_at = datetime(2026, 3, 2, 9, 20, tzinfo=timezone.utc)
    stored = {3: Stored(ALL[3].line_hash, appended_at), 4: Stored(ALL[4].line_hash, None)}
    check = published_problems([ALL[1], ALL[2]], _published(ALL, 1, 2, 3, 4), stored)
    assert check.problems == []
    behind, = check.behind
    assert "holds #4 with the sha256 Slack kept and says the bot has not appended it to its anchor file yet" in \
        behind and "`incident-bot audit checkpoint` appends what is pending" in behind
    assert "holds #3 with the sha256 Slack kept and says the bot appended it to its anchor file by " \
           "2026-03-02 09:20:00 UTC" in behind


def test_a_database_copy_missing_or_other_than_slacks_is_tampering():
    stored = {4: Stored(ALL[5].line_hash, None)}
    check = published_problems([ALL[1], ALL[2]], _published(ALL, 1, 2, 3, 4), stored)
    assert len(check.behind) == 1  # the file is still behind Slack
    missing, rewritten = check.problems
    assert missing.startswith("checkpoint #3 was published in Slack") and "the database holds no such" in missing
    assert rewritten.startswith("checkpoint #4: the database's copy is not the one published in Slack")


# --- the flows, through the command line ---------------------------------------------------------------------


def _first_lines(anchor, tmp_path, count: int, name: str = "copy.jsonl"):
    """The anchor file as it stood after ``count`` checkpoints: the bot only appends, so that is its first lines."""
    copy = tmp_path / name
    copy.write_text("".join(line + "\n" for line in anchor.read_text().splitlines()[:count]))
    return copy


def test_a_copy_taken_before_the_last_checkpoints_is_behind_and_a_fresh_copy_verifies(published_world, tmp_path,
                                                                                      capsys):
    _, anchor, public = published_world
    published = _read_back(tmp_path, capsys)  # the channel read back after the copy below was taken
    early = _first_lines(anchor, tmp_path, 3)
    code, out = _verify(early, published, capsys, public)
    assert code == 1, out  # cannot be told from a truncated file: not a pass
    assert f"anchors {early}: ok" in out and f"published {published}: BEHIND" in out and "TAMPERING" not in out
    assert f"checkpoints #4..#{CHECKPOINTS} were published in Slack" in out and "which ends at #3" in out
    assert f"holds #4..#{CHECKPOINTS} with the sha256 Slack kept and says the bot appended them" in out
    assert "the trail was tampered with" not in out and "the anchor file is behind the audit channel" in out
    code, out = _verify(anchor, published, capsys, public)  # what to do: a fresh copy
    assert code == 0, out


def test_a_checkpoint_posted_but_not_yet_appended_says_so(published_world, store, clock, key, double, tmp_path,
                                                          capsys):
    svc, anchor, public = published_world
    svc.declare("minor", "Later", actor=REPORTER, key="later")
    (tmp_path / "a-file").write_text("")
    with pytest.raises(OSError):  # signed and its post queued, then the anchor file could not be written
        write_checkpoint(store, clock.now(), key=key, path=tmp_path / "a-file" / "anchors.jsonl",
                         audit_channel=AUDIT_CHANNEL)
    make_worker(store, clock, _config(tmp_path / "worker", AUDIT_CHANNEL), double).run_due()  # posted
    published = _read_back(tmp_path, capsys)
    code, out = _verify(anchor, published, capsys, public)
    assert code == 1, out
    assert f"checkpoint #{CHECKPOINTS + 1} was published in Slack" in out
    assert f"holds #{CHECKPOINTS + 1} with the sha256 Slack kept and says the bot has not appended it" in out
    clock.advance(minutes=1)
    write_checkpoint(store, clock.now(), key=key, path=anchor)  # nothing new to sign: appends the pending one
    code, out = _verify(anchor, published, capsys, public)
    assert code == 0, out


def test_a_truncated_anchor_file_still_fails(published_world, tmp_path, capsys):
    _, anchor, public = published_world
    published = _read_back(tmp_path, capsys)
    truncated = _first_lines(anchor, tmp_path, CHECKPOINTS - 2, "truncated.jsonl")
    code, out = _verify(truncated, published, capsys, public)
    assert code == 1, out
    assert f"checkpoints #{CHECKPOINTS - 1}..#{CHECKPOINTS} were published in Slack" in out and "truncated" in out
    gap = tmp_path / "gap.jsonl"
    lines = anchor.read_text().splitlines()
    gap.write_text("".join(line + "\n" for n, line in enumerate(lines, 1) if n != 2))
    code, out = _verify(gap, published, capsys)
    assert code == 1 and f"published {published}: TAMPERING" in out, out
    assert "checkpoint #2 was published in Slack" in out and "holds #1 and #3 around it" in out
