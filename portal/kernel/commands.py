"""What management commands that load a file share: reading the file and finding the actor to audit."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError


def read_file_argument(path: Path) -> bytes:
    """The file's bytes, or a CommandError saying why it cannot be read (never a traceback)."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc


def actor_argument(username: str | None):
    """The user an `--actor USERNAME` option names (None without the option); a CommandError if there is none."""
    if not username:
        return None
    from portal.models import User  # the kernel imports no models at module level

    user = User.objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"no user named {username}")
    return user
