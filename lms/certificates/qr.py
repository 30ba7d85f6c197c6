"""QR codes of verification URLs: one matrix, drawn into the PDF and served as SVG."""

from __future__ import annotations

from functools import lru_cache

import qrcode
from qrcode.constants import ERROR_CORRECT_M

#: Modules of white border around the code (readers need some quiet zone).
QUIET = 2


@lru_cache(maxsize=256)
def qr_matrix(data: str) -> tuple[tuple[bool, ...], ...]:
    """The module matrix of ``data`` (medium error correction, no border).

    A fixed mask skips qrcode's search for the best one (most of its time); any mask is
    valid, readers take it from the code's format bits.
    """
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0, box_size=1, mask_pattern=0)
    code.add_data(data)
    code.make(fit=True)
    return tuple(tuple(bool(cell) for cell in row) for row in code.get_matrix())


def runs(matrix: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int, int]]:
    """Dark runs per row as ``(row, start, length)``: few shapes, small output."""
    found = []
    for row, cells in enumerate(matrix):
        col, n = 0, len(cells)
        while col < n:
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < n and cells[col]:
                col += 1
            found.append((row, start, col - start))
    return found


def qr_svg(data: str) -> str:
    """A standalone SVG of the QR code, scalable, with its quiet zone."""
    matrix = qr_matrix(data)
    size = len(matrix) + 2 * QUIET
    path = "".join(
        f"M{start + QUIET} {row + QUIET}h{length}v1h-{length}z"
        for row, start, length in runs(matrix)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{path}" fill="#000"/></svg>'
    )
