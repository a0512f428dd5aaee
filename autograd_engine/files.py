"""Writing files so that nothing is lost: all of the new content, or the old file untouched."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Callable, Union

PathLike = Union[str, os.PathLike]


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(f)`` on a temporary binary file next to ``path``, then ``os.replace`` it onto
    ``path``: readers see the old file or the whole new one, never a part.  The temporary file
    is removed if anything fails.  It is created with mode 0o666 less the umask, as ``open``
    would (``mkstemp`` would give 0o600), and ``O_EXCL`` so it never clobbers another file."""
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
