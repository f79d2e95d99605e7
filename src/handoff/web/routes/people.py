"""The people page: everyone, the rotations each is in, create a person, edit one, delete one.

Creating and deleting go through `store.users` as the API and the CLI do: the store checks the
name and email (its messages show next to each field), and deleting applies engine.md's removal
rule in every rotation the person is in, in one transaction. Deleting asks first, on a page of
its own that names those rotations, so it works without JavaScript.

An email belongs to one person (ignoring case): one another person has is refused next to the
email field, naming them (409). The edit page renames a person and changes their email and
time zone with the same form and the same messages.

Two people may share a name (the API allows it), so a name already taken is not refused but
asked about: the form names the people who have it, with their emails, and creates another only
when "another person with this name" is ticked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from handoff.http.deps import Conn, Now
from handoff.store import accounts, users
from handoff.store.errors import Conflict, Invalid
from handoff.store.pagination import MAX_LIMIT
from handoff.web import views
from handoff.web.field_errors import add_field_errors
from handoff.web.flash import flash
from handoff.web.render import page
from handoff.web.routing import WebRoute
from handoff.web.session import AdminPosted, Refused, Session, Viewer

router = APIRouter(route_class=WebRoute, include_in_schema=False)
FIELDS = ("name", "email", "time_zone", "role")


@dataclass
class PersonForm:
    """What the create form holds, as typed, and the store's message for each field."""

    name: str = ""
    email: str = ""
    time_zone: str = ""
    role: str = ""  # the edit page's; empty: none (cannot sign in)
    same_name: bool = False  # ticked: create even though someone has this name
    errors: dict[str, str] = field(default_factory=dict)
    namesakes: list[users.User] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: FormData) -> PersonForm:
        def text(name: str) -> str:
            value = form.get(name)
            return value if isinstance(value, str) else ""

        return cls(
            name=text("name"),
            email=text("email"),
            time_zone=text("time_zone"),
            role=text("role"),
            same_name=text("same_name") == "yes",
        )

    @classmethod
    def of(cls, user: users.User) -> PersonForm:
        return cls(
            name=user.name,
            email=user.email or "",
            time_zone=user.time_zone or "",
            role=user.role or "",
        )

    @property
    def optional(self) -> tuple[str | None, str | None]:
        """The email and the zone as the store takes them: left empty, none."""
        return self.email.strip() or None, self.time_zone.strip() or None

    def add_errors(self, exc: Invalid) -> None:
        add_field_errors(self.errors, exc, FIELDS)


async def namesakes(conn: Conn, name: str) -> list[users.User]:
    """The people whose name is `name`, ignoring case and surrounding spaces: read among
    those whose name or email has it, never everyone."""
    wanted = name.strip()
    if not wanted:
        return []
    found = await users.list_users(conn, limit=MAX_LIMIT, q=wanted)
    matches = list(found.items)
    while found.next_cursor is not None:
        found = await users.list_users(conn, limit=MAX_LIMIT, q=wanted, cursor=found.next_cursor)
        matches.extend(found.items)
    return [u for u in matches if u.name.casefold() == wanted.casefold()]


def _require_writer(viewer: Session) -> None:
    if not viewer.can_write:
        raise Refused("you are signed in with a reader token, which cannot change anything")


async def _list_page(
    request: Request,
    viewer: Session,
    conn: Conn,
    now: Now,
    form: PersonForm,
    status_code: int = 200,
    cursor: str | None = None,
) -> Response:
    try:
        listed = await views.people(conn, now, cursor)
    except Invalid:  # a page link from before: the first page
        cursor, listed = None, await views.people(conn, now, None)
    return page(
        request,
        "people.html",
        status_code,
        session=viewer,
        people=listed.people,
        people_cursor=cursor,
        next_page=f"/people?cursor={listed.next_cursor}" if listed.next_cursor else None,
        form=form,
        max_name=users.MAX_NAME,
        max_email=users.MAX_EMAIL,
    )


@router.get("/people")
async def people_page(
    request: Request, viewer: Viewer, conn: Conn, now: Now, cursor: str = ""
) -> Response:
    return await _list_page(request, viewer, conn, now, PersonForm(), cursor=cursor or None)


@router.post("/people")
async def create_person(request: Request, post: AdminPosted, conn: Conn, now: Now) -> Response:
    """Create through the store; its refusal re-renders the form with each field's message."""
    form = PersonForm.from_form(post.form)
    if not form.same_name:
        form.namesakes = await namesakes(conn, form.name)
        if form.namesakes:
            return await _list_page(request, post.session, conn, now, form, 409)
    email, zone = form.optional
    try:
        created = await users.create(conn, form.name, email, now=now, time_zone=zone)
    except Invalid as exc:
        form.add_errors(exc)
        return await _list_page(request, post.session, conn, now, form, 422)
    except Conflict as exc:
        form.errors["email"] = str(exc)
        return await _list_page(request, post.session, conn, now, form, 409)
    response = RedirectResponse(f"/people#person-{created.id}", status_code=303)
    flash(request, response, f"Added {created.name}.")
    return response


def _edit_page(
    request: Request, session: Session, user: users.User, form: PersonForm, status_code: int = 200
) -> Response:
    return page(
        request,
        "person_edit.html",
        status_code,
        session=session,
        u=user,
        form=form,
        max_name=users.MAX_NAME,
        max_email=users.MAX_EMAIL,
        roles=accounts.ROLES,
    )


@router.get("/people/{user_id}/edit")
async def edit_form(request: Request, user_id: UUID, viewer: Viewer, conn: Conn) -> Response:
    _require_writer(viewer)
    user = await users.get(conn, user_id)
    return _edit_page(request, viewer, user, PersonForm.of(user))


@router.post("/people/{user_id}/edit")
async def edit_person(request: Request, user_id: UUID, post: AdminPosted, conn: Conn) -> Response:
    """Rename, change or remove the email, the zone and the role, in one transaction; a
    refusal shows the form again and changes nothing."""
    user = await users.get(conn, user_id)
    form = PersonForm.from_form(post.form)
    email, zone = form.optional
    try:
        async with conn.transaction():
            try:
                edited = await users.update(
                    conn,
                    user_id,
                    name=form.name,
                    email=email,
                    clear_email=email is None,
                    time_zone=zone,
                    clear_time_zone=zone is None,
                )
            except Conflict as exc:
                form.errors["email"] = str(exc)
                raise
            try:
                await accounts.set_role(conn, user_id, form.role or None)
            except Conflict as exc:
                form.errors["role"] = str(exc)
                raise
    except Invalid as exc:
        form.add_errors(exc)
        return _edit_page(request, post.session, user, form, 422)
    except Conflict:
        return _edit_page(request, post.session, user, form, 409)
    response = RedirectResponse(f"/people/{user_id}", status_code=303)
    flash(request, response, f"Saved {edited.name}.")
    return response


@router.get("/people/{user_id}/delete")
async def confirm_delete(
    request: Request, user_id: UUID, viewer: Viewer, conn: Conn, now: Now
) -> Response:
    """The confirmation step: what deleting this person does, in which rotations."""
    _require_writer(viewer)
    return page(
        request, "person_delete.html", session=viewer, p=await views.person(conn, user_id, now)
    )


@router.post("/people/{user_id}/delete")
async def delete_person(request: Request, user_id: UUID, post: AdminPosted, conn: Conn) -> Response:
    user = await users.get(conn, user_id)
    await users.delete(conn, user_id)
    response = RedirectResponse("/people", status_code=303)
    flash(request, response, f"Deleted {user.name}.")
    return response
