"""Shell command builders for Dockerfiles and hosts (spec 3.5).

Every function returns one shell command line as a string. Every argument that ends up in
the shell is quoted with :func:`shlex.quote`, so paths, names and URLs taken from variables
cannot break out of the command (``mkdir('/tmp/a b; rm -rf /')`` creates one odd directory).
The user and group commands produce the Debian ``adduser``/``addgroup`` syntax the spec
describes; the file commands are POSIX and work with GNU coreutils and busybox alike.
"""
from __future__ import annotations

import shlex
from collections.abc import Iterable

UserGroup = str | int | tuple | list
PathArg = str | list[str] | tuple[str, ...]

#: Shell used as the login shell of users created with ``no_login=True``.
NOLOGIN_SHELL = "/usr/sbin/nologin"


def quote(value: object) -> str:
    """One shell word: ``str(value)`` quoted where needed (``'a b'`` -> ``"'a b'"``)."""
    return shlex.quote(str(value))


def _cmd(*words: object) -> str:
    """Join words to a command line; ``None`` and ``False`` words are left out, the rest quoted."""
    return " ".join(quote(w) for w in words if w is not None and w is not False)


def _paths(paths: PathArg) -> list[str]:
    """A single path or a list of paths as a list (a string is one path, not characters)."""
    if isinstance(paths, str):
        return [paths]
    result = [str(p) for p in paths]
    if not result:
        raise ValueError("at least one path is required")
    return result


def join(*commands: str | None) -> str:
    """Chain command lines with ``&&``, skipping empty ones (for one ``RUN`` line)."""
    return " && ".join(c for c in commands if c)


# --- users and groups ----------------------------------------------------------------------

def get_user_group(user_group: UserGroup) -> str:
    """``user:group`` from a 2-tuple, a uid (``2000`` -> ``'2000:2000'``), ``'name'``
    (-> ``'name:name'``) or a string that already holds a colon (returned as is)."""
    if isinstance(user_group, (tuple, list)):
        if len(user_group) != 2:
            raise ValueError(f"user/group tuple needs exactly two elements, got {user_group!r}")
        return f"{user_group[0]}:{user_group[1]}"
    if isinstance(user_group, bool) or not isinstance(user_group, (int, str)):
        raise TypeError(f"invalid user/group: {user_group!r}")
    text = str(user_group)
    if not text:
        raise ValueError("empty user/group")
    return text if ":" in text else f"{text}:{text}"


def adduser(username: str, uid: int | str | None = None, system: bool = False,
            no_login: bool = True, no_password: bool = False, group: bool = False,
            gecos: str | None = None) -> str:
    """Debian ``adduser`` creating ``username`` (with ``uid`` if given).

    ``no_login`` skips the home directory, sets a no-login shell and implies ``no_password``;
    ``group`` creates a same-named group (``--group``, which Debian honours for system users;
    regular users get their own group by Debian's default anyway). Without a ``gecos`` an empty
    one is passed, so the command never prompts.
    """
    return _cmd(*_adduser_words(username, uid, system, no_login, no_password, group, gecos))


def _adduser_words(username: str, uid: int | str | None, system: bool, no_login: bool,
                   no_password: bool, group: bool, gecos: str | None,
                   ingroup: str | None = None) -> list[object]:
    """The words of an ``adduser`` command (``ingroup``: primary group that already exists)."""
    words: list[object] = ["adduser"]
    if system:
        words.append("--system")
    if group:
        words.append("--group")
    if uid is not None:
        words += ["--uid", uid]
    if ingroup is not None:
        words += ["--ingroup", ingroup]
    if no_login:
        words += ["--no-create-home", "--shell", NOLOGIN_SHELL]
    if no_login or no_password:
        words.append("--disabled-password")
    words += ["--gecos", "" if gecos is None else gecos, username]
    return words


def addgroup(groupname: str, gid: int | str | None = None, system: bool = False) -> str:
    """Debian ``addgroup`` creating ``groupname`` (with ``gid`` if given)."""
    return _cmd("addgroup", "--system" if system else None,
                *(("--gid", gid) if gid is not None else ()), groupname)


def assignuser(username: str, groupnames: Iterable[str]) -> str:
    """Add an existing user to existing groups (``usermod -a -G g1,g2 user``)."""
    names = [str(g) for g in groupnames]
    if not names:
        raise ValueError("assignuser needs at least one group")
    return _cmd("usermod", "-a", "-G", ",".join(names), username)


