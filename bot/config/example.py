"""The example configuration that ships inside the package.

The repository's ``config/`` and ``playbooks/`` are the example organisation
the docs describe (the drill's Christmas night in Munich). The package carries
them as ``bot/example/`` (links in the source tree, copied into the wheel as
package data), so an installed ``incident-bot`` can run the drill from any
folder and ``incident-bot init`` can write a starting configuration.
"""

from __future__ import annotations

from pathlib import Path

import bot
from bot.config.loader import ConfigPaths

PACKAGE = Path(bot.__file__).resolve().parent


def example_paths() -> ConfigPaths:
    """Where the example configuration is: inside the installed package, else in the source checkout."""
    for root in (PACKAGE / "example", PACKAGE.parent):
        if (root / "config").is_dir() and (root / "playbooks").is_dir():
            return ConfigPaths((root / "config").resolve(), (root / "playbooks").resolve())
    raise FileNotFoundError(f"the example configuration is missing from {PACKAGE / 'example'}; reinstall incident-bot")


def example_files() -> list[tuple[Path, Path]]:
    """(file, path relative to the folder that holds config/ and playbooks/), in a stable order."""
    paths = example_paths()
    out = []
    for folder, name in ((paths.config_dir, "config"), (paths.playbooks_dir, "playbooks")):
        for path in sorted(p for p in folder.rglob("*.yaml") if p.is_file()):
            out.append((path, Path(name) / path.relative_to(folder)))
    return out
