"""A strict checker for Telegram HTML replies: allowed, balanced tags; correct escaping; limits."""
from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

ALLOWED_TAGS = {"b", "i", "u", "s", "code", "pre", "a", "tg-spoiler", "blockquote"}
_ENTITY = re.compile(r"&(lt|gt|amp|quot);")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not allowed")
        names = [name for name, _value in attrs]
        if tag == "a" and names != ["href"]:
            self.problems.append(f"<a> must have exactly an href, has {names}")
        if tag != "a" and names:
            self.problems.append(f"<{tag}> must have no attributes")
        if tag in ("pre", "code") and any(t in ("pre", "code") for t in self.stack):
            self.problems.append(f"<{tag}> nested in a monospace block")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.problems.append(f"unescaped angle bracket in {data[:40]!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in ("lt", "gt", "amp", "quot"):
            self.problems.append(f"entity &{name}; is not one Telegram knows")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.problems.append(f"numeric character reference &#{name};")


def check_html(text: str) -> str:
    """Raise AssertionError naming every problem; return the visible text."""
    stray = re.sub(_ENTITY, "", text)
    assert "&" not in stray, f"unescaped & in {text[:200]!r}"
    checker = _Checker()
    checker.feed(text)
    checker.close()
    if checker.stack:
        checker.problems.append(f"unclosed tags {checker.stack}")
    visible = "".join(checker.text)
    assert not checker.problems, f"{checker.problems} in {text[:300]!r}"
    assert 1 <= len(visible) <= 4096 and len(text) <= 4096, f"length {len(visible)} visible, {len(text)} raw"
    return visible


def check_call(call: dict[str, Any]) -> str:
    """Check one sendMessage/editMessageText call: HTML parse mode, text and buttons."""
    assert call["parse_mode"] == "HTML"
    for row in (call.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            size = len(button["callback_data"].encode("utf-8"))
            assert 1 <= size <= 64, f"callback_data of {size} bytes"
    return check_html(call["text"])


#: A phone's widths: data lines outside ``<pre>``, and lines inside it (see the bot's formatting).
LINE_WIDTH = 40
PRE_WIDTH = 32
_PRE = re.compile(r"<pre>(.*?)</pre>", re.S)
_TAG = re.compile(r"<[^>]+>")


def columns(text: str) -> int:
    """Screen columns of plain text: wide characters (emoji, CJK) count twice."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) or c == "\ufe0f" else 1 for c in text)


def too_wide(text: str) -> list[str]:
    """The lines of an HTML reply that would wrap on a phone: over ``PRE_WIDTH`` columns inside
    ``<pre>``, over ``LINE_WIDTH`` outside it. Written independently of the bot's own helpers."""
    problems = []
    for block in _PRE.findall(text):
        problems += [f"pre {columns(line)}: {line!r}" for line in html.unescape(_TAG.sub("", block)).split("\n") if columns(line) > PRE_WIDTH]
    outside = html.unescape(_TAG.sub("", _PRE.sub("\n", text)))
    problems += [f"line {columns(line)}: {line!r}" for line in outside.split("\n") if columns(line) > LINE_WIDTH]
    return problems
