"""One exception family; the CLI turns it into `error: ...` and an exit code."""


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


class TemplateNotFound(TracerError):
    """No template of that name in any of the searched places."""
