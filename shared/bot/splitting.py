"""Long replies in pieces that are each valid Telegram HTML of at most 4,096 characters.

A reply is cut between lines where it can. A single line longer than a message is cut between
tags, entities and characters, never inside one, and every piece closes the tags still open at
its end and opens them again at the start of the next (``<a href=...>`` with its link). Lengths
are counted in UTF-16 code units, as Telegram counts them, so emoji never push a piece over.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Telegram's limit on a message's text.
MAX_MESSAGE = 4096
_UNITS = re.compile(r"<[^<>]*>|&#?\w+;|\n|[^<&\n]+|[<&]")
_TAG = re.compile(r"</?([a-zA-Z][\w-]*)")


def size(text: str) -> int:
    """``text``'s length in UTF-16 code units (a character outside the BMP counts twice)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def _visible(piece: str) -> str:
    return re.sub(r"<[^<>]*>", "", piece).strip()


@dataclass
class _Pieces:
    """The pieces made so far and the one being filled, with the tags open in it."""

    limit: int
    done: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    used: int = 0
    #: Open tags: (name, the opening tag as written).
    stack: list[tuple[str, str]] = field(default_factory=list)
    #: The last line end in ``parts``: (its index, the tags open there, ``used`` before it).
    line_end: tuple[int, list[tuple[str, str]], int] | None = None

    def closers(self, stack: list[tuple[str, str]] | None = None) -> str:
        return "".join(f"</{name}>" for name, _tag in reversed(self.stack if stack is None else stack))

    def _start(self, stack: list[tuple[str, str]], rest: list[str]) -> None:
        opening = [tag for _name, tag in stack]
        self.parts = opening + rest
        self.used = sum(size(part) for part in self.parts)
        self.line_end = None

    def flush(self) -> None:
        """End the current piece: at its last line end when it has one, else here."""
        if self.line_end is not None and self.line_end[0] > 0:
            index, stack, _used = self.line_end
            piece = "".join(self.parts[:index]) + self.closers(stack)
            rest = self.parts[index + 1 :]
            self._emit(piece)
            self._start(stack, rest)
            return
        self._emit("".join(self.parts) + self.closers())
        self._start(list(self.stack), [])

    def _emit(self, piece: str) -> None:
        if _visible(piece):
            self.done.append(piece)

    def fits(self, cost: int, extra_close: int = 0) -> bool:
        return self.used + cost + size(self.closers()) + extra_close <= self.limit

    def add(self, unit: str) -> None:
        if unit == "\n":
            self.line_end = (len(self.parts), list(self.stack), self.used)
            self._append(unit)
            return
        tag = _TAG.match(unit) if unit.startswith("<") and unit.endswith(">") else None
        if tag is None:
            self._add_text(unit)
            return
        name = tag.group(1).lower()
        if unit.startswith("</"):
            if any(open_name == name for open_name, _t in self.stack):
                while self.stack and self.stack.pop()[0] != name:
                    pass
                self._append(unit)  # its closer was counted already: it always fits
            return
        closer = size(f"</{name}>")
        if not self.fits(size(unit) + 1, closer):
            self.flush()
        if not self.fits(size(unit) + 1, closer):
            return  # a tag too long for any piece is dropped (its text is kept)
        self._append(unit)
        self.stack.append((name, unit))

    def _add_text(self, text: str) -> None:
        while text:
            room = self.limit - self.used - size(self.closers())
            take = self._prefix(text, room) if not text.startswith("&") else (len(text) if size(text) <= room else 0)
            if take == 0:
                if self.used <= sum(size(tag) for _n, tag in self.stack):
                    return  # nothing fits even in an empty piece: give up on the rest
                self.flush()
                continue
            self._append(text[:take])
            text = text[take:]

    @staticmethod
    def _prefix(text: str, room: int) -> int:
        """How many characters of ``text`` fit in ``room`` UTF-16 code units."""
        used = 0
        for index, char in enumerate(text):
            used += 2 if ord(char) > 0xFFFF else 1
            if used > room:
                return index
        return len(text)

    def _append(self, part: str) -> None:
        self.parts.append(part)
        self.used += size(part)

    def finish(self) -> list[str]:
        if self.parts:
            self._emit("".join(self.parts) + self.closers())
        return self.done


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 code units, each with balanced tags and
    some visible text; cut at line ends where possible (see the module docstring)."""
    if size(text) <= limit:
        return [text]
    pieces = _Pieces(limit)
    for unit in _UNITS.findall(text):
        pieces.add(unit)
    return pieces.finish() or [text[:limit]]
