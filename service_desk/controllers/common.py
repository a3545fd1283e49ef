"""Input checks shared by the public routes: what a browser sends is not always text."""

import re

# Keys and tokens of the addon come from secrets.token_urlsafe: URL-safe base64.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,128}")
# Control characters a person does not type in a form (tab, newline, return aside).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value, max_length):
    """The stripped text of a form or query value, or None when it is not plain text:
    a file (multipart field), a control character (NUL...), more than ``max_length``
    characters. Callers treat None exactly like a wrong value."""
    if value is None:
        return ""
    if not isinstance(value, str) or CONTROL_CHARS.search(value):
        return None
    value = value.strip()
    return value if len(value) <= max_length else None


def is_token(value):
    """True if ``value`` can be one of the addon's keys or tokens (checked before any
    database lookup or ``consteq``, which rejects non-ASCII text with a TypeError)."""
    return isinstance(value, str) and bool(TOKEN_PATTERN.fullmatch(value))


def is_db_id(value):
    """True if ``value`` (from an ``<int:...>`` route converter, which accepts any number of
    digits) fits PostgreSQL's ``integer`` ids."""
    return isinstance(value, int) and 0 < value <= 2**31 - 1
