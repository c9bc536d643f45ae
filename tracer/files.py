"""Reading and writing files without losing anything.

Reads: only regular files, never more than a cap, and never blocking on a FIFO or
a device (`/dev/zero` as a spec is refused, not read until memory runs out).

Writes: every output goes to a temporary file beside its target and is renamed
into place only when complete (pip's `adjacent_tmp_file`), so a failure half-way
leaves the old file whole. An output that is one of the command's inputs, or
resolves to one, is refused before anything runs; so is an output that is a
symbolic link, which would write somewhere else than the path says.
"""

from __future__ import annotations

import os
import signal
import stat
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .errors import TracerError


class FileError(TracerError):
    """A file that cannot be read or written as asked; str() names it."""


def read_limited(path: str | Path, max_bytes: int) -> bytes:
    """At most `max_bytes` of a regular file, the cap applied while reading.

    Raises FileError without the path (callers name the file in their own words).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as err:
        raise FileError(f"cannot read: {err.strerror or err}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileError("not a regular file")
        if info.st_size > max_bytes:
            raise FileError(f"file is {info.st_size} bytes, more than the {max_bytes}-byte limit")
        chunks, size = [], 0
        while size <= max_bytes:  # the file may grow while we read
            chunk = os.read(fd, max_bytes + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as err:
        raise FileError(f"cannot read: {err.strerror or err}") from None
    finally:
        os.close(fd)
    if size > max_bytes:
        raise FileError(f"file is more than the {max_bytes}-byte limit")
    return b"".join(chunks)


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def check_output(path: str | Path, inputs: Iterable[str | Path] = (), what: str = "output") -> Path:
    """Refuse an output path that is a symlink, a folder, or (resolves to) one of `inputs`."""
    out = Path(path)
    if out.is_symlink():
        raise FileError(f"{out}: the {what} is a symbolic link; refusing to write through it")
    if out.is_dir():
        raise FileError(f"{out}: the {what} is a folder, not a file")
    for given in inputs:
        if given is not None and _same_file(out, Path(given)):
            raise FileError(f"{out}: the {what} is also an input ({given}); refusing to overwrite it")
    return out


@contextmanager
def atomic_open(path: str | Path, *, newline: str | None = None, binary: bool = False) -> Iterator:
    """A text file (UTF-8), or with `binary` a byte file, that replaces `path` only when the
    block ends without error."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    held = _HeldInterrupt()
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        held.release()
        raise FileError(f"{target}: cannot write: {err.strerror or err}") from None
    try:
        held.release()  # a Ctrl-C during mkstemp is raised here, where the temporary file is removed
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline=newline)) as fh:
            yield fh
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file what open() would
        os.replace(tmp, target)
    except BaseException as err:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(err, UnicodeEncodeError):
            raise FileError(f"{target}: cannot write: the text has a character UTF-8 cannot carry "
                            f"({err.object[err.start:err.end]!a})") from None
        if isinstance(err, OSError):
            raise FileError(f"{target}: cannot write: {err.strerror or err}") from None
        raise


class _HeldInterrupt:
    """Ctrl-C held from here to `release()`: between mkstemp creating the temporary file and the
    `try` that removes it there is no line to catch it on (a batch that writes thousands of files,
    as `variants --jobs` does, is interrupted there sooner or later). Main thread only."""

    def __init__(self):
        self.previous, self.caught = None, None
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not None:  # None: a handler not set from Python, which cannot be put back
                self.previous = previous
                signal.signal(signal.SIGINT, self._hold)

    def _hold(self, signum, frame):
        self.caught = (signum, frame)

    def release(self) -> None:
        previous, self.previous = self.previous, None
        if previous is None:
            return
        signal.signal(signal.SIGINT, previous)
        if self.caught is not None:
            if callable(previous):
                previous(*self.caught)  # Python's default handler raises KeyboardInterrupt
            elif previous == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGINT)


def write_text(path: str | Path, text: str, inputs: Iterable[str | Path] = ()) -> None:
    """Write `text` to `path` atomically, after `check_output`."""
    target = check_output(path, inputs)
    with atomic_open(target) as fh:
        fh.write(text)


def write_pieces(path: str | Path, pieces: Iterable[bytes], inputs: Iterable[str | Path] = ()) -> None:
    """Write the byte strings `pieces`, one after another, to `path` atomically, after `check_output`."""
    target = check_output(path, inputs)
    with atomic_open(target, binary=True) as fh:
        fh.writelines(pieces)


def write_bytes(path: str | Path, data: bytes, inputs: Iterable[str | Path] = ()) -> None:
    """Write `data` (a PDF) to `path` atomically, after `check_output`."""
    target = check_output(path, inputs)
    with atomic_open(target, binary=True) as fh:
        fh.write(data)


class OutputFolder:
    """A folder many files are written into, none through a link, none replaced unasked."""

    def __init__(self, folder: str | Path, force: bool = False, inputs: Iterable[str | Path] = ()):
        self.path = Path(folder)
        self.force = force
        self.inputs = [Path(p) for p in inputs if p is not None]
        if self.path.is_symlink():
            raise FileError(f"{self.path}: the output folder is a symbolic link; refusing to write through it")
        if self.path.exists() and not self.path.is_dir():
            raise FileError(f"{self.path}: exists and is not a folder")

    def check(self, names: Iterable[str]) -> None:
        """Before writing anything: refuse links, inputs and (without force) existing files."""
        clashes, links = [], []
        for name in names:
            target = self.path / name
            if target.is_symlink():
                links.append(name)
            elif target.exists():
                if any(_same_file(target, p) for p in self.inputs):
                    raise FileError(f"{target}: would overwrite an input of this command")
                if target.is_dir():
                    raise FileError(f"{target}: is a folder, where a file is to be written")
                clashes.append(name)
        if links:
            raise FileError(f"{self.path}: symbolic links where files are to be written, refusing to "
                            f"follow them: {_first(links)}")
        if clashes and not self.force:
            raise FileError(f"{self.path}: would replace existing files ({_first(clashes)}); "
                            "pass --force to replace them, or write to an empty folder")

    def create(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise FileError(f"{self.path}: cannot create the folder: {err.strerror or err}") from None

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        if target.is_symlink():  # planted after check(): still never followed
            raise FileError(f"{target}: is a symbolic link; refusing to write through it")
        with atomic_open(target) as fh:
            fh.write(text)
        return target

    def write_bytes(self, name: str, data: bytes) -> Path:
        """A binary file (a PDF), by the same rules as `write`."""
        target = self.path / name
        if target.is_symlink():
            raise FileError(f"{target}: is a symbolic link; refusing to write through it")
        write_bytes(target, data)
        return target


def _first(names: list[str], n: int = 5) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")
