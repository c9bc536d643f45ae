"""One exception family; the CLI turns it into `error: ...` and an exit code."""


def printable(text: str) -> str:
    """Text safe for one terminal line: control and format characters (ESC, CR, bidi
    overrides, ...) shown as escapes, so a file name or student id cannot move the
    cursor, set the window title or forge another line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class TracerError(Exception):
    """A user-facing problem: bad input, an impossible request.

    ``str(err)`` is the one line the CLI prints after ``error:``.
    """

    exit_code = 2


class SpecError(TracerError):
    """A problem spec that cannot be used; ``where`` names the field path."""

    def __init__(self, where: str, message: str):
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)

    def __reduce__(self):  # rebuilt from its two parts, so it crosses to and from a worker (tracer.pool)
        return type(self), (self.where, self.message), self.__dict__


class TemplateNotFound(TracerError):
    """No template of that name in any of the searched places."""


class MissingDependency(TracerError):
    """An optional package a format needs is not installed (latex2mathml for HTML); a
    notebook's rich display falls back to another format on it."""
