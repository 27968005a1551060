"""Authors: accounts whose contact data notifications keeps a copy of."""
from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from config.eventbus.outbox import publish
from publishing.models import Author

AUTHORS_GROUP = "authors"

def _author_event(event_type: str, author: Author) -> None:
    data = {
        "author_id": str(author.pk),
        "username": author.user.username,
        "display_name": author.display_name,
        "email": author.user.email,
        "preferences": author.preferences,
    }
    publish(event_type, subject=f"author/{author.pk}", data=data)


@transaction.atomic
def author_create(*, username: str, email: str, password: str, display_name: str = "", preferences: dict | None = None) -> Author:
    """Raises django's ValidationError when AUTH_PASSWORD_VALIDATORS refuse the password."""
    validate_password(password, User(username=username, email=email))
    user = User.objects.create_user(username=username, email=email, password=password)
    user.groups.add(Group.objects.get_or_create(name=AUTHORS_GROUP)[0])
    author = Author.objects.create(user=user, display_name=display_name or username, preferences=preferences or {})
    _author_event("author.registered", author)
    return author


@transaction.atomic
def author_update(*, author: Author, display_name: str | None = None, email: str | None = None,
                  preferences: dict | None = None) -> Author:
    """Change contact data; notifications keeps its own copy, so only a real change emits author.updated."""
    author = Author.objects.select_for_update().select_related("user").get(pk=author.pk)
    before = (author.display_name, author.user.email, author.preferences)
    author.display_name = author.display_name if display_name is None else display_name
    author.user.email = author.user.email if email is None else email
    author.preferences = author.preferences if preferences is None else preferences
    if (author.display_name, author.user.email, author.preferences) != before:
        author.user.save(update_fields=["email"])
        author.save(update_fields=["display_name", "preferences"])
        _author_event("author.updated", author)
    return author


