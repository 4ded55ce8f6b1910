"""The Dutch 11-proef for BSN and RSIN numbers."""

from __future__ import annotations

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)


def passes_elfproef(number: str) -> bool:
    """True when ``number`` is nine ASCII digits whose weighted sum is a multiple of 11 (and not all zeros).

    Other scripts' digits (``str.isdigit`` accepts "٩" and "²") are not a BSN.
    """
    if len(number) != 9 or not (number.isascii() and number.isdigit()) or number == "000000000":
        return False
    return sum(w * int(d) for w, d in zip(_WEIGHTS, number, strict=True)) % 11 == 0
