"""Passwords for the commands that create accounts: never an argument, where `ps` and shell history keep it."""
from __future__ import annotations

import getpass
import os
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def password_read(*, env_var: str) -> str:
    """From the environment variable `env_var`, else asked twice at the terminal."""
    password = os.environ.get(env_var, "")
    if password:
        return password
    if not sys.stdin.isatty():
        raise CommandError(f"no password: set {env_var} in the environment, or run this in a terminal to be asked")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        raise CommandError("the two passwords differ")
    return password


def password_refused(exc: ValidationError) -> CommandError:
    """What AUTH_PASSWORD_VALIDATORS said, as the command's error."""
    return CommandError("password refused: " + " ".join(exc.messages))
