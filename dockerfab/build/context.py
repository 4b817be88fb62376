"""DockerContext: the build context tarball sent to the Docker API (spec 3.4).

The tarball is written to a temporary file (removed when the ``with`` block ends), compressed
with gzip, bzip2 or not at all. Directories are added the way ``docker build`` sends them:
the ``.dockerignore`` at the root of an added directory leaves matching entries out.
"""
from __future__ import annotations

import io
import os
import posixpath
import shutil
import tarfile
import tempfile
import time
from collections.abc import Callable
from typing import IO

from dockerfab.build.dockerfile import DockerFile
from dockerfab.build.dockerignore import IgnoreMatcher
from dockerfab.errors import BuildError

#: compression argument -> (tarfile write mode, stream_encoding, file suffix)
_COMPRESSION: dict[str | None, tuple[str, str | None, str]] = {
    "gzip": ("w:gz", "gzip", ".tar.gz"),
    "gz": ("w:gz", "gzip", ".tar.gz"),
    "bzip2": ("w:bz2", "bzip2", ".tar.bz2"),
    "bz2": ("w:bz2", "bzip2", ".tar.bz2"),
    None: ("w", None, ".tar"),
    "": ("w", None, ".tar"),
}

TarFilter = Callable[[tarfile.TarInfo], "tarfile.TarInfo | None"]


def context_path(arcname: str) -> str:
    """``arcname`` as a path inside the context; BuildError when it leaves it (``..``), as
    a tar member named so would point the daemon outside the context it was given."""
    normal = posixpath.normpath(arcname.replace(os.sep, "/").lstrip("/"))
    if normal == ".." or normal.startswith("../"):
        raise BuildError(f"context path {arcname!r} leaves the build context ('..')")
    return normal


def _open_archive(archive: str | os.PathLike[str] | IO[bytes]) -> tarfile.TarFile:
    """Open a tar archive (any compression) given by path or file object, for reading."""
    if isinstance(archive, (str, os.PathLike)):
        return tarfile.open(archive, "r:*")
    return tarfile.open(fileobj=archive, mode="r:*")


