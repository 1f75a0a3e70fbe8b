"""Errors the user can fix."""


class BuildError(Exception):
    """An error the user can fix; str(e) is the whole message shown (no traceback)."""
