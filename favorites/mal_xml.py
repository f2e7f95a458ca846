"""Reading a MyAnimeList export (``animelist.xml``, optionally gzipped) safely.

Guards, all checked before anything is written:

- the upload is at most ``MAX_UPLOAD_BYTES`` as sent (compressed or not);
- a gzipped file is inflated in bounded steps and refused past ``MAX_XML_BYTES`` (gzip bombs);
- at most ``MAX_ENTRIES`` entries (counted before parsing, so a small gzip that expands to
  hundreds of thousands of entries is refused at once);
- ``defusedxml`` refuses any DOCTYPE, entity declaration or external reference (no "billion
  laughs", no external entities).

Forgiving where MyAnimeList's own exports are sloppy: a stray ``&`` and HTML named entities
such as ``&Aring;`` outside CDATA are read as text; an entry without a usable
``series_animedb_id`` (missing, not a number, 0), with an unknown ``my_status`` or a ``my_score``
outside 0-10 is skipped and reported with its line and title (the rest is imported). A file whose
entries are all unusable is refused.

Status mapping (text as exported, or MAL's numeric codes)::

    Watching / 1 -> watching        Completed / 2 -> completed      On-Hold / 3 -> on_hold
    Dropped / 4 -> dropped          Plan to Watch / 6 -> want_to_watch

``my_score`` 0 means "not scored" on MyAnimeList (never "disliked"): it becomes no score.
``my_last_updated`` (Unix seconds, present in most exports) says when the entry last changed on
MyAnimeList; 0 or missing means unknown.

Progress, rewatches and dates: ``my_watched_episodes`` (episodes watched; capped at the anime's
episode count when applied), ``my_times_watched`` (completed rewatches, 0-999),
``my_start_date`` / ``my_finish_date`` (``YYYY-MM-DD``; ``0000-00-00`` and dates with an unknown
month or day, such as ``2015-00-00``, mean "unknown"). An unknown score or date never clears one
set on this site. A missing field counts as 0 or unknown.

Writing an export is ``favorites.mal_writer``: the same format, so a file written there imports
back here unchanged.
"""

from __future__ import annotations

import html.entities
import re
import zlib
from dataclasses import asdict, dataclass
from datetime import date
from typing import IO, Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.expatreader import DefusedExpatParser
from django.utils.translation import gettext as _

from animesite.numbers import ascii_whole
from favorites.models import MAX_EPISODES_WATCHED, MAX_REWATCH_COUNT, WatchStatus

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 20
# More entries than any real list (the largest MyAnimeList lists hold a few tens of thousands).
MAX_ENTRIES = 50_000
MAX_REPORTED_SKIPPED = 1000
MAX_REPORTED_TITLE = 100
_FEED_BYTES = 1 << 20
_GZIP_MAGIC = b"\x1f\x8b"

STATUS_MAP: dict[str, str] = {
    "watching": WatchStatus.WATCHING,
    "1": WatchStatus.WATCHING,
    "completed": WatchStatus.COMPLETED,
    "2": WatchStatus.COMPLETED,
    "on-hold": WatchStatus.ON_HOLD,
    "on hold": WatchStatus.ON_HOLD,
    "onhold": WatchStatus.ON_HOLD,
    "3": WatchStatus.ON_HOLD,
    "dropped": WatchStatus.DROPPED,
    "4": WatchStatus.DROPPED,
    "plan to watch": WatchStatus.WANT_TO_WATCH,
    "plantowatch": WatchStatus.WANT_TO_WATCH,
    "6": WatchStatus.WANT_TO_WATCH,
}

_ENTRY_FIELDS = {
    "series_animedb_id",
    "series_title",
    "my_status",
    "my_score",
    "my_last_updated",
    "my_watched_episodes",
    "my_times_watched",
    "my_start_date",
    "my_finish_date",
}
MAL_UNKNOWN_DATE = "0000-00-00"
STATUS_EXPORT_NAMES: dict[str, str] = {
    WatchStatus.WATCHING: "Watching",
    WatchStatus.COMPLETED: "Completed",
    WatchStatus.ON_HOLD: "On-Hold",
    WatchStatus.DROPPED: "Dropped",
    WatchStatus.WANT_TO_WATCH: "Plan to Watch",
}