def addgroupuser(username: str, uid: int | str, groupnames: Iterable[str] | None = None,
                 system: bool = False, no_login: bool = True, no_password: bool = False,
                 gecos: str | None = None) -> str:
    """A group and a user, both named ``username`` with id ``uid``, the user in that group and,
    if ``groupnames`` are given, also in those (which must exist)."""
    user = _cmd(*_adduser_words(username, uid, system, no_login, no_password, False, gecos,
                                ingroup=username))
    groups = list(groupnames or ())
    return join(addgroup(username, uid, system), user,
                assignuser(username, groups) if groups else None)


# --- files and directories -----------------------------------------------------------------

def mkdir(path: str, create_parent: bool = True, check_if_exists: bool = False) -> str:
    """``mkdir [-p] path``; with ``check_if_exists`` wrapped in an ``if`` that skips an
    existing directory."""
    cmd = _cmd("mkdir", "-p" if create_parent else None, path)
    if check_if_exists:
        return f"if [ ! -d {quote(path)} ]; then {cmd}; fi"
    return cmd


def chmod(mode: str | int, path: PathArg, recursive: bool = True, *,
          end_options: bool = False) -> str:
    """``chmod [-R] mode path...``; ``mode`` in any notation ``chmod`` accepts (an int is
    written as octal, ``0o750`` -> ``750``). ``end_options`` puts ``--`` before the
    operands, so that a mode or path starting with ``-`` (from a map, say) is never read
    as an option."""
    text = format(mode, "o") if isinstance(mode, int) and not isinstance(mode, bool) else mode
    return _cmd("chmod", "-R" if recursive else None, "--" if end_options else None, text,
                *_paths(path))


def chown(user_group: UserGroup, path: PathArg, recursive: bool = True, *,
          end_options: bool = False) -> str:
    """``chown [-R] user:group path...`` (owner expanded by :func:`get_user_group`);
    ``end_options`` as for :func:`chmod`."""
    return _cmd("chown", "-R" if recursive else None, "--" if end_options else None,
                get_user_group(user_group), *_paths(path))


def rm(path: PathArg, recursive: bool = True, force: bool = False) -> str:
    """``rm [-r] [-f] path...`` (``-rf`` when both)."""
    flags = ("r" if recursive else "") + ("f" if force else "")
    return _cmd("rm", f"-{flags}" if flags else None, *_paths(path))


def mkdir_chown(paths: PathArg, user_group: UserGroup | None = None,
                permissions: str | int | None = "ug=rwX,o=rX", create_parent: bool = True,
                check_if_exists: bool = False, recursive: bool = False) -> str:
    """Create directories, then set owner and permissions on each, as one ``&&`` chain.

    ``user_group`` and ``permissions`` are skipped when None; ``chown``/``chmod`` are not
    recursive unless ``recursive=True``. With ``check_if_exists`` an existing directory is not
    created again, but still gets owner and permissions.
    """
    commands: list[str | None] = []
    for path in _paths(paths):
        commands.append(mkdir(path, create_parent, check_if_exists))
        if user_group is not None:
            commands.append(chown(user_group, path, recursive))
        if permissions is not None:
            commands.append(chmod(permissions, path, recursive))
    return join(*commands)


# --- downloads and archives ----------------------------------------------------------------

def curl(url: str, filename: str | None = None) -> str:
    """``curl url`` (to stdout), or ``curl -o filename url``."""
    if filename is None:
        return _cmd("curl", url)
    return _cmd("curl", "-o", filename, url)


def wget(url: str, filename: str | None = None) -> str:
    """``wget url`` (file name from the URL), or ``wget -O filename url``."""
    if filename is None:
        return _cmd("wget", url)
    return _cmd("wget", "-O", filename, url)


def targz(filename: str, source: PathArg) -> str:
    """``tar -czf filename source...``: pack files or directories into a gzip tarball."""
    return _cmd("tar", "-czf", filename, *_paths(source))


def untargz(filename: str, target_path: str | None = None) -> str:
    """``tar -xzf filename [-C target_path]``: unpack into the current or the given directory."""
    if target_path is None:
        return _cmd("tar", "-xzf", filename)
    return _cmd("tar", "-xzf", filename, "-C", target_path)


__all__ = [
    "addgroup",
    "addgroupuser",
    "adduser",
    "assignuser",
    "chmod",
    "chown",
    "curl",
    "get_user_group",
    "join",
    "mkdir",
    "mkdir_chown",
    "quote",
    "rm",
    "targz",
    "untargz",
    "wget",
]
