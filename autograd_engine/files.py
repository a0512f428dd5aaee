"""Writing files so that nothing is lost: all of the new content, or the old file untouched."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Callable, Union

PathLike = Union[str, os.PathLike]


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(f)`` on a temporary binary file next to ``path``, then ``os.replace`` it onto
    ``path``: readers see the old file or the whole new one, never a part.  The temporary file
    is removed if anything fails.  It is created with ``O_EXCL`` (it never clobbers another
    file) and the permissions ``path`` would have after an in-place write: an existing file's
    own mode (re-saving a 0o600 file keeps it private), else 0o666 less the umask, as ``open``
    would give (``mkstemp`` would give 0o600)."""
    path = Path(path)
    try:
        keep = stat.S_IMODE(os.stat(path).st_mode)
    except (FileNotFoundError, NotADirectoryError):
        keep = None  # a new file
    tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if keep is None else 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            if keep is not None:  # not via os.open's mode, which the umask would strip bits from
                os.fchmod(f.fileno(), keep)
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
