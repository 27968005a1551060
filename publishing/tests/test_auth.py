"""API tokens (expiring, revocable) and the lock-out of the token endpoint and the admin login."""
from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from knox.settings import CONSTANTS

from config.authentication import client_ip
from publishing.tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"
LIMIT = 3


@pytest.fixture(autouse=True)
def _lockout(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)


def _login(api, username: str, password: str = PASSWORD, *, ip: str = "10.0.0.1", **extra):
    return api.post("/api/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip, **extra)


def _fail(api, username: str, times: int, *, ip: str = "10.0.0.1", **extra) -> list[int]:
    return [_login(api, username, "wrong", ip=ip, **extra).status_code for _ in range(times)]


def test_a_token_comes_with_its_expiry_and_works(api, author, settings) -> None:
    response = _login(api, author.user.username)
    assert response.status_code == 200 and set(response.json()) == {"token", "expires"}
    [stored] = AuthToken.objects.filter(user=author.user)
    assert parse_datetime(response.json()["expires"]) == stored.expiry
    ttl = timedelta(seconds=settings.API_TOKEN_TTL_SECONDS)
    assert ttl - timedelta(minutes=1) < stored.expiry - stored.created <= ttl
    api.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert api.get("/api/articles/").status_code == 200


def test_tokens_are_stored_hashed(api, author) -> None:
    token = _login(api, author.user.username).json()["token"]
    assert not AuthToken.objects.filter(digest=token).exists() and token not in AuthToken.objects.get().digest


def test_a_token_of_a_deactivated_user_is_refused(api, author) -> None:
    token = _login(api, author.user.username).json()["token"]
    author.user.is_active = False
    author.user.save(update_fields=["is_active"])
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 401


def test_a_token_sharing_a_real_tokens_key_but_not_its_secret_is_refused(api, author) -> None:
    token = _login(api, author.user.username).json()["token"]
    forged = token[:CONSTANTS.TOKEN_KEY_LENGTH] + ("0" if token[-1] != "0" else "1") * (len(token) - CONSTANTS.TOKEN_KEY_LENGTH)
    api.credentials(HTTP_AUTHORIZATION=f"Token {forged}")
    assert api.get("/api/articles/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 200


def test_an_expired_token_is_refused(api, author) -> None:
    token = _login(api, author.user.username).json()["token"]
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 401


def test_an_expired_token_is_deleted_when_used_and_the_others_at_the_next_login(api, author) -> None:
    used, other = (_login(api, author.user.username).json()["token"] for _ in range(2))
    AuthToken.objects.update(expiry=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Token {used}")
    assert api.get("/api/articles/").status_code == 401
    assert AuthToken.objects.filter(user=author.user).count() == 1  # the one used; the other waits for a login
    api.credentials()
    fresh = _login(api, author.user.username).json()["token"]
    [kept] = AuthToken.objects.filter(user=author.user)
    assert kept.token_key == fresh[:len(kept.token_key)] and other[:len(kept.token_key)] != kept.token_key


def test_logout_revokes_the_token_used_and_no_other(api, author) -> None:
    kept, revoked = (_login(api, author.user.username).json()["token"] for _ in range(2))
    api.credentials(HTTP_AUTHORIZATION=f"Token {revoked}")
    assert api.post("/api/auth/logout/").status_code == 204
    assert api.get("/api/articles/").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Token {kept}")
    assert api.get("/api/articles/").status_code == 200


@pytest.mark.parametrize("header", [None, "Token not-a-token", "Token \xff\xfe"])
def test_logout_without_a_valid_token_is_401(api, header) -> None:
    if header:
        api.credentials(HTTP_AUTHORIZATION=header)
    assert api.post("/api/auth/logout/").status_code == 401


@pytest.mark.parametrize("token", ["\xff\xfe", "\x00" * 64, "abc\x00def" + "a" * 56, "é" * 64, "a" * 100_000,
                                   "'; DROP TABLE knox_authtoken; --"])
def test_a_token_header_that_is_not_a_token_is_401_not_500(api, token) -> None:
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/articles/").status_code == 401


@pytest.mark.parametrize(("data", "field"), [
    ({"password": PASSWORD}, "username"),
    ({"username": "ada"}, "password"),
    ({"username": "a" * 151, "password": PASSWORD}, "username"),
    ({"username": "\x00", "password": PASSWORD}, "username"),  # blank once cleaned
])
def test_bad_login_input_is_a_400_with_field_messages(api, data, field) -> None:
    response = api.post("/api/auth/token/", data)
    assert response.status_code == 400 and field in response.json()


def test_control_characters_in_credentials_are_removed_not_a_500(api, author) -> None:
    name = author.user.username
    assert _login(api, f"{name[:1]}\x00{name[1:]}").status_code == 200


def test_wrong_credentials_are_a_401_that_says_so(api, author) -> None:
    response = _login(api, author.user.username, "wrong")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    assert "credentials" in response.json()["detail"]


def test_the_token_endpoint_locks_out_one_account_from_one_address(api, author) -> None:
    assert _fail(api, author.user.username, LIMIT) == [401] * (LIMIT - 1) + [429]
    locked = _login(api, author.user.username)
    assert locked.status_code == 429
    assert "too many login attempts" in locked.json()["detail"] and int(locked["Retry-After"]) == 15 * 60
    # Neither the same account from elsewhere nor another account behind the same address is locked out.
    assert _login(api, author.user.username, ip="10.0.0.2").status_code == 200
    assert _login(api, AuthorFactory().user.username, ip="10.0.0.1").status_code == 200


def test_the_cool_off_lets_the_account_back_in(api, author, settings) -> None:
    _fail(api, author.user.username, LIMIT)
    assert _login(api, author.user.username).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))
    assert _login(api, author.user.username).status_code == 200


def test_a_success_clears_the_count(api, author) -> None:
    _fail(api, author.user.username, LIMIT - 1)
    assert _login(api, author.user.username).status_code == 200
    assert _fail(api, author.user.username, LIMIT - 1) == [401] * (LIMIT - 1)


def test_a_forged_forwarded_for_does_not_dodge_the_lock_out(api, author) -> None:
    codes = [_login(api, author.user.username, "wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
             for n in range(LIMIT)]
    assert codes[-1] == 429
    assert _login(api, author.user.username, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


def test_behind_a_trusted_proxy_the_lock_out_keys_on_the_forwarded_address(api, author, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = {"ip": "10.0.0.254"}
    assert _fail(api, author.user.username, LIMIT, HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy)[-1] == 429
    assert _login(api, author.user.username, HTTP_X_FORWARDED_FOR="192.0.2.2", **proxy).status_code == 200
    assert _login(api, author.user.username, HTTP_X_FORWARDED_FOR="192.0.2.1", **proxy).status_code == 429


@pytest.mark.parametrize(("proxies", "forwarded", "remote", "client"), [
    (0, "192.0.2.7", "10.0.0.1", "10.0.0.1"),              # no proxy: the header is anyone's to write
    (1, "192.0.2.7", "10.0.0.1", "192.0.2.7"),             # what our one proxy saw connect
    (1, "203.0.113.9, 192.0.2.7", "10.0.0.1", "192.0.2.7"),  # the client's own entry is not believed
    (2, "203.0.113.9, 192.0.2.7", "10.0.0.1", "203.0.113.9"),
    (3, "192.0.2.7", "10.0.0.1", "192.0.2.7"),             # fewer hops than proxies: the farthest one
    (1, "not-an-address", "10.0.0.1", "10.0.0.1"),
    (1, "", "10.0.0.1", "10.0.0.1"),
])
def test_the_client_address_trusts_only_the_configured_proxies(rf, settings, proxies, forwarded, remote, client) -> None:
    settings.TRUSTED_PROXY_COUNT = proxies
    request = rf.post("/api/auth/token/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == client


def test_the_admin_login_locks_out_too(client, editor) -> None:
    editor.set_password(PASSWORD)
    editor.save()

    def admin_login(password: str, ip: str = "10.0.0.1"):
        return client.post("/admin/login/?next=/admin/", {"username": editor.username, "password": password},
                           REMOTE_ADDR=ip)

    assert [admin_login("wrong").status_code for _ in range(LIMIT)] == [200] * (LIMIT - 1) + [429]
    locked = admin_login(PASSWORD)
    assert locked.status_code == 429 and b"Too many login attempts" in locked.content
    assert admin_login(PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_schema_documents_the_auth_endpoints(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    login = schema["paths"]["/api/auth/token/"]["post"]
    assert {"200", "400", "401", "429"} <= set(login["responses"])
    name = login["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][name]["properties"]) == {"token", "expires"}
    assert {"204", "401"} <= set(schema["paths"]["/api/auth/logout/"]["post"]["responses"])


def test_the_admin_lists_and_revokes_tokens_but_never_makes_one(api, author, client) -> None:
    from django.contrib.auth.models import User

    _login(api, author.user.username)
    [stored] = AuthToken.objects.all()
    client.force_login(User.objects.create_superuser("root", "root@example.org", PASSWORD))
    assert client.get("/admin/knox/authtoken/add/").status_code == 403  # knox's own form allowed no expiry
    assert stored.token_key in client.get("/admin/knox/authtoken/").content.decode()
    page = client.get(f"/admin/knox/authtoken/{stored.pk}/change/")
    assert page.status_code == 200 and b'name="expiry"' not in page.content
    assert client.post(f"/admin/knox/authtoken/{stored.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not AuthToken.objects.exists()
