"""Jinja2 for the News monitor page, the explorer and the digest: one environment over include/newsmon/templates.

Autoescaping is on for every .html and .svg template: feed titles, article text and error messages are hostile input, and
a value reaches the HTML only escaped unless the code marks it safe (`Markup`, used for our own constants
only). Plain-text templates (.txt) are not escaped. A name missing from the context is an error, not a blank.
"""

from __future__ import annotations

import math
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape

from newsmon.config import TEMPLATES_DIR


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(
            enabled_extensions=("html", "svg"),
            disabled_extensions=("txt",),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # for the explorer's templates (templates/explorer/): figures, shares and times as its pages print them
    env.filters["num"] = lambda v, d=1: (
        "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}f}"
    )
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.1%}"
    env.filters["time"] = _time
    env.filters["capitalize_first"] = lambda v: v[:1].upper() + v[1:]
    return env


def _time(v) -> str:
    from newsmon.ui import utc_minute  # imported here: ui renders through this module

    return utc_minute(v)


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)


@cache
def explorer_environment() -> Environment:
    """The same environment (loader, autoescaping, filters) for templates/explorer/, except that a missing name
    or key is blank there: its templates test optional keys (`p.mentions_only` only countries have), which
    StrictUndefined would turn into errors."""
    return environment().overlay(undefined=Undefined, keep_trailing_newline=False)
