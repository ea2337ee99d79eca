"""How fdmlearn saves and loads models: `.keras` files, written atomically.

Every saved object is one Keras model in a `.keras` archive (Keras' own
format: config plus weights by layer name, never by position), with one extra
entry, `fdmlearn.json`, holding the fdmlearn version, the kind of object
(`"Captioner"`, `"Calculator"`, ...) and the object's own JSON settings. So
`keras.saving.load_model` can open any fdmlearn file, and fdmlearn's loaders
can refuse a file of the wrong kind with a clear message.

Writes go to a temporary file in the target's folder, then `os.replace`: a
save that fails halfway leaves the previous file untouched.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fdmlearn.errors import LoadError

__all__ = ["atomic_write", "check_save_path", "read_keras", "write_keras"]

_ENTRY = "fdmlearn.json"


def check_save_path(path: Any, suffix: str = ".keras") -> Path:
    """`path` as a `Path` ending in `suffix`, whose folder exists."""
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    if p.suffix != suffix:
        raise ValueError(f"path must end in {suffix!r} (Keras' format), got {str(p)!r}")
    if p.is_dir():
        raise ValueError(f"path {str(p)!r} is a folder; give a file name ending in {suffix!r}")
    if not p.parent.is_dir():
        raise FileNotFoundError(f"cannot save to {str(p)!r}: folder {str(p.parent)!r} not found")
    return p


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` on a temporary file beside `path`, then move it into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def write_keras(path: Any, model: Any, kind: str, settings: dict[str, Any] | None = None) -> Path:
    """Save `model` to `path` as a `.keras` file tagged with `kind` and `settings`."""
    from fdmlearn import __version__

    p = check_save_path(path)
    meta = json.dumps({"fdmlearn_version": __version__, "kind": kind, "settings": settings or {}})

    def write(tmp: Path) -> None:
        with warnings.catch_warnings():
            # Keras' own weight writer calls np.array on its variables, which
            # NumPy 2 answers with a DeprecationWarning about `copy`: Keras'
            # business, and harmless; not something a learner should see.
            warnings.filterwarnings(
                "ignore", message=".*__array__ implementation", category=DeprecationWarning
            )
            model.save(tmp)
        with zipfile.ZipFile(tmp, "a") as archive:
            archive.writestr(_ENTRY, meta)

    return atomic_write(p, write)


def read_keras(path: Any, kind: str, *, compile: bool = False) -> tuple[Any, dict[str, Any]]:
    """Load a file written by `write_keras` with the same `kind`.

    Returns:
        `(model, settings)`.

    Raises:
        LoadError: If the path is missing, a folder, not a `.keras` archive,
            not written by fdmlearn, of another kind, or unreadable by Keras.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    p = Path(path)
    article = "an" if kind[0] in "AEIOU" else "a"
    if not p.exists():
        raise LoadError(f"cannot load {article} {kind} from {str(p)!r}: no such file")
    if p.is_dir():
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: it is a folder, expected a .keras file"
        )
    if not zipfile.is_zipfile(p):
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: not a .keras file (not a zip archive)"
        )
    try:
        with zipfile.ZipFile(p) as archive:
            meta = json.loads(archive.read(_ENTRY))
    except KeyError:
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: the archive was not saved by fdmlearn "
            f"(no {_ENTRY} inside)"
        ) from None
    except (zipfile.BadZipFile, ValueError, OSError) as err:
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: corrupt file ({err})"
        ) from None
    found = meta.get("kind") if isinstance(meta, dict) else None
    if found != kind:
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: it holds a {found or 'unknown object'}"
        )
    from fdmlearn._tf import keras

    try:
        model = keras.saving.load_model(p, compile=compile, safe_mode=True)
    except Exception as err:  # Keras, h5py and zipfile each raise their own types
        raise LoadError(
            f"cannot load {article} {kind} from {str(p)!r}: Keras could not read it "
            f"({type(err).__name__}: {str(err)[:200]})"
        ) from None
    return model, dict(meta.get("settings") or {})
