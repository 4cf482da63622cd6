"""Errors a user can fix. The CLI prints them as one line and exits with code 2."""


class UserError(Exception):
    """A mistake in a study file, a command line or the environment, explained in one line."""


def unknown_name(kind: str, name: object, known: list[str]) -> UserError:
    """The error for a name that is not in a registry, listing the known names."""
    return UserError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}")
