"""Tagged text files of FLUS and PLUS: decoding and the sections below each tag line.

A tag line is ``[Tag]`` (FLUS) or ``<Tag>`` (PLUS); the non-blank lines below it, up to the
next tag line, are its values. Layout errors raise :class:`InputFileError` naming the file,
the tag, the line and the fix. Used by :mod:`landcarbon.landuse.legacy_files`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from landcarbon.errors import InputFileError


@dataclass
class _Section:
    tag: str
    line: int
    values: list[tuple[int, str]]


class TagFile:
    """The sections of a tagged file: a tag line and the non-blank value lines below it."""

    def __init__(self, path: Path, text: str, known: Sequence[str]) -> None:
        self.path = path
        canonical = {norm(t): t for t in known}
        self.sections: dict[str, _Section] = {}
        unknown: list[str] = []
        current: _Section | None = None
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if is_tag(line) and line[0] == known[0][0]:
                tag = canonical.get(norm(line), line)
                if tag in self.sections:
                    first = self.sections[tag].line
                    raise self.error(tag, f"appears twice (lines {first}, {number})", "keep one")
                if tag not in canonical.values():
                    unknown.append(tag)
                current = self.sections[tag] = _Section(tag, number, [])
            elif line and current is None:
                raise InputFileError(
                    f"{path} line {number}: {line!r} comes before the first tag; "
                    f"every value must follow its tag line"
                )
            elif line and current is not None:
                current.values.append((number, line))
        self.unknown = tuple(unknown)

    def error(self, tag: str, problem: str, fix: str, line: int | None = None) -> InputFileError:
        """The error to raise: file, tag, line, problem and fix in one message."""
        where = f" (line {line})" if line else ""
        return InputFileError(f"{self.path} {tag}{where}: {problem}; {fix}")

    def has(self, tag: str) -> bool:
        return tag in self.sections

    def texts(self, tag: str) -> tuple[str, ...]:
        """The value lines of ``tag`` as written (empty when absent)."""
        section = self.sections.get(tag)
        return tuple(v for _, v in section.values) if section else ()

    def raw(self, *tags: str) -> dict[str, str]:
        """``{tag: value lines joined by ","}`` of the tags present."""
        return {t: ",".join(self.texts(t)) for t in tags if self.has(t)}

    def _values(self, tag: str, hint: str) -> list[tuple[int, str]]:
        section = self.sections.get(tag)
        if section is None:
            raise self.error(tag, "mandatory tag missing", f"add it and its value ({hint})")
        if not section.values:
            raise self.error(tag, "has no value", f"write its value on the next line ({hint})")
        return section.values

    def _numbers(self, tag: str, line: int, text: str) -> list[float]:
        out = []
        for token in (t.strip() for t in text.split(",")):
            if not token:
                continue  # Qt SkipEmptyParts, as FLUS and PLUS split
            try:
                out.append(float(token))
            except ValueError:
                raise self.error(
                    tag, f"{token!r} is not a number", "write digits only (e.g. 0.5)", line
                ) from None
        return out

    def number(self, tag: str, hint: str, default: float | None = None) -> float:
        """The single number of ``tag`` (``default`` when absent; mandatory without one)."""
        if default is not None and not self.has(tag):
            return default
        values = self._values(tag, hint)
        numbers = [x for line, text in values for x in self._numbers(tag, line, text)]
        if len(numbers) != 1:
            raise self.error(tag, f"{len(numbers)} values", f"give one value ({hint})")
        return numbers[0]

    def integer(self, tag: str, hint: str, default: int | None = None) -> int:
        """The single whole number of ``tag``."""
        value = self.number(tag, hint, None if default is None else float(default))
        if value != int(value):
            raise self.error(tag, f"{value} is not a whole number", f"write an integer ({hint})")
        return int(value)

    def count(self, tag: str, hint: str) -> int:
        """A number of classes (>= 1)."""
        n = self.integer(tag, hint)
        if n < 1:
            raise self.error(tag, f"{n} classes", f"give the number of classes ({hint})")
        return n

    def flat(self, tag: str) -> list[float]:
        """Every number of ``tag``, over all its lines."""
        return [x for line, text in self._values(tag, "") for x in self._numbers(tag, line, text)]

    def one_row(self, tag: str, n: int) -> list[float]:
        """Exactly ``n`` numbers (PLUS per-class lists: one comma-separated line)."""
        values = self.flat(tag)
        if len(values) != n:
            raise self.error(
                tag, f"{len(values)} values for {n} classes", "give one per class, comma-separated"
            )
        return values

    def per_line(self, tag: str, n: int) -> list[float]:
        """``n`` lines of one number each (FLUS per-class lists)."""
        rows = self.rows(tag, 1, "one value per line, one line per class", n_rows=n)
        return [row[0] for row in rows]

    def rows(
        self, tag: str, n_cols: int, layout: str, n_rows: int | None = None
    ) -> list[list[float]]:
        """Lines of ``n_cols`` numbers each (``n_rows`` of them when given): matrices."""
        values = self._values(tag, layout)
        if n_rows is not None and len(values) != n_rows:
            raise self.error(
                tag,
                f"{len(values)} row(s), expected {n_rows} (one per class)",
                f"write {n_rows} lines of {n_cols} comma-separated value(s) ({layout})",
            )
        rows = [self._numbers(tag, line, text) for line, text in values]
        for (line, _), row in zip(values, rows, strict=True):
            if len(row) != n_cols:
                raise self.error(
                    tag, f"{len(row)} value(s), expected {n_cols}", f"give {layout}", line
                )
        return rows


def is_tag(line: str) -> bool:
    return len(line) > 2 and (line[0], line[-1]) in (("[", "]"), ("<", ">"))


def norm(tag: str) -> str:
    inner = tag.strip()[1:-1].lower().replace("featrue", "feature")
    return " ".join(inner.split())


def decode(path: Path) -> tuple[str, str]:
    """Text and encoding: UTF-8 (BOM or not), UTF-16 with BOM, else GBK/GB18030."""
    data = path.read_bytes()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputFileError(f"{path}: neither UTF-8 nor GBK text; save it as UTF-8")
