"""An email address as typed into the status page's form: checked, normalised, hashed.

Deliberately plain: one ``@``, a local part of the characters mail systems accept unquoted, a domain name with a
dot.  Quoted local parts, IP literals and comments are refused (nobody subscribes with them; they are what
header-injection attempts look like)."""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 254  # RFC 5321's limit on a path, less the brackets
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


class InvalidAddress(ValueError):
    """The message says what was wrong and how to write it."""


def normalised(typed: str) -> str:
    """The address, lower-cased and stripped of surrounding blanks; :class:`InvalidAddress` when it is not one."""
    value = (typed or "").strip()
    if not value:
        raise InvalidAddress("expected an email address, got nothing; write it like name@example.com")
    if len(value) > MAX_LENGTH:
        raise InvalidAddress(f"expected an email address of at most {MAX_LENGTH} characters, got {len(value)}")
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise InvalidAddress("expected an email address with one @ between a name and a domain, like "
                             "name@example.com")
    if len(local) > 64 or not _LOCAL.fullmatch(local):
        raise InvalidAddress("expected the part before the @ to be letters, digits, dots or !#$%&'*+/=?^_`{|}~- "
                             "(no spaces, no two dots in a row), like name@example.com")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise InvalidAddress("expected a domain name after the @ with at least one dot, like name@example.com")
    return value.lower()


def address_hash(address: str) -> str:
    return hashlib.sha256(address.encode("utf-8")).hexdigest()
