"""Trimming the text of a subfield or a cell: white space, and the Unicode bidirectional
controls that Arabic catalogues leave at its edges.

OCLC and many Arabic library systems wrap the text of 880 fields and Arabic cells in
direction marks (U+200F RIGHT-TO-LEFT MARK, U+202A-U+202E embeddings and overrides,
U+2066-U+2069 isolates): "‏شرح منازل السائرين /‏". At the edges they only hide the ISBD
punctuation from the cleaners and follow the text into lists and exports; inside the text
they may order a mixed Arabic-Latin title, so they are kept there.
"""

from __future__ import annotations

#: Bidirectional controls (Unicode category Cf) and the zero-width no-break space (BOM).
BIDI_CONTROLS = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"


def trim(value: str) -> str:
    """``value`` without white space or bidirectional controls at either end."""
    value = value.strip()
    if value and (value[0] in BIDI_CONTROLS or value[-1] in BIDI_CONTROLS):
        return _trim_marks(value)
    return value  # the common case: one strip, two character tests


def _trim_marks(value: str) -> str:
    while value and (value[0] in BIDI_CONTROLS or value[-1] in BIDI_CONTROLS):
        value = value.strip(BIDI_CONTROLS).strip()
    return value
