"""People in the UI without duplicates (people.md): an email someone has is refused next to
the field naming them; the person page renames a person and changes their email and zone."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from handoff.store import users

from .client import Browser, csrf
from .conftest import Web


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _person(web: Web, user_id: UUID) -> users.User:
    async def read(conn: Any) -> users.User:
        return await users.get(conn, user_id)

    found: users.User = web.run(read)
    return found


def test_creating_a_person_with_a_taken_email_names_who_has_it(browser: Browser, web: Web) -> None:
    browser.sign_in(web.admin_token)
    form = {"csrf_token": browser.csrf, "name": "Ann", "email": "ann@example.com"}
    assert browser.client.post("/people", data=form).status_code == 303
    clash = browser.client.post("/people", data=form | {"name": "Bob", "email": "ANN@example.com"})
    assert clash.status_code == 409
    assert re.search(r'id="error-email"[^>]*>[^<]*belongs to Ann', clash.text)
    assert 'value="ANN@example.com"' in clash.text  # the form keeps what was typed
    zoned = form | {"name": "Cid", "email": "", "time_zone": "Asia/Tokyo"}
    assert browser.client.post("/people", data=zoned).status_code == 303
    bad_zone = form | {"name": "Dee", "email": "", "time_zone": "Mars/Base"}
    refused = browser.client.post("/people", data=bad_zone)
    assert refused.status_code == 422 and 'id="error-time_zone"' in refused.text
    assert "IANA" in _text(refused.text)


def test_the_person_page_edits_name_email_and_time_zone(browser: Browser, web: Web) -> None:
    ann, bob = web.user("Ann"), web.user("Bob")
    browser.sign_in(web.admin_token)
    page = browser.client.get(f"/people/{ann}").text
    assert f'href="/people/{ann}/edit"' in page
    form_page = browser.client.get(f"/people/{ann}/edit")
    assert form_page.status_code == 200 and 'value="Ann"' in form_page.text
    token = {"csrf_token": csrf(form_page.text)}
    saved = browser.client.post(
        f"/people/{ann}/edit",
        data=token | {"name": "Anna", "email": "anna@example.com", "time_zone": "Europe/Berlin"},
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"/people/{ann}"
    edited = _person(web, ann)
    assert (edited.name, edited.email, edited.time_zone) == (
        "Anna",
        "anna@example.com",
        "Europe/Berlin",
    )
    assert "Time zone Europe/Berlin" in _text(browser.client.get(f"/people/{ann}").text)
    taken = browser.client.post(
        f"/people/{bob}/edit", data=token | {"name": "Bob", "email": "Anna@Example.com"}
    )
    assert taken.status_code == 409 and "belongs to Anna" in _text(taken.text)
    assert _person(web, bob).email is None
    empty = browser.client.post(f"/people/{bob}/edit", data=token | {"name": " "})
    assert empty.status_code == 422 and 'id="name"' in empty.text
    assert _person(web, bob).name == "Bob"
    cleared = browser.client.post(f"/people/{ann}/edit", data=token | {"name": "Anna"})
    assert cleared.status_code == 303
    assert (_person(web, ann).email, _person(web, ann).time_zone) == (None, None)


def test_readers_cannot_edit_people(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.reader_token)
    assert f"/people/{ann}/edit" not in browser.client.get(f"/people/{ann}").text
    assert browser.client.get(f"/people/{ann}/edit").status_code == 403
    posted = browser.client.post(
        f"/people/{ann}/edit", data={"csrf_token": browser.csrf, "name": "Mallory"}
    )
    assert posted.status_code == 403
    assert _person(web, ann).name == "Ann"


def test_the_edit_page_sets_the_role_and_keeps_the_last_admin(browser: Browser, web: Web) -> None:
    ann = web.user("Ann")
    browser.sign_in(web.admin_token)
    token = {"csrf_token": csrf(browser.client.get(f"/people/{ann}/edit").text)}
    made = browser.client.post(f"/people/{ann}/edit", data=token | {"name": "Ann", "role": "admin"})
    assert made.status_code == 303 and _person(web, ann).role == "admin"
    assert '<option value="admin" selected>' in browser.client.get(f"/people/{ann}/edit").text
    last = browser.client.post(f"/people/{ann}/edit", data=token | {"name": "Anna", "role": ""})
    assert last.status_code == 409
    assert re.search(r'id="error-role"[^>]*>[^<]*last admin', last.text)
    assert (_person(web, ann).name, _person(web, ann).role) == ("Ann", "admin")
    bad = browser.client.post(f"/people/{ann}/edit", data=token | {"name": "Ann", "role": "owner"})
    assert bad.status_code == 422 and _person(web, ann).role == "admin"