class MalExportError(Exception):
    """The upload is not an acceptable MyAnimeList export; ``errors`` says why, line by line."""

    def __init__(self, code: str, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.code = code
        self.errors = errors


@dataclass(frozen=True)
class SkippedEntry:
    """An entry left out of an import: where it is in the file, what it is called, and why."""

    line: int
    mal_id: str
    title: str
    reason: str

    def message(self) -> str:
        return _("line %(line)d (%(title)s): %(reason)s") % {
            "line": self.line,
            "title": self.title or "?",
            "reason": self.reason,
        }

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message()}


@dataclass(frozen=True)
class MalExport:
    entries: list[MalEntry]
    skipped: list[SkippedEntry]  # at most MAX_REPORTED_SKIPPED
    skipped_count: int


@dataclass(frozen=True)
class MalEntry:
    mal_id: int
    title: str
    status: str
    score: int | None
    last_updated: int | None  # Unix seconds
    episodes_watched: int = 0
    rewatch_count: int = 0
    start_date: date | None = None
    finish_date: date | None = None

    def as_json(self) -> dict[str, Any]:
        """The stored form (no title: the catalogue has it, and 50,000 titles could outgrow
        the database's packet size)."""
        return {
            "mal_id": self.mal_id,
            "status": self.status,
            "score": self.score,
            "last_updated": self.last_updated,
            "episodes_watched": self.episodes_watched,
            "rewatch_count": self.rewatch_count,
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "finish_date": self.finish_date.isoformat() if self.finish_date else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MalEntry:
        return cls(
            mal_id=int(data["mal_id"]),
            title=str(data.get("title", "")),
            status=str(data["status"]),
            score=None if data.get("score") is None else int(data["score"]),
            last_updated=None if data.get("last_updated") is None else int(data["last_updated"]),
            episodes_watched=int(data.get("episodes_watched") or 0),
            rewatch_count=int(data.get("rewatch_count") or 0),
            start_date=date.fromisoformat(data["start_date"]) if data.get("start_date") else None,
            finish_date=date.fromisoformat(data["finish_date"]) if data.get("finish_date") else None,
        )


# The largest MAL id and Unix time an entry may carry: a signed 32-bit id, and 9999-12-31 23:59:59 UTC
# (the last second Python's dates hold).
MAX_MAL_ID = 2**31 - 1
MAX_UNIX_TIME = 253_402_300_799


def _mal_date(raw: str) -> date | str | None:
    """A MyAnimeList date: the date, None when unknown (or partly unknown), the text when invalid."""
    raw = raw.strip()
    if not raw or raw == MAL_UNKNOWN_DATE:
        return None
    parts = raw.split("-")
    values = [v for v in (ascii_whole(part, 9999) for part in parts) if v is not None]
    if len(parts) != 3 or len(values) != 3:
        return raw
    year, month, day = values
    if year == 0 or month == 0 or day == 0:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return raw


def read_upload(fileobj: IO[bytes], *, size: int | None) -> bytes:
    """The XML bytes of an upload: size-checked, inflated when gzipped (bounded)."""
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise MalExportError(
            "file_too_large",
            [_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}],
        )
    raw = fileobj.read(MAX_UPLOAD_BYTES + 1)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise MalExportError(
            "file_too_large",
            [_("The file is larger than %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}],
        )
    if not raw.strip():
        raise MalExportError("invalid_file", [_("The file is empty.")])
    if raw.startswith(_GZIP_MAGIC):
        return _gunzip_bounded(raw)
    return raw


def _gunzip_bounded(raw: bytes) -> bytes:
    too_large = MalExportError(
        "file_too_large",
        [_("The unpacked file is larger than %(mb)d MB.") % {"mb": MAX_XML_BYTES // (1024 * 1024)}],
    )
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = bytearray()
    pending = raw
    try:
        while True:
            chunk = inflater.decompress(pending, MAX_XML_BYTES + 1 - len(out))
            out += chunk
            if len(out) > MAX_XML_BYTES:
                raise too_large
            pending = inflater.unconsumed_tail
            if inflater.eof or (not pending and not chunk):
                break
    except zlib.error as exc:
        raise MalExportError("invalid_file", [_("The gzip file is damaged: %(e)s") % {"e": exc}]) from exc
    if not inflater.eof:
        raise MalExportError("invalid_file", [_("The gzip file is truncated.")])
    return bytes(out)


class _ExportHandler(ContentHandler):
    """SAX events into entries; an entry that cannot be used is skipped and reported by line."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[MalEntry] = []
        self.skipped: list[SkippedEntry] = []
        self.skipped_count = 0
        self.export_type: str = ""
        self.entry_count = 0
        self._stack: list[str] = []
        self._fields: dict[str, str] | None = None
        self._entry_line = 0
        self._text: list[str] = []
        self._saw_root = False
        self._where: Any = None

    def setDocumentLocator(self, locator: Any) -> None:
        self._where = locator

    def _line(self) -> int:
        locator = self._where
        return int(locator.getLineNumber() or 0) if locator is not None else 0

    def startElement(self, name: str, attrs: Any) -> None:
        depth = len(self._stack)
        self._stack.append(name)
        if depth == 0:
            if name != "myanimelist":
                raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
            self._saw_root = True
        elif depth == 1 and name == "anime":
            self.entry_count += 1
            if self.entry_count > MAX_ENTRIES:
                raise _too_many_entries()
            self._fields = {}
            self._entry_line = self._line()
        self._text = []

    def characters(self, content: str) -> None:
        self._text.append(content)

    def endElement(self, name: str) -> None:
        self._stack.pop()
        depth = len(self._stack)
        if depth == 2 and self._stack[1] == "anime" and self._fields is not None and name in _ENTRY_FIELDS:
            self._fields[name] = "".join(self._text).strip()
        elif depth == 2 and self._stack[1] == "myinfo" and name == "user_export_type":
            self.export_type = "".join(self._text).strip()
        elif depth == 1 and name == "anime" and self._fields is not None:
            self._entry_finish(self._fields)
            self._fields = None
        self._text = []

    def _skip(self, fields: dict[str, str], raw_id: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED_SKIPPED:
            self.skipped.append(
                SkippedEntry(
                    line=self._entry_line,
                    mal_id=raw_id[:20],
                    title=fields.get("series_title", "")[:MAX_REPORTED_TITLE],
                    reason=reason,
                )
            )

    def _entry_finish(self, fields: dict[str, str]) -> None:
        raw_id = fields.get("series_animedb_id", "")
        mal_id = ascii_whole(raw_id, MAX_MAL_ID)
        if not mal_id:
            self._skip(fields, raw_id, _("series_animedb_id %(v)r is not a MAL id.") % {"v": raw_id})
            return
        raw_status = fields.get("my_status", "").strip().lower()
        status = STATUS_MAP.get(raw_status)
        if status is None:
            self._skip(fields, raw_id, _("unknown my_status %(v)r.") % {"v": raw_status})
            return
        raw_score = fields.get("my_score", "") or "0"
        score = ascii_whole(raw_score, 10)
        if score is None:
            self._skip(fields, raw_id, _("my_score %(v)r is not 0-10.") % {"v": raw_score})
            return
        raw_updated = fields.get("my_last_updated", "") or "0"
        updated = ascii_whole(raw_updated, MAX_UNIX_TIME)
        if updated is None:
            self._skip(fields, raw_id, _("my_last_updated %(v)r is not a Unix time.") % {"v": raw_updated})
            return
        raw_episodes = fields.get("my_watched_episodes", "") or "0"
        episodes = ascii_whole(raw_episodes, MAX_EPISODES_WATCHED)
        if episodes is None:
            self._skip(
                fields,
                raw_id,
                _("my_watched_episodes %(v)r is not a number of episodes (0-%(max)d).")
                % {"v": raw_episodes, "max": MAX_EPISODES_WATCHED},
            )
            return
        raw_rewatches = fields.get("my_times_watched", "") or "0"
        rewatches = ascii_whole(raw_rewatches, MAX_REWATCH_COUNT)
        if rewatches is None:
            self._skip(
                fields,
                raw_id,
                _("my_times_watched %(v)r is not 0-%(max)d.")
                % {"v": raw_rewatches, "max": MAX_REWATCH_COUNT},
            )
            return
        dates: dict[str, date | None] = {}
        for name in ("my_start_date", "my_finish_date"):
            value = _mal_date(fields.get(name, ""))
            if isinstance(value, str):
                self._skip(
                    fields,
                    raw_id,
                    _("%(field)s %(v)r is not a date (YYYY-MM-DD).") % {"field": name, "v": value},
                )
                return
            dates[name] = value
        start, finish = dates.get("my_start_date"), dates.get("my_finish_date")
        if start is not None and finish is not None and finish < start:
            self._skip(
                fields,
                raw_id,
                _("my_finish_date %(finish)s is before my_start_date %(start)s.")
                % {"finish": finish.isoformat(), "start": start.isoformat()},
            )
            return
        self.entries.append(
            MalEntry(
                mal_id=mal_id,
                title=fields.get("series_title", "")[:255],
                status=status,
                score=score or None,
                last_updated=updated or None,
                episodes_watched=episodes,
                rewatch_count=rewatches,
                start_date=start,
                finish_date=finish,
            )
        )


def _too_many_entries() -> MalExportError:
    return MalExportError(
        "too_many_entries",
        [
            _("The export has more than %(n)s entries; split it or import a smaller list.")
            % {"n": f"{MAX_ENTRIES:,}"}
        ],
    )


# "&" that does not start an XML reference, or starts an HTML named one (``&Aring;``), outside
# CDATA sections: MyAnimeList has produced both in titles.
_LENIENT_RE = re.compile(
    rb"<!\[CDATA\[.*?\]\]>|&(#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};?)?", re.S
)
_XML_ENTITIES = frozenset({b"amp;", b"lt;", b"gt;", b"quot;", b"apos;"})


def _lenient_reference(match: re.Match[bytes]) -> bytes:
    whole = match.group(0)
    if whole.startswith(b"<"):
        return whole
    ref = match.group(1) or b""
    if ref.startswith(b"#") or ref in _XML_ENTITIES:
        return whole
    if ref.endswith(b";"):
        text = html.entities.html5.get(ref.decode("ascii"))
        if text is not None:
            return "".join(f"&#{ord(ch)};" for ch in text).encode("ascii")
    return b"&amp;" + ref


def make_lenient(data: bytes) -> bytes:
    """Escape a stray ``&`` and turn HTML named entities into character references, outside CDATA.
    Line numbers are unchanged (no newline is added or removed)."""
    if b"&" not in data:
        return data
    return _LENIENT_RE.sub(_lenient_reference, data)


def read_mal_export(data: bytes) -> MalExport:
    """Every usable ``<anime>`` entry of an export in file order, and the skipped ones by line.

    Raises :class:`MalExportError` for a file that cannot be read as a whole: not well-formed XML
    (after the lenient fixes above), not an anime list export, a DOCTYPE / entity declaration /
    external reference (refused by ``defusedxml``), more than ``MAX_ENTRIES`` entries, or entries
    of which none is usable.
    """
    # Counting the tags first refuses a huge export (a few hundred kB of gzip can hold hundreds of
    # thousands of entries) in milliseconds, before any parsing.
    if data.count(b"<anime>") > MAX_ENTRIES:
        raise _too_many_entries()
    data = make_lenient(data)
    handler = _ExportHandler()
    parser = DefusedExpatParser(forbid_dtd=True, forbid_entities=True, forbid_external=True)
    parser.setContentHandler(handler)
    handler.setDocumentLocator(parser)  # feed() does not pass the locator on as parse() does
    parser.setFeature(feature_namespaces, False)
    try:
        for start in range(0, len(data), _FEED_BYTES):
            parser.feed(data[start : start + _FEED_BYTES])
        parser.close()
    except DTDForbidden as exc:
        raise MalExportError("invalid_file", [_("DOCTYPE declarations are not allowed.")]) from exc
    except EntitiesForbidden as exc:
        raise MalExportError("invalid_file", [_("Entity declarations are not allowed.")]) from exc
    except ExternalReferenceForbidden as exc:
        raise MalExportError("invalid_file", [_("External entities are not allowed.")]) from exc
    except SAXParseException as exc:
        message = _("The file is not well-formed XML: %(e)s (line %(line)s, column %(col)s).") % {
            "e": exc.getMessage(),
            "line": exc.getLineNumber(),
            "col": exc.getColumnNumber(),
        }
        raise MalExportError("invalid_file", [message]) from exc
    if not handler._saw_root:
        raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
    if handler.export_type and handler.export_type.strip() not in {"", "1"}:
        raise MalExportError("invalid_file", [_("This is not an anime list export (manga?).")])
    if handler.skipped and not handler.entries:
        raise MalExportError("invalid_file", [s.message() for s in handler.skipped[:MAX_REPORTED_ERRORS]])
    return MalExport(entries=handler.entries, skipped=handler.skipped, skipped_count=handler.skipped_count)


def parse_mal_export(data: bytes) -> list[MalEntry]:
    """Every usable ``<anime>`` entry of an export, in file order (see :func:`read_mal_export`)."""
    return read_mal_export(data).entries
