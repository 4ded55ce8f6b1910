"""The Dutch 11-proef for BSN and RSIN numbers."""

from __future__ import annotations

from operator import mul

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
#: The weighted sum of nine "0" characters (ASCII 48): taken off the sum over the digits' bytes.
_ZEROS = 48 * sum(_WEIGHTS)


def passes_elfproef(number: str) -> bool:
    """True when ``number`` is nine ASCII digits whose weighted sum is a multiple of 11 (and not all zeros).

    Other scripts' digits (``str.isdigit`` accepts "٩" and "²") are not a BSN.
    """
    if len(number) != 9 or not (number.isascii() and number.isdigit()) or number == "000000000":
        return False
    return (sum(map(mul, _WEIGHTS, number.encode())) - _ZEROS) % 11 == 0
