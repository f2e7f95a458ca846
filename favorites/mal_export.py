"""Reading a MyAnimeList list export (``animelist.xml``, optionally gzipped) safely.

Guards, all checked before anything is written:

- the upload is at most ``MAX_UPLOAD_BYTES`` as sent (compressed or not);
- a gzipped file is inflated in bounded steps and refused past ``MAX_XML_BYTES`` (gzip bombs);
- the XML may not contain a DOCTYPE, so no entity can be declared (no "billion laughs", no
  external entities); expat is driven directly with handlers that refuse them;
- every ``<anime>`` must have a numeric ``series_animedb_id``, a known ``my_status`` and a
  ``my_score`` from 0 to 10. Any error rejects the whole file.

Status mapping (text as exported, or MAL's numeric codes)::

    Watching / 1 -> watching        Completed / 2 -> completed      On-Hold / 3 -> on_hold
    Dropped / 4 -> dropped          Plan to Watch / 6 -> want_to_watch

``my_score`` 0 means "not scored" on MyAnimeList (never "disliked"): it becomes no score.
``my_last_updated`` (Unix seconds, present in most exports) says when the entry last changed on
MyAnimeList; 0 or missing means unknown.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass
from typing import IO, Any
from xml.parsers import expat

from django.utils.translation import gettext as _

from favorites.models import WatchStatus

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_XML_BYTES = 50 * 1024 * 1024
MAX_REPORTED_ERRORS = 20
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

_ENTRY_FIELDS = {"series_animedb_id", "series_title", "my_status", "my_score", "my_last_updated"}


class MalExportError(Exception):
    """The upload is not an acceptable MyAnimeList export; ``errors`` says why, line by line."""

    def __init__(self, code: str, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.code = code
        self.errors = errors


@dataclass(frozen=True)
class MalEntry:
    mal_id: int
    title: str
    status: str
    score: int | None
    last_updated: int | None  # Unix seconds

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MalEntry:
        return cls(
            mal_id=int(data["mal_id"]),
            title=str(data.get("title", "")),
            status=str(data["status"]),
            score=None if data.get("score") is None else int(data["score"]),
            last_updated=None if data.get("last_updated") is None else int(data["last_updated"]),
        )


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


class _ExportReader:
    """Streams expat events into entries; refuses DOCTYPE and entity declarations."""

    def __init__(self) -> None:
        self.entries: list[MalEntry] = []
        self.errors: list[str] = []
        self.export_type: str = ""
        self._stack: list[str] = []
        self._fields: dict[str, str] | None = None
        self._text: list[str] = []
        self._count = 0
        self._saw_root = False

    def parse(self, data: bytes) -> list[MalEntry]:
        parser = expat.ParserCreate()
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_doctype
        parser.EntityDeclHandler = self._refuse_entity
        parser.ExternalEntityRefHandler = self._refuse_external
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._chars
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            message = _("The file is not well-formed XML: %(e)s (line %(line)s, column %(col)s).") % {
                "e": expat.errors.messages[exc.code],
                "line": exc.lineno,
                "col": exc.offset,
            }
            raise MalExportError("invalid_file", [message]) from exc
        if not self._saw_root:
            raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
        if self.export_type and self.export_type.strip() not in {"", "1"}:
            raise MalExportError("invalid_file", [_("This is not an anime list export (manga?).")])
        if self.errors:
            raise MalExportError("invalid_file", self.errors[:MAX_REPORTED_ERRORS])
        return self.entries

    def _refuse_doctype(self, *args: object) -> None:
        raise MalExportError("invalid_file", [_("DOCTYPE declarations are not allowed.")])

    def _refuse_entity(self, *args: object) -> None:
        raise MalExportError("invalid_file", [_("Entity declarations are not allowed.")])

    def _refuse_external(self, *args: object) -> int:
        raise MalExportError("invalid_file", [_("External entities are not allowed.")])

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        depth = len(self._stack)
        self._stack.append(name)
        if depth == 0:
            if name != "myanimelist":
                raise MalExportError("invalid_file", [_("This is not a MyAnimeList export.")])
            self._saw_root = True
        elif depth == 1 and name == "anime":
            self._fields = {}
        self._text = []

    def _chars(self, text: str) -> None:
        self._text.append(text)

    def _end(self, name: str) -> None:
        self._stack.pop()
        depth = len(self._stack)
        if depth == 2 and self._stack[1] == "anime" and self._fields is not None and name in _ENTRY_FIELDS:
            self._fields[name] = "".join(self._text).strip()
        elif depth == 2 and self._stack[1] == "myinfo" and name == "user_export_type":
            self.export_type = "".join(self._text).strip()
        elif depth == 1 and name == "anime" and self._fields is not None:
            self._count += 1
            self._entry_finish(self._fields)
            self._fields = None
        self._text = []

    def _entry_finish(self, fields: dict[str, str]) -> None:
        where = _("entry %(n)d") % {"n": self._count}
        raw_id = fields.get("series_animedb_id", "")
        if not raw_id.isdigit() or int(raw_id) == 0:
            self.errors.append(
                _("%(where)s: series_animedb_id %(v)r is not a MAL id.") % {"where": where, "v": raw_id}
            )
            return
        where = _("entry %(n)d (MAL id %(id)s)") % {"n": self._count, "id": raw_id}
        raw_status = fields.get("my_status", "").strip().lower()
        status = STATUS_MAP.get(raw_status)
        if status is None:
            self.errors.append(_("%(where)s: unknown my_status %(v)r.") % {"where": where, "v": raw_status})
        raw_score = fields.get("my_score", "") or "0"
        score: int | None = None
        if not raw_score.isdigit() or int(raw_score) > 10:
            self.errors.append(_("%(where)s: my_score %(v)r is not 0-10.") % {"where": where, "v": raw_score})
        elif int(raw_score) > 0:
            score = int(raw_score)
        raw_updated = fields.get("my_last_updated", "") or "0"
        if not raw_updated.isdigit():
            self.errors.append(
                _("%(where)s: my_last_updated %(v)r is not a Unix time.") % {"where": where, "v": raw_updated}
            )
            return
        if status is None:
            return
        self.entries.append(
            MalEntry(
                mal_id=int(raw_id),
                title=fields.get("series_title", "")[:255],
                status=status,
                score=score,
                last_updated=int(raw_updated) or None,
            )
        )


def parse_mal_export(data: bytes) -> list[MalEntry]:
    """Every ``<anime>`` entry of an export, in file order. Raises :class:`MalExportError`."""
    return _ExportReader().parse(data)
