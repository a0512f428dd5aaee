"""Writing files so that nothing is lost: all of the new content, or the old file untouched."""

from __future__ import annotations

import errno
import os
import secrets
import stat
from pathlib import Path
from typing import BinaryIO, Callable, Union

PathLike = Union[str, os.PathLike]

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words ("a FIFO (named pipe)", "a character
    device", …), from its ``st_mode``: for the errors of writers and of readers alike."""
    return next((k for test, k in _KINDS if test(mode)), "not a regular file")


def writable_target(path: object, who: str) -> Path:
    """``path`` checked as a place to write one file, before any work: a str or os.PathLike
    (TypeError), its directory exists (FileNotFoundError), it is not a directory
    (IsADirectoryError), nor a FIFO, device or socket (:func:`check_writable`); every error
    names ``who``.  Returns it as a Path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{who}: path must be a str or os.PathLike, got {type(path).__name__} {path!r}")
    target = Path(path)
    if not target.parent.is_dir():
        raise FileNotFoundError(f"{who}: the directory {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise IsADirectoryError(f"{who}: path {str(target)!r} is a directory; give a file name")
    check_writable(target, who)  # a FIFO or device node is refused, not replaced
    return target


def check_writable(path: PathLike, who: str = "atomic_write") -> None:
    """Refuse ``path`` as a place to write a file if something other than a regular file (or a
    symlink to one) is already there: renaming over a FIFO or a device node would destroy it
    (run as root, ``/dev/full`` would become a JSON file).  A ``ValueError`` naming ``who``
    (a directory: ``IsADirectoryError``); callers run it before any work, so that a long
    computation is not lost to a bad name."""
    try:
        st = os.stat(path)  # follows a symlink: a link to /dev/null is refused as /dev/null is
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there (or a dangling link, which os.replace replaces, not its target)
    except OSError as e:
        raise ValueError(f"{who}: cannot write {os.fspath(path)!r} ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{who}: is a directory; give a file name",
                                os.fspath(path))
    if not stat.S_ISREG(st.st_mode):
        raise ValueError(f"{who}: {os.fspath(path)!r} is {file_kind(st.st_mode)}, not a regular file; "
                         f"nothing was written (replacing it would destroy it)")


def atomic_write(path: PathLike, write: Callable[[BinaryIO], object], who: str = "atomic_write") -> None:
    """Call ``write(f)`` on a temporary binary file next to ``path``, then ``os.replace`` it onto
    ``path``: readers see the old file or the whole new one, never a part.  The temporary file
    is removed if anything fails.  It is created with ``O_EXCL`` (it never clobbers another
    file) and the permissions ``path`` would have after an in-place write: an existing file's
    own mode (re-saving a 0o600 file keeps it private), else 0o666 less the umask, as ``open``
    would give (``mkstemp`` would give 0o600).  Anything at ``path`` that is not a regular
    file is refused first (:func:`check_writable`), before ``write`` runs."""
    check_writable(path, who)
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
