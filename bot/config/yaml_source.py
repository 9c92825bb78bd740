"""Reading hand-edited YAML without losing where each value came from.

Managers edit the configuration by hand, so every value keeps its file, line
and column, and the reader refuses what PyYAML would silently accept:

* duplicate keys in one mapping (PyYAML keeps the last one);
* YAML 1.1 surprises: ``09:00`` read as the number 540 (sexagesimal) and
  ``NO``/``on``/``yes`` read as booleans.  Here ``true``/``false`` are the only
  booleans and ``09:00`` stays the string ``"09:00"``;
* aliases that refer to themselves or expand beyond a budget (alias bombs),
  and files over a size limit: a configuration edit must never be able to
  hang the bot or fill its memory.

Only plain data is built (safe_load semantics): no Python object tags.
Files are parsed by libyaml when PyYAML has it, with the same values, positions and issues as the
pure-Python parser (tests/config/test_yaml_libyaml.py); a file with an error is read again by the
pure-Python parser, whose wording and positions of syntax errors are the ones reported.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import Reader
from yaml.resolver import Resolver

from bot.config.errors import ConfigIssue

DocPath = tuple[str | int, ...]


# A configuration file larger than this is refused before it is read: the biggest real one (a people.yaml
# of a large organisation) is a fraction of it, and a reload must never be able to fill the memory.
MAX_FILE_BYTES = 8 * 1024 * 1024
# Values an alias may add by repeating its anchor (all aliases of one file together). Anchors for shared
# working hours or checklists add dozens; a "billion laughs" alias bomb adds billions.
MAX_ALIAS_VALUES = 100_000


class AliasRefused(yaml.composer.ComposerError):
    """An alias that refers to itself, or aliases that would expand beyond the budget."""


# libyaml's parser when PyYAML was built with it (``yaml.__with_libyaml__``): about eight times faster than
# the pure-Python one on a large people.yaml. Without it every file is read by the pure-Python parser.
_HAVE_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))
_LIBYAML: tuple[type, ...] = (yaml.cyaml.CParser,) if _HAVE_LIBYAML else ()


class _Typing:
    """BaseResolver.resolve without path resolvers (none are registered), over per-first-character lists of the
    implicit resolvers joined once: the tag of each of the hundreds of thousands of scalars of a large file."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode or self.yaml_path_resolvers:  # type: ignore[attr-defined]
            return super().resolve(kind, value, implicit)  # type: ignore[misc]
        if implicit[0]:
            for tag, regexp in _IMPLICIT.get(value[:1], _IMPLICIT[None]):
                if regexp.match(value):
                    return tag
        return Resolver.DEFAULT_SCALAR_TAG


class _BoundedAliases(Composer):
    """Composing with bounded aliases, over the events of either parser (pure Python or libyaml).

    PyYAML shares one node between an anchor and its aliases, so building plain data from them copies
    the anchor once per alias: nested aliases grow exponentially and a self-reference never ends. While
    composing, each node's expanded size is counted; an alias is refused (at its own line and column)
    when its anchor is still open (it would contain itself) or when the copies it adds exceed the budget.
    """

    def _start_counting(self) -> None:
        self._open_anchors: set[str] = set()
        self._sizes: dict[int, int] = {}  # id(node) -> values it stands for, aliases expanded
        self._alias_values = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            if event.anchor in self._open_anchors:
                raise AliasRefused(None, None, f"alias *{event.anchor} refers to the value that contains it "
                                   "(a recursive alias, which would never end); copy the values instead",
                                   event.start_mark)
            node = super().compose_node(parent, index)
            self._alias_values += self._sizes.get(id(node), 1)
            if self._alias_values > MAX_ALIAS_VALUES:
                raise AliasRefused(None, None, f"aliases in this file expand to more than {MAX_ALIAS_VALUES:,} "
                                   f"values (at *{event.anchor}): an alias bomb, or aliases nested too deep; "
                                   "write the values out instead", event.start_mark)
            return node
        anchor = self.peek_event().anchor
        if anchor is not None:
            self._open_anchors.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._open_anchors.discard(anchor)
        if isinstance(node, ScalarNode):
            return node  # one value: the default of the sizes table
        sizes = self._sizes
        if isinstance(node, SequenceNode):
            inner = sum(sizes.get(id(c), 1) for c in node.value)
        else:
            inner = sum(sizes.get(id(k), 1) + sizes.get(id(v), 1) for k, v in node.value)
        sizes[id(node)] = 1 + inner
        return node


