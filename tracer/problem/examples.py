"""The built-in examples: the `examples/` folder (in the wheel: `tracer/examples`)."""

from __future__ import annotations

from pathlib import Path

from ..errors import TracerError

_HERE = Path(__file__).resolve().parent.parent  # the tracer package (its wheel carries the folder)


def examples_dir() -> Path:
    for candidate in (_HERE / "examples", _HERE.parent / "examples"):
        if candidate.is_dir():
            return candidate
    raise TracerError(f"built-in examples not found (searched {_HERE / 'examples'}, {_HERE.parent / 'examples'})")


def _files() -> dict[str, Path]:
    folder = examples_dir()
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix in (".yaml", ".yml", ".json")}


def example_path(name: str) -> Path:
    files = _files()
    if name not in files:
        raise TracerError(f"--example: no built-in example {name!r}; available: {', '.join(files)}")
    return files[name]


def list_examples() -> list[tuple[str, str]]:
    """(name, one-line description), read from each file's `description`."""
    from .spec_cache import load_file

    out = []
    for name, path in _files().items():
        spec = load_file(path)
        text = (spec.get("description") or spec.get("title", "")) if isinstance(spec, dict) else ""
        out.append((name, " ".join(str(text).split())))
    return out
