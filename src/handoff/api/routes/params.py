"""Query parameters every list shares: `?limit=` (default 50) and `?cursor=`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from handoff.api.types import Text
from handoff.store.pagination import MAX_LIMIT

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[
    Text | None,
    Query(max_length=1000, description="The `next_cursor` of the previous page."),
]
