"""Configuration problems, each pinned to a file, line and column."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, order=True)
class ConfigIssue:
    file: str
    line: int
    column: int
    path: str
    message: str
    severity: Literal["error", "warning"] = "error"
    # "structure": the file cannot be used as written (syntax, keys, types, references);
    # "compliance": the file is readable but breaks a labor rule (rota checks). Reviews may load those.
    category: Literal["structure", "compliance"] = "structure"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "" if self.severity == "error" else "warning: "
        path = f"{self.path}: " if self.path else ""
        return f"{where}: {prefix}{path}{self.message}"


class ConfigInvalid(Exception):
    """Raised when a configuration cannot be used; carries every issue found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = sorted(issues, key=lambda i: (i.file, i.line, i.column))
        errors = [i for i in self.issues if i.severity == "error"]
        super().__init__(f"{len(errors)} configuration error(s):\n" + "\n".join(str(i) for i in errors))
