"""People without duplicates (people.md): one email per person ignoring case, a time zone."""

from __future__ import annotations

import psycopg
import pytest

from .conftest import Api


def test_an_email_another_person_has_is_a_409_naming_them(api: Api) -> None:
    ann = api.user("Ann", "ann@example.com")
    before = api.sql("SELECT id, name, email FROM users ORDER BY name")
    clash = api.admin.post("/api/v1/users", json={"name": "Bob", "email": "ANN@Example.com"})
    assert clash.status_code == 409
    assert clash.headers["content-type"] == "application/problem+json"
    assert "Ann" in clash.json()["detail"] and ann in clash.json()["detail"]
    assert api.sql("SELECT id, name, email FROM users ORDER BY name") == before
    bob = api.user("Bob", "bob@example.com")
    taken = api.admin.patch(f"/api/v1/users/{bob}", json={"email": "Ann@example.COM"})
    assert taken.status_code == 409 and "Ann" in taken.json()["detail"]
    assert api.sql("SELECT email FROM users WHERE name = 'Bob'") == [{"email": "bob@example.com"}]
    own = api.admin.patch(f"/api/v1/users/{ann}", json={"email": "ANN@example.com"})
    assert own.status_code == 200 and own.json()["email"] == "ANN@example.com"


def test_the_database_refuses_a_second_email_whatever_the_case(api: Api) -> None:
    api.user("Ann", "ann@example.com")
    with pytest.raises(psycopg.errors.UniqueViolation, match="users_email_key"):
        api.sql("INSERT INTO users (name, email) VALUES ('Bob', 'ANN@EXAMPLE.COM')")


def test_time_zone_is_optional_validated_and_removable(api: Api) -> None:
    made = api.admin.post("/api/v1/users", json={"name": "Ann", "time_zone": "Europe/Berlin"})
    assert made.status_code == 201
    body = made.json()
    assert body["time_zone"] == "Europe/Berlin" and body["role"] is None
    bad = api.admin.post("/api/v1/users", json={"name": "Bob", "time_zone": "Mars/Base"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "time_zone"
    path = f"/api/v1/users/{body['id']}"
    moved = api.admin.patch(path, json={"time_zone": "Asia/Tokyo"})
    assert moved.json()["time_zone"] == "Asia/Tokyo"
    assert api.admin.patch(path, json={"time_zone": "Nowhere"}).status_code == 422
    assert api.admin.patch(path, json={"name": "Anna"}).json()["time_zone"] == "Asia/Tokyo"
    assert api.admin.patch(path, json={"time_zone": None}).json()["time_zone"] is None


def test_admins_set_roles_and_the_last_admin_keeps_theirs(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    made = api.admin.patch(f"/api/v1/users/{ann}", json={"role": "admin"})
    assert made.status_code == 200 and made.json()["role"] == "admin"
    last = api.admin.patch(f"/api/v1/users/{ann}", json={"role": "reader", "name": "Anna"})
    assert last.status_code == 409 and "last admin" in last.json()["detail"]
    assert api.sql("SELECT name, role FROM users WHERE id = %s", ann) == [
        {"name": "Ann", "role": "admin"}  # nothing changed, not even the name
    ]
    assert api.admin.patch(f"/api/v1/users/{bob}", json={"role": "admin"}).status_code == 200
    demoted = api.admin.patch(f"/api/v1/users/{ann}", json={"role": "responder"})
    assert demoted.json()["role"] == "responder"
    assert api.admin.patch(f"/api/v1/users/{bob}", json={"role": None}).status_code == 409
    bad = api.admin.patch(f"/api/v1/users/{ann}", json={"role": "owner"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "role"
    assert api.reader.patch(f"/api/v1/users/{ann}", json={"role": "admin"}).status_code == 403
    assert api.admin.patch(f"/api/v1/users/{ann}", json={"role": None}).json()["role"] is None


def test_the_last_admin_cannot_be_deleted(api: Api) -> None:
    ann, bob = api.user("Ann"), api.user("Bob")
    api.admin.patch(f"/api/v1/users/{ann}", json={"role": "admin"})
    refused = api.admin.delete(f"/api/v1/users/{ann}")
    assert refused.status_code == 409 and "last admin" in refused.json()["detail"]
    assert api.reader.get(f"/api/v1/users/{ann}").status_code == 200
    api.admin.patch(f"/api/v1/users/{bob}", json={"role": "admin"})
    assert api.admin.delete(f"/api/v1/users/{ann}").status_code == 204
