"""The work the tasks do on one open host, kept out of :mod:`dockerfab.tasks` so the tasks
stay thin: the engine client of a host, script upload/run/download, and the address list
of ``get-ip``. Planned map actions are in :mod:`dockerfab.fabric.planwork`, image
streaming in :mod:`dockerfab.fabric.transfer`."""
from __future__ import annotations

import io
import os
import posixpath
import shlex
import tarfile
from collections.abc import Callable, Sequence
from typing import Any

from dockerfab.errors import RemoteError
from dockerfab.fabric.clientconfig import FabricClientConfiguration
from dockerfab.fabric.run import HostSession

# --- map actions ---------------------------------------------------------------------------

def maps_for_host(maps: Sequence[Any], clients_here: set[str], from_cli: bool) -> list[Any]:
    """The maps as they apply to one host. A map naming clients keeps those that live on
    this host; if none does, it is deployed to the host itself when the host came from
    ``-H`` (``from_cli``) and left out otherwise. A map without clients goes to the default
    client: the ``-H`` host, or the local daemon when no client names a ``fabric_host``."""
    result = []
    for container_map in maps:
        named = [str(c) for c in container_map.clients or ()]
        keep = [c for c in named if c in clients_here]
        if named and not keep and not from_cli:
            continue
        if not named and not from_cli and clients_here:
            continue
        if keep != named:
            container_map = container_map.copy()
            container_map.clients = keep
        result.append(container_map)
    return result


def mapping_client(session: HostSession, maps: Sequence[Any]) -> Any:
    """A MappingDockerClient for this host: the host's own client as the default client,
    plus the client configurations that live on the host, all on its one connection."""
    from dockerfab.engine.client import MappingDockerClient
    from dockerfab.engine.execute import DEFAULT_CONCURRENCY

    clients: dict[str, FabricClientConfiguration] = dict(session.target.clients)
    from_cli = session.target.connection is not None or session.target.host is None
    settings = session.settings
    pool = session.pool  # the host's share of the run's threads (pipeline), for all reads
    return MappingDockerClient(maps_for_host(maps, set(clients), from_cli), session.client,
                               clients=clients, docker_clients=session.docker_clients(),
                               concurrency=min(DEFAULT_CONCURRENCY, pool.workers),
                               observe_concurrency=pool.workers, pool=pool,
                               listener=session.reporter.listener(session.label),
                               wait=settings.wait, readiness=settings.readiness,
                               health_timeout=settings.health_timeout)


# --- scripts -------------------------------------------------------------------------------

#: the uploaded script's directory inside the private temporary directory on the host
_WORK = "work"


def upload(session: HostSession, local_path: str) -> tuple[str, str]:
    """Copy a local script file or directory to the host, into ``work/`` of a new private
    temporary directory (``mktemp -d``: mode 0700, so no other local user of the host can
    reach, swap or add files; the container reaches ``work/`` through its bind mount, and
    ``work/`` itself is writable for a non-root container user to leave results).

    The files travel as a tar stream on the command's stdin (no archive file on the host)
    and are extracted without the archive's owners and modes (``--no-same-owner
    --no-same-permissions``, set-id bits removed), so a file cannot arrive setuid or owned
    by someone else. Returns (remote temporary directory, path of the script in it)."""
    local_path = os.path.abspath(local_path)
    if not os.path.exists(local_path):
        raise RemoteError(f"no such file or directory: {local_path}", host=session.label,
                          action="upload")
    base = os.path.basename(local_path.rstrip("/"))
    if session.connection is None:  # local daemon: the file is already on the host
        return "", local_path
    shell = session.client.shell
    assert shell is not None
    remote_dir = shell.run("mktemp -d /tmp/dockerfab-script.XXXXXXXX").strip()
    work = posixpath.join(remote_dir, _WORK)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(local_path, arcname=base, filter=_plain_member)
    quoted = shlex.quote(work)
    command = (f"mkdir -m 777 -- {quoted} && "
               f"tar --no-same-owner --no-same-permissions -xf - -C {quoted} && "
               f"chmod -R ug-s -- {quoted}")
    if os.path.isdir(local_path):  # the script's own directory takes results as well
        command += f" && chmod 777 -- {shlex.quote(posixpath.join(work, base))}"
    shell.run_bytes(command, stdin=buffer.getvalue())
    return remote_dir, posixpath.join(work, base)


