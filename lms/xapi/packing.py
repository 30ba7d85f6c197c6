"""How a statement is kept on disk: its JSON text, compressed with Zstandard.

A statement of a MOOC (about 1.4 kB of JSON) takes half the space compressed, and
PostgreSQL never compresses values that small itself (TOAST starts near 2 kB). At millions
of statements that is the difference between the statements that queries read staying in
memory or being read from disk, and it halves what every write sends to the WAL. Zstandard
at level 1 costs a few microseconds a statement each way.

Every value is one standard zstd frame, so ``zstd -d`` (or any zstd library) reads a
statement straight out of the database.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import orjson
import zstandard
from sqlalchemy import LargeBinary, TypeDecorator
from sqlalchemy.engine import Dialect

LEVEL = 1

_local = threading.local()


def _compressor() -> zstandard.ZstdCompressor:
    # zstd contexts are reusable but not thread-safe: one per thread.
    found: zstandard.ZstdCompressor | None = getattr(_local, "compressor", None)
    if found is None:
        found = _local.compressor = zstandard.ZstdCompressor(level=LEVEL)
    return found


def _decompressor() -> zstandard.ZstdDecompressor:
    found: zstandard.ZstdDecompressor | None = getattr(_local, "decompressor", None)
    if found is None:
        found = _local.decompressor = zstandard.ZstdDecompressor()
    return found


def dump_json(value: Any) -> str:
    """orjson where it can (it refuses integers beyond 64 bits, which JSON allows)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dump_json_bytes(value: Any) -> bytes:
    """:func:`dump_json` as UTF-8, for :func:`pack`: orjson's output is already that, and
    decoding it only to encode it again cost as much as writing it."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def load_json(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)  # integers beyond 64 bits


def pack(text: str | bytes) -> bytes:
    """The stored form of a statement's JSON text (``str``, or ``bytes`` already UTF-8)."""
    return _compressor().compress(text if isinstance(text, bytes) else text.encode("utf-8"))


def unpack(data: bytes) -> str:
    """The JSON text of a stored statement."""
    return _decompressor().decompress(data).decode("utf-8")


class PackedJSON(TypeDecorator[Any]):
    """A JSON document stored packed: a dict (or its JSON text) in, a dict out."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        return pack(value if isinstance(value, str) else dump_json(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else load_json(unpack(bytes(value)))


class PackedText(TypeDecorator[str]):
    """The same column read as JSON text, for answers that return statements unparsed."""

    impl = LargeBinary
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else unpack(bytes(value))
