"""Jinja2 for the News monitor page and the digest: one environment over include/newsmon/templates.

Autoescaping is on for every .html and .svg template: feed titles, article text and error messages are hostile input, and
a value reaches the HTML only escaped unless the code marks it safe (`Markup`, used for our own constants
only). Plain-text templates (.txt) are not escaped. A name missing from the context is an error, not a blank.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from newsmon.config import TEMPLATES_DIR


@cache
def environment() -> Environment:
    return Environment(
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


def render(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
