"""PEP 503 simple pages: the anchors we read and the pages we write."""

from __future__ import annotations

import html
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def anchor_filenames(page: str) -> dict[str, str]:
    """{file name: href} of the anchors of a PEP 503 project page."""
    parser = _AnchorParser()
    parser.feed(page)
    parser.close()
    result: dict[str, str] = {}
    for href in parser.hrefs:
        name = unquote(urlsplit(href).path.rstrip("/").rpartition("/")[2])
        if name:
            result[name] = href
    return result


def render_page(title: str, links: Sequence[tuple[str, str]]) -> str:
    """A PEP 503 page: one anchor per (href, text)."""
    anchors = "\n".join(
        f'    <a href="{html.escape(href, quote=True)}">{html.escape(text)}</a><br>'
        for href, text in links
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{anchors}\n  </body>\n</html>\n"
    )
