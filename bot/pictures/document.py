"""Rendering pages from the templates beside this module, with every piece of text escaped once.

Jinja2 escapes each value as it is put into the HTML (``autoescape``), so user
text (incident titles, override reasons, names) is never escaped twice nor
left raw.  The stylesheet is inlined: a page is one file that opens anywhere,
with no request to any server.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.clock import ensure_utc

WEEKDAYS = (("Mon", "Monday"), ("Tue", "Tuesday"), ("Wed", "Wednesday"), ("Thu", "Thursday"), ("Fri", "Friday"),
            ("Sat", "Saturday"), ("Sun", "Sunday"))


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(loader=PackageLoader("bot.pictures", "templates"),
                      autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.globals["weekdays"] = WEEKDAYS
    return env


def render(template: str, **context: Any) -> str:
    """The page ``template`` (a file in templates/) filled with ``context``."""
    context.setdefault("nav", None)
    return environment().get_template(template).render(**context)


def stamp(at: datetime) -> str:
    """``2026-12-01 08:00 UTC``: when a page was made."""
    return f"{ensure_utc(at):%Y-%m-%d %H:%M} UTC"