class DockerContext:
    """A build context tarball; ``with DockerContext(dockerfile) as ctx: ...``.

    ``dockerfile_or_path``: a :class:`DockerFile` (finalized, written as ``Dockerfile``, and
    every file it lists added), a path to a Dockerfile (added as ``Dockerfile``), a directory
    (its contents become the context root, honouring its ``.dockerignore``), or None.
    ``compression``: ``'gzip'`` (default), ``'bzip2'`` or None. ``encoding`` is used for the
    text of a DockerFile. ``finalize=True`` closes the tarball right away.
    """

    def __init__(self, dockerfile_or_path: DockerFile | str | os.PathLike[str] | None = None,
                 compression: str | None = "gzip", encoding: str = "utf-8",
                 finalize: bool = False) -> None:
        try:
            mode, self._stream_encoding, suffix = _COMPRESSION[compression]
        except KeyError:
            raise ValueError(f"unknown compression {compression!r}; "
                             "use 'gzip', 'bzip2' or None") from None
        self.encoding = encoding
        fd, self._name = tempfile.mkstemp(prefix="dockerfab-context-", suffix=suffix)
        self._fileobj: IO[bytes] | None = os.fdopen(fd, "w+b")
        # the tarball stays open until finalize(); mode is one of _COMPRESSION's literals
        self._tar: tarfile.TarFile | None = tarfile.open(  # noqa: SIM115
            fileobj=self._fileobj, mode=mode)  # type: ignore[call-overload]
        self._finalized = False
        try:
            if isinstance(dockerfile_or_path, DockerFile):
                self.add_dockerfile(dockerfile_or_path)
                for item in dockerfile_or_path.files:
                    if item.archive:
                        self.addarchive(item.source)
                    else:  # the file the user named, even if it is a symlink
                        self.add(os.path.realpath(item.source), item.arcname)
            elif dockerfile_or_path is not None:
                path = os.fspath(dockerfile_or_path)
                if os.path.isdir(path):
                    self.add(path, ".")
                else:
                    self.add_dockerfile(path)
            if finalize:
                self.finalize()
        except BaseException:
            self.close()
            raise

    # --- context manager and state ---------------------------------------------------------

    def __enter__(self) -> DockerContext:  # noqa: PYI034 - not subclassed for this
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the tarball and remove the temporary file."""
        self._close_tar()
        if os.path.exists(self._name):
            os.unlink(self._name)

    def _close_tar(self) -> None:
        if self._tar is not None:
            self._tar.close()
            self._tar = None
        if self._fileobj is not None:
            self._fileobj.close()
            self._fileobj = None

    @property
    def name(self) -> str:
        """Path of the temporary tarball."""
        return self._name

    @property
    def stream_encoding(self) -> str | None:
        """Compression to announce to the Docker API: ``'gzip'``, ``'bzip2'`` or None."""
        return self._stream_encoding

    @property
    def finalized(self) -> bool:
        """True once the tarball is closed and can be sent (no more changes)."""
        return self._finalized

    @property
    def tar(self) -> tarfile.TarFile:
        """The open :class:`tarfile.TarFile` being written (until finalize())."""
        if self._tar is None:
            raise BuildError("DockerContext is finalized; it cannot be changed any more")
        return self._tar

    # --- adding ----------------------------------------------------------------------------

    def add(self, name: str, arcname: str | None = None, recursive: bool = True,
            filter: TarFilter | None = None) -> None:
        """Like :meth:`tarfile.TarFile.add`; a directory is added without what the
        ``.dockerignore`` at its root excludes."""
        context_path(arcname if arcname is not None else name)
        tar = self.tar
        if not (recursive and os.path.isdir(name) and not os.path.islink(name)):
            tar.add(name, arcname, recursive=recursive, filter=filter)
            return
        root = name
        base = os.path.normpath(arcname if arcname is not None else name).lstrip("/")
        matcher = IgnoreMatcher.from_directory(root)

        def target(rel: str) -> str:
            return rel if base in ("", ".") else f"{base}/{rel}"

        if base not in ("", "."):
            tar.add(root, base, recursive=False, filter=filter)
        for dirpath, dirnames, filenames in os.walk(root):
            reldir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            prefix = "" if reldir == "." else reldir + "/"
            kept_dirs = []
            for dirname in sorted(dirnames):
                rel = prefix + dirname
                full = os.path.join(dirpath, dirname)
                if os.path.islink(full):
                    filenames.append(dirname)  # a symlink is stored as such, not followed
                    continue
                if matcher.excluded(rel):
                    if matcher.may_include_below(rel):
                        kept_dirs.append(dirname)
                    continue
                tar.add(full, target(rel), recursive=False, filter=filter)
                kept_dirs.append(dirname)
            dirnames[:] = kept_dirs
            for filename in sorted(filenames):
                rel = prefix + filename
                if not matcher.excluded(rel):
                    tar.add(os.path.join(dirpath, filename), target(rel), recursive=False,
                            filter=filter)

    def addfile(self, tarinfo: tarfile.TarInfo, fileobj: IO[bytes] | None = None) -> None:
        """Like :meth:`tarfile.TarFile.addfile` (a name leaving the context is refused)."""
        context_path(tarinfo.name)
        self.tar.addfile(tarinfo, fileobj)

    def gettarinfo(self, name: str | None = None, arcname: str | None = None,
                   fileobj: IO[bytes] | None = None) -> tarfile.TarInfo:
        """Like :meth:`tarfile.TarFile.gettarinfo`, for use with :meth:`addfile`."""
        return self.tar.gettarinfo(name, arcname, fileobj)

    #: The spelling used in the spec (3.4.2).
    gettaringo = gettarinfo

    def addarchive(self, archive: str | os.PathLike[str] | IO[bytes]) -> None:
        """Copy every member of a (compressed) tar archive, structure included, straight into
        the context (no temporary files)."""
        tar = self.tar
        with _open_archive(archive) as source:
            for member in source:
                context_path(member.name)
                if member.isreg():
                    tar.addfile(member, source.extractfile(member))
                else:
                    tar.addfile(member)

    def add_dockerfile(self, dockerfile: DockerFile | str | os.PathLike[str],
                       arcname: str = "Dockerfile") -> None:
        """Add the Dockerfile: a DockerFile's text (the DockerFile is finalized), or a file."""
        if isinstance(dockerfile, DockerFile):
            dockerfile.finalize()
            data = dockerfile.getvalue().encode(self.encoding)
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = int(time.time())
            info.mode = 0o644
            self.addfile(info, io.BytesIO(data))
        else:
            self.tar.add(os.fspath(dockerfile), arcname, recursive=False)

    # --- finishing -------------------------------------------------------------------------

    def finalize(self) -> None:
        """Close the tarball so it can be sent; no more files can be added. Runs once."""
        if self._finalized:
            return
        if self._tar is None:
            raise BuildError("DockerContext is closed")
        self._close_tar()
        self._finalized = True

    def open(self) -> IO[bytes]:
        """The finalized tarball opened for reading (finalizes first)."""
        self.finalize()
        return open(self._name, "rb")

    def save(self, name: str) -> None:
        """Copy the finalized tarball to ``name`` (finalizes first)."""
        self.finalize()
        shutil.copyfile(self._name, name)

    def getnames(self) -> list[str]:
        """Member names of the finalized tarball (finalizes first)."""
        with self.open() as f, tarfile.open(fileobj=f, mode="r:*") as tar:
            return tar.getnames()

    def __repr__(self) -> str:
        state = "finalized" if self._finalized else "open"
        return f"<DockerContext {self._name} {self._stream_encoding or 'uncompressed'} {state}>"


__all__ = ["DockerContext"]

