"""The engine page: mode, workers, queue, lag; retry or cancel a job (admin only, as in the API)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import RedirectResponse

from handoff.http.deps import Conn, Now
from handoff.store import jobs
from handoff.store.errors import Conflict, NotFound
from handoff.web import views
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
DEFAULT_STATE = "failed"
JobId = Annotated[int, Path(ge=1, le=jobs.MAX_JOB_ID)]


def _require_admin(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("the engine page needs an admin token, as the engine API does")


async def _page(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    state: str,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    if state not in ("", *jobs.STATES):
        message, state = f"there is no job state {state!r}; showing failed jobs", DEFAULT_STATE
    view = await views.engine(conn, now, state)
    return page(
        request,
        "engine.html",
        status_code,
        session=viewer,
        v=view,
        states=jobs.STATES,
        message=message,
        now=now,
    )


@router.get("/engine")
async def engine_page(
    request: Request, viewer: Viewer, conn: Conn, now: Now, state: str = DEFAULT_STATE
) -> Response:
    _require_admin(viewer)
    return await _page(request, viewer, conn, now, state)


@router.post("/engine/jobs/{job_id}/{action}")
async def job_action(
    request: Request, job_id: JobId, action: str, post: AdminPosted, conn: Conn, now: Now
) -> Response:
    """Retry or cancel; a job in the wrong state is explained on the page."""
    state = post.form.get("state")
    back = state if isinstance(state, str) else DEFAULT_STATE
    try:
        if action == "retry":
            await jobs.retry(conn, job_id, now=now)
        elif action == "cancel":
            await jobs.cancel(conn, job_id)
        else:
            raise NotFound("action", action)
    except (Conflict, NotFound) as exc:
        status = 404 if isinstance(exc, NotFound) else 409
        return await _page(request, post.session, conn, now, back, str(exc), status)
    response = RedirectResponse(f"/engine?{urlencode({'state': back})}", status_code=303)
    done = "will run again" if action == "retry" else "is cancelled"
    flash(request, response, f"Job #{job_id} {done}.")
    return response