def _plain_member(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """Regular files, directories and symbolic links only (no devices, FIFOs, hard links)."""
    if info.isfile() or info.isdir() or info.issym():
        return info
    return None


def download(session: HostSession, remote_dir: str, local_dir: str) -> str:
    """Fetch the host's script directory (results written by the script) into
    ``local_dir/<host>``; returns that local path. From a remote host the directory comes
    back as a tar stream on stdout (nothing is written on the host)."""
    target = os.path.join(os.path.abspath(local_dir), session.label)
    os.makedirs(target, exist_ok=True)
    if session.connection is None:
        source = remote_dir
        with tarfile.open(fileobj=_tar_local(source), mode="r") as tar:
            tar.extractall(target, filter="data")
        return target
    shell = session.client.shell
    assert shell is not None
    work = posixpath.join(remote_dir, _WORK)
    data = shell.run_bytes(f"tar -cf - -C {shlex.quote(work)} .")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(target, filter="data")
    return target


def _tar_local(path: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        tar.add(path, arcname=".")
    buffer.seek(0)
    return buffer


def script_action(maps: Sequence[Any], name: str, instance: str | None, local_script: str | None,
                  options: dict[str, Any], download_to: str | None
                  ) -> Callable[[HostSession], tuple[int | None, Any]]:
    """Work for ``script``/``single-cmd``: upload, run_script, download, clean up."""
    def work(session: HostSession) -> tuple[int | None, Any]:
        remote_dir = ""
        kwargs = {k: v for k, v in options.items() if v is not None}
        try:
            if local_script:
                remote_dir, kwargs["script_path"] = upload(session, local_script)
            client = mapping_client(session, maps)
            if instance:
                kwargs["instance"] = instance
            result = client.run_script(name, **kwargs)
            if download_to and (remote_dir or local_script):
                where = download(session, remote_dir or os.path.dirname(
                    os.path.abspath(local_script or ".")), download_to)
                session.reporter.message(session.label, f"results downloaded to {where}")
        finally:
            if remote_dir:
                session.client.run_cmd(f"rm -rf -- {shlex.quote(remote_dir)}")
        failed = []
        for client_name, outcome in (result or {}).items():
            show_script_result(session, client_name, outcome)
            code = outcome.get("exit_code") if isinstance(outcome, dict) else None
            if code or (isinstance(outcome, dict) and outcome.get("error")):
                failed.append(f"{client_name}: " + (f"exit status {code}" if code else
                                                    str(outcome.get("error"))))
        if failed:
            raise RemoteError("script failed (" + "; ".join(failed) + ")", host=session.label)
        return None, result
    return work


def show_script_result(session: HostSession, client_name: str, outcome: Any) -> None:
    """Report one client's ``run_script`` outcome: exit code and log, or the error."""
    if not isinstance(outcome, dict):
        session.reporter.data(session.label, f"{client_name} result", outcome)
        return
    if outcome.get("error"):
        session.reporter.message(session.label, f"{client_name}: container "
                                 f"{outcome.get('id')} still running: {outcome['error']}")
        return
    log = outcome.get("log")
    if isinstance(log, bytes):
        log = log.decode("utf-8", "replace")
    session.reporter.data(session.label, f"{client_name} exit code {outcome.get('exit_code')}",
                          (log or "").rstrip("\n"))


# --- addresses -----------------------------------------------------------------------------

def parse_ip_addr(output: str) -> list[tuple[str, str, str]]:
    """``ip -o addr`` lines -> ``[(interface, family, address)]`` (prefix length dropped)."""
    found = []
    for line in output.splitlines():
        words = line.split()
        if len(words) < 4 or words[2] not in ("inet", "inet6"):
            continue
        found.append((words[1].rstrip(":").split("@")[0], words[2], words[3].split("/")[0]))
    return found


def get_ip(session: HostSession, interface: str | None, ipv6: bool) -> list[tuple[str, str]]:
    """Addresses of the host's interfaces (one interface, or all), via ``ip -o addr``."""
    family = "-6" if ipv6 else "-4"
    command = f"ip -o {family} addr show"
    if interface:
        command += f" dev {shlex.quote(interface)}"
    rows = parse_ip_addr(session.client.run_cmd(command))
    return [(name, address) for name, _, address in rows]
