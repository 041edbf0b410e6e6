"""The terminal's files: what the chat hands over (an export, a chart) is written into a folder
of the person's own, readable by them only, and deleted with everything else by ``/forget``."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from bot.ports.store import UserKey
from bot.pseudonyms import digest
from dialogs.model import Attachment

FILE_MODE, FOLDER_MODE = 0o600, 0o700

__all__ = ["files_of", "forget_files", "make_private_folder", "save_attachment"]


def save_attachment(attachment: Attachment, directory: Path) -> Path:
    """Write ``attachment`` as ``directory/<its file name>`` and return that path: the file
    the person is told about is the file written. A file of the same name there (their previous
    chart or export) is replaced, so the latest one is what stays, not a pile of copies.

    The folder is created 0700 and the file 0600 (readable by the person only). The new file
    is written beside the old one (``O_CREAT | O_EXCL | O_NOFOLLOW``: never through a link
    someone put there) and then renamed over it in one step."""
    make_private_folder(directory)
    name = Path(attachment.filename).name or "threshold-file"
    target = directory / name
    partial = directory / f".{name}.{os.getpid()}.part"
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(attachment.data)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return target


def make_private_folder(directory: Path) -> None:
    """Create ``directory`` (and missing parents) readable by its owner only; refuse a link."""
    missing = [directory, *directory.parents]
    for folder in reversed(missing):
        if folder.is_symlink() and folder in (directory, directory.parent):
            raise OSError(f"{folder} is a symbolic link; not writing through it")
        if not folder.exists():
            folder.mkdir(mode=FOLDER_MODE)


def files_of(exports: Path, key: UserKey) -> Path:
    """The folder that holds the files written for ``key``: named by their keyed pseudonym, so
    the name gives away no account, and ``/forget`` knows what to delete."""
    return exports / digest(key.platform, key.user_id)


def forget_files(folder: Path) -> int:
    """Delete the person's folder of files (their exports and charts); how many files went."""
    if folder.is_symlink() or not folder.is_dir():
        return 0
    removed = 0
    for entry in folder.iterdir():
        if entry.is_file() or entry.is_symlink():
            entry.unlink()
            removed += 1
    folder.rmdir()
    return removed