class _StrictLoader(_BoundedAliases, _Typing, yaml.SafeLoader):
    """SafeLoader with YAML-1.2-like implicit typing for booleans and numbers, and bounded aliases.

    The reference reader: its messages and positions are the ones a manager sees for a broken file.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._start_counting()


class _FastLoader(_BoundedAliases, _Typing, *_LIBYAML, SafeConstructor, Resolver):  # type: ignore[misc]
    """The same composer and typing over libyaml's parser (PyYAML's C extension), when it is installed.

    libyaml reports the same events at the same lines and columns as the pure-Python parser; only its
    wording of syntax errors differs, so a file it refuses is read again by :class:`_StrictLoader`.
    """

    def __init__(self, stream: str) -> None:
        _LIBYAML[0].__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._start_counting()


class _WholeLoader(_Typing, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml composing the whole node graph, with the same typing: for a text without aliases (no
    ``*`` in it), where there is nothing to bound, so no value needs a composing step in Python."""


def _install_resolvers() -> None:
    # Start from SafeLoader's resolvers, drop bool/int/float, add stricter ones.
    resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
    for first, pairs in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [
            (tag, rx)
            for tag, rx in pairs
            if tag
            not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
        ]
        resolvers[first] = kept
    _StrictLoader.yaml_implicit_resolvers = resolvers
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
    )
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|0o[0-7_]+)$"),
        list("-+0123456789"),
    )
    _StrictLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+0123456789."),
    )
    _FastLoader.yaml_implicit_resolvers = _WholeLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
    wildcard = resolvers.get(None, [])
    _IMPLICIT.update({first: pairs + wildcard for first, pairs in resolvers.items() if first is not None})
    _IMPLICIT[None] = wildcard


_IMPLICIT: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # first character -> resolvers to try


_install_resolvers()


