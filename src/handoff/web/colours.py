"""One colour per person, the same on every page (pure).

A person's colour is a function of their id alone, not of their place in a list, so the
rotation page, the calendar and the person page agree, and an edit or a filter changes no
one's colour. The palette is the stylesheet's `.seg-0` .. `.seg-N`: each dark enough for white
text (a test holds every one to WCAG's 4.5:1 against white). Grey means nobody is on call and
diagonal stripes mean an override decides who is; neither is a person's colour.
"""

from __future__ import annotations

from hashlib import blake2b
from uuid import UUID

PALETTE_SIZE = 10  # colours in the stylesheet: .seg-0 .. .seg-9


def of(user_id: UUID) -> int:
    """The palette index of a person: a stable hash of their id (the same in every process)."""
    return int.from_bytes(blake2b(user_id.bytes, digest_size=4).digest(), "big") % PALETTE_SIZE
