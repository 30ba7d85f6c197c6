"""Files as people really send them to the imports: other encodings, NULs, giant cells.

Every import reads its upload through :mod:`lms.tabular`; each domain's tests send these same
files through its own endpoint and expect a 4xx (never a 500) and nothing written.
"""

from __future__ import annotations

import unicodedata

#: Windows-1258 writes the tones as combining marks after a precomposed base letter.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def windows_1258(text: str) -> bytes:
    """``text`` as a Vietnamese Windows-1258 file: legacy tools and old Excel still save this."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        base, *marks = unicodedata.normalize("NFD", char)
        kept = "".join(mark for mark in marks if mark not in _TONES)
        out += unicodedata.normalize("NFC", base + kept).encode("cp1258")
        out += "".join(mark for mark in marks if mark in _TONES).encode("cp1258")
    return bytes(out)


def unreadable(header: str, row: str) -> dict[str, bytes]:
    """A good ``header`` line and a data ``row`` (with Vietnamese in it) spoilt in each way.

    The keys name the fault, so a parametrised test reads well.
    """
    text = f"{header}\n{row}\n"
    return {
        "windows-1258": windows_1258(text),
        "nul-bytes": f"{header}\n{row}\x00\x00\n".encode(),
        "utf-16-without-bom": text.encode("utf-16-le"),
        "200-kb-cell": f"{header}\n{row}{'x' * 200_000}\n".encode(),
        "40-kb-cell": f"{header}\n{row}{'x' * 40_000}\n".encode(),
        "xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500),
        "broken-xlsx": b"PK\x03\x04" + bytes(100),
    }