@dataclass
class YamlDocument:
    """Plain data of one YAML file plus the position of every value in it."""

    file: str
    data: Any
    positions: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[DocPath, tuple[int, int]] = field(default_factory=dict)
    source: Path | None = None  # the file it was read from (None: parsed from a string)
    sha256: str = ""  # of the exact bytes read: the configuration version is built from these
    git_blob: str = ""  # git's object id of the same bytes, to compare with a commit (bot.config.version)

    def position(self, path: DocPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of ``path``, or of its nearest known parent."""
        table = self.key_positions if key else self.positions
        probe = tuple(path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))


def format_path(path: DocPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def describe_value(value: Any) -> str:
    """A short, quoted rendering of a found value for error messages."""
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return f'"{text}"'
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


_STR = "tag:yaml.org,2002:str"
_MERGE_TAG, _VALUE_TAG = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:value"  # keys flatten_mapping rewrites


class _Builder:
    def __init__(self, file: str, loader: SafeConstructor) -> None:
        self.doc = YamlDocument(file=file, data=None)
        self.loader = loader
        self.issues: list[ConfigIssue] = []

    def build(self, node: Node, path: DocPath) -> Any:
        mark = node.start_mark
        self.doc.positions[path] = (mark.line + 1, mark.column + 1)
        if isinstance(node, ScalarNode):  # text is most values: taken as it is, as construct_object would
            return node.value if node.tag == _STR else self.loader.construct_object(node, deep=True)
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        tags = [key_node.tag for key_node, _ in node.value]
        if _MERGE_TAG in tags or _VALUE_TAG in tags:
            self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        first_seen: dict[Any, tuple[int, int]] = {}
        key_positions = self.doc.key_positions
        for key_node, value_node in node.value:
            key = key_node.value if key_node.tag == _STR else self.loader.construct_object(key_node, deep=True)
            kpos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if not isinstance(key, (str, int)):
                self.issues.append(
                    ConfigIssue(self.doc.file, kpos[0], kpos[1], format_path(path),
                                f"keys must be text, got {describe_value(key)}")
                )
                continue
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                line, col = first_seen[key]
                self.issues.append(
                    ConfigIssue(
                        self.doc.file, kpos[0], kpos[1], format_path(path + (key,)),
                        f'duplicate key "{key}" (first defined at line {line}); '
                        "YAML would silently keep only the last one: remove or merge one of them",
                    )
                )
                continue
            first_seen[key] = kpos
            inner = path + (key,)
            key_positions[inner] = kpos
            result[key] = self.build(value_node, inner)
        return result


def _compose(text: str) -> tuple[Node | None, SafeConstructor]:
    """The document's node graph: through libyaml when it is there and the text is one it reads the same
    way (the pure-Python reader refuses non-printable characters before parsing), composed by libyaml
    too when the text has no alias; on any error (or without libyaml) through the pure-Python reader,
    whose messages are the reference."""
    if _HAVE_LIBYAML and not Reader.NON_PRINTABLE.search(text):
        fast = _FastLoader(text) if "*" in text else _WholeLoader(text)
        try:
            return fast.get_single_node(), fast
        except AliasRefused:
            raise
        except yaml.YAMLError:
            pass  # read again below, for the reference wording of the error
        finally:
            fast.dispose()
    loader = _StrictLoader(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()


def parse_yaml(text: str, file: str) -> tuple[YamlDocument | None, list[ConfigIssue]]:
    """Parse one YAML document; return it with positions, or the issues found."""
    try:
        node, loader = _compose(text)
    except AliasRefused as exc:
        mark = exc.problem_mark
        return None, [ConfigIssue(file, mark.line + 1, mark.column + 1, "", str(exc.problem))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        return None, [ConfigIssue(file, line, col, "", f"YAML syntax error: {problem}{context}")]
    except yaml.YAMLError as exc:  # pragma: no cover - reader errors without marks
        return None, [ConfigIssue(file, 1, 1, "", f"YAML error: {exc}")]
    if node is None:
        return YamlDocument(file=file, data={}, positions={(): (1, 1)}), []
    builder = _Builder(file, loader)
    try:
        builder.doc.data = builder.build(node, ())
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return None, [ConfigIssue(file, line, col, "", f"unsupported YAML value: {exc.problem}")]
    if builder.issues:
        return builder.doc, builder.issues
    return builder.doc, []


def read_yaml_file(path: Path, display: str | None = None) -> tuple[YamlDocument | None, list[ConfigIssue]]:
    name = display or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)  # never more than the limit, whatever the file claims
        if len(raw) > MAX_FILE_BYTES:
            return None, [ConfigIssue(name, 1, 1, "", f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB, "
                                      "the limit for a configuration file; nothing of it was read (split it, or "
                                      "remove what does not belong in the configuration)")]
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [ConfigIssue(name, 1, 1, "", f"file is not UTF-8 text ({exc.reason}); save it as UTF-8")]
    except OSError as exc:
        return None, [ConfigIssue(name, 1, 1, "", f"cannot read file: {exc.strerror}")]
    doc, issues = parse_yaml(text, name)
    if doc is not None:
        _identify(doc, path, raw)
    return doc, issues


def _identify(doc: YamlDocument, path: Path, raw: bytes) -> None:
    doc.source = path
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    doc.git_blob = hashlib.sha1(b"blob %d\0" % len(raw) + raw).hexdigest()  # noqa: S324 - git's object id


def identify_yaml_file(path: Path, display: str | None = None) -> YamlDocument | None:
    """A file's identity (source, SHA-256, git blob id) without parsing it; None when it cannot be read.
    A command that reads only some kinds of file still records the version of the whole configuration."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    doc = YamlDocument(file=display or str(path), data=None)
    _identify(doc, path, raw)
    return doc
