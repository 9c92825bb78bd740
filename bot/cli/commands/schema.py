"""``incident-bot schema KIND``: JSON Schema of a config kind, for editors."""

from __future__ import annotations

import argparse

from bot.cli.common import print_json
from bot.config.kinds import KINDS, kind_named


def register(sub: argparse._SubParsersAction) -> None:
    names = [k.name for k in KINDS]
    parser = sub.add_parser(
        "schema", help="print the JSON Schema of a config kind",
        description="Print the JSON Schema of one kind of configuration file, so editors (e.g. VS Code's YAML "
                    "extension via a '# yaml-language-server: $schema=...' comment) validate while you type. "
                    "Kinds: " + ", ".join(f"{k.name} ({k.pattern})" for k in KINDS))
    parser.add_argument("kind", choices=names, metavar="KIND", help="one of: " + ", ".join(names))
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    kind = kind_named(args.kind)
    schema = kind.model_class().model_json_schema()
    schema.setdefault("title", kind.name)
    schema["description"] = f"{kind.description} ({kind.root}/{kind.pattern})"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    print_json(schema)
    return 0
