"""The text of a PDF that fpdf2 wrote with embedded TrueType fonts (no PDF reader is in the
lock): each text string's 2-byte glyph codes mapped back to characters through the fonts'
``ToUnicode`` maps. A string is decoded with each font's map and the line kept in every
reading (the one of its own font is the text; another's is noise no test looks for)."""

from __future__ import annotations

import re
import zlib

STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)
SHOWN = re.compile(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
BFCHAR = re.compile(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]+)>")
ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _streams(pdf: bytes) -> list[bytes]:
    found = []
    for raw in STREAM.findall(pdf):
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            found.append(raw)
    return found


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(literal):
        byte = literal[i : i + 1]
        if byte != b"\\":
            out += byte
            i += 1
            continue
        following = literal[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            i += 1 + len(octal.group())
        else:
            out += ESCAPES.get(following, following)
            i += 2
    return bytes(out)


def pdf_text(pdf: bytes) -> str:
    """Every text string of the PDF, one per line, read through every font's map."""
    streams = _streams(pdf)
    maps = []
    for stream in streams:
        if b"begincmap" in stream:
            maps.append(
                {
                    int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                    for code, text in BFCHAR.findall(stream)
                }
            )
    lines = []
    for stream in streams:
        if b"begincmap" in stream:
            continue
        for literal in SHOWN.findall(stream):
            raw = _unescape(literal)
            codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
            for mapping in maps:
                lines.append("".join(mapping.get(code, "\ufffd") for code in codes))
    return "\n".join(lines)
