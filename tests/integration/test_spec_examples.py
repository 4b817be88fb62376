"""The code examples of spec chapters 3.2-3.5, 3.7, 3.8.3, 3.9 and 3.10.3 run as written
(``dockermap*`` read as ``dockerfab``) and do what the text says, on a real daemon.

Substitutions the environment forces, and only those:

* No registry: ``ubuntu`` is :data:`UBUNTU`, built here from ``dockerfab-test/base:latest`` with
  an empty user database and Debian-style stand-ins for ``apt-get``, ``adduser``,
  ``addgroup``, ``usermod`` and ``/bin/bash`` (busybox has none of them); ``nginx`` is the
  bed's ``registry.example.com/nginx`` stand-in (``app`` exists under that name too); Redis and
  PostgreSQL are :data:`DB`, a busybox server speaking a line protocol on a FIFO in a shared
  volume, with ``redis-cli`` and ``pg_restore`` stand-ins that talk to it.
* The daemon is shared: map and image names carry a unique ``t_spec_`` prefix, host paths
  (``/var/lib/site``, ``/tmp/test_path``, ...) live under pytest's ``tmp_path``, published
  ports are free ports instead of 80/443, and interface addresses are 127.0.0.1.
* ``cleanup_containers()`` (3.2.3) removes every stopped container of a daemon: it runs on the
  test bed's host bed3, never on the shared local daemon.

``unix://var/run/docker.sock`` is used exactly as the spec writes it.
"""
from __future__ import annotations

import os
import socket
import stat
import textwrap
import uuid
from collections import namedtuple
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from dockerfab import (
    ClientConfiguration,
    ContainerMap,
    DockerClientWrapper,
    DockerContext,
    DockerFile,
    MappingDockerClient,
    NetworkConfiguration,
    yaml,
)
from dockerfab.map.input import ExecPolicy
from dockerfab.shortcuts import addgroup, addgroupuser, mkdir_chown
from tests.bed import Bed
from tests.integration.test_engine_support import Cleanup

SPEC_URL = "unix://var/run/docker.sock"  # as the spec writes it (two slashes)
RUN = uuid.uuid4().hex[:6]
PREFIX = f"t_spec_{RUN}"
UBUNTU = f"{PREFIX}/ubuntu:latest"
DB = f"{PREFIX}/db:latest"
NGINX = "registry.example.com/nginx"
APP = "registry.example.com/app"

STANDINS = {
    # records what it was asked to do
    "/usr/bin/apt-get": """
        mkdir -p /var/log && echo "apt-get $*" >> /var/log/apt-calls
        """,
    # Debian's addgroup [--system] [--gid GID] NAME
    "/usr/sbin/addgroup": """
        gid=; name=
        while [ $# -gt 0 ]; do case "$1" in
          --gid) gid=$2; shift 2;; --system) shift;;
          --*) echo "addgroup: unknown option $1" >&2; exit 2;; *) name=$1; shift;; esac; done
        if grep -q "^$name:" /etc/group; then echo "group $name exists" >&2; exit 1; fi
        echo "$name:x:$gid:" >> /etc/group
        """,
    # Debian's adduser with the options dockerfab.shortcuts uses
    "/usr/sbin/adduser": """
        uid=; gid=; shell=/bin/sh; gecos=; name=; nohome=
        while [ $# -gt 0 ]; do case "$1" in
          --uid) uid=$2; shift 2;;
          --ingroup) gid=$(grep "^$2:" /etc/group | cut -d: -f3); [ -n "$gid" ] || exit 1
                     shift 2;;
          --shell) shell=$2; shift 2;; --gecos) gecos=$2; shift 2;;
          --no-create-home) nohome=1; shift;;
          --system|--group|--disabled-password|--disabled-login) shift;;
          --*) echo "adduser: unknown option $1" >&2; exit 2;; *) name=$1; shift;; esac; done
        [ -n "$name" ] || exit 2
        if grep -q "^$name:" /etc/passwd; then echo "user $name exists" >&2; exit 1; fi
        echo "$name:x:$uid:${gid:-$uid}:$gecos:/home/$name:$shell" >> /etc/passwd
        [ -n "$nohome" ] || mkdir -p "/home/$name"
        """,
    # usermod -a -G GROUP[,GROUP] USER
    "/usr/sbin/usermod": """
        [ "$1" = -a ] && [ "$2" = -G ] || exit 2
        for g in $(echo "$3" | tr , ' '); do
          grep -q "^$g:" /etc/group || { echo "usermod: group $g does not exist" >&2; exit 6; }
          sed -i -e "/^$g:/ s/\\$/,$4/" -e "/^$g:/ s/:,/:/" /etc/group
        done
        """,
    "/bin/bash": """
        exec /bin/sh "$@"
        """,
}

DB_SCRIPTS = {
    # the server: creates its socket (a FIFO) and answers one request per connection
    "/usr/local/bin/fifo-db": """
        sock=$1; data=/var/lib/db
        mkdir -p "$(dirname "$sock")" $data
        rm -f "$sock"; mkfifo -m 666 "$sock"
        printf 'key1 value1\\nkey2 value2\\n' > $data/cache
        echo "ready on $sock"
        trap 'exit 0' TERM INT
        while :; do
          cat "$sock" > /tmp/request & wait $!
          read -r cmd db < /tmp/request
          case "$cmd" in
            flushdb) : > $data/cache; echo "flushdb: $(wc -l < $data/cache) keys left";;
            RESTORE) tail -n +2 /tmp/request > "$data/$db"
                     echo "restored $db: $(tr '\\n' ' ' < "$data/$db")";;
            *) echo "unknown command: $cmd";;
          esac
        done
        """,
    "/usr/local/bin/redis-cli": """
        [ "$1" = -s ] || { echo "usage: redis-cli -s SOCKET COMMAND" >&2; exit 2; }
        sock=$2; shift 2
        i=0; while [ ! -p "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        [ -p "$sock" ] || { echo "Could not connect to Redis at $sock" >&2; exit 1; }
        echo "$*" > "$sock" && echo OK
        """,
    "/usr/local/bin/pg_restore": """
        while [ $# -gt 0 ]; do case "$1" in
          -h) sock=$2; shift 2;; -d) db=$2; shift 2;; *) file=$1; shift;; esac; done
        i=0; while [ ! -p "$sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
        [ -p "$sock" ] || { echo "pg_restore: could not connect to $sock" >&2; exit 1; }
        [ -r "$file" ] || { echo "pg_restore: could not open input file $file" >&2; exit 1; }
        { echo "RESTORE $db"; cat "$file"; } > "$sock"
        echo "restored $file into $db"
        """,
}


def write_scripts(directory: Path, scripts: dict[str, str]) -> dict[str, str]:
    """Write each script under ``directory``; returns image path -> local file."""
    files = {}
    for index, (target, body) in enumerate(scripts.items()):
        local = directory / f"script{index}"
        local.write_text("#!/bin/sh\n" + textwrap.dedent(body).lstrip("\n"))
        local.chmod(0o755)
        files[target] = str(local)
    return files


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class SpecCleanup(Cleanup):
    """Cleanup of the engine tests, with this module's ``t_spec_`` map names."""

    def name(self, tag: str) -> str:
        name = f"t_spec_{tag}_{uuid.uuid4().hex[:6]}"
        self.maps.append(name)
        return name


@pytest.fixture(name="cleanup")
def cleanup_fixture(docker_api: docker.APIClient) -> Iterator[SpecCleanup]:
    c = SpecCleanup(docker_api)
    yield c
    c.run()


def remove_prefixed_images(api: docker.APIClient) -> None:
    for _ in range(4):  # derived images first; the next pass gets their bases
        tags = [t for i in api.images() for t in i.get("RepoTags") or () if PREFIX in t]
        if not tags:
            return
        for tag in tags:
            try:
                api.remove_image(tag)
            except docker.errors.APIError:
                continue


@pytest.fixture(scope="module")
def images(docker_api: docker.APIClient, tmp_path_factory) -> Iterator[None]:
    """:data:`UBUNTU` and :data:`DB`, built with dockerfab itself."""
    present = {t for i in docker_api.images() for t in i.get("RepoTags") or ()}
    missing = {"dockerfab-test/base:latest", f"{NGINX}:latest", f"{APP}:latest",
               "busybox:latest"} - present
    assert not missing, f"test images missing (python -m tests.testbed up): {missing}"
    directory = tmp_path_factory.mktemp("standins")
    client = DockerClientWrapper(SPEC_URL)
    with DockerFile("dockerfab-test/base:latest") as df:
        for target, local in write_scripts(directory, STANDINS).items():
            df.add_file(local, target)
        # a fresh distribution's user database: root, and 'user' for 3.7 exec commands
        df.run("printf 'root:x:0:0:root:/root:/bin/sh\\nuser:x:1000:1000::/home/user:/bin/sh\\n'"
               " > /etc/passwd && printf 'root:x:0:\\nuser:x:1000:\\n' > /etc/group")
        assert client.build_from_file(df, UBUNTU, rm=True)
    db_dir = directory / "db"
    db_dir.mkdir()
    with DockerFile("dockerfab-test/base:latest") as df:
        for target, local in write_scripts(db_dir, DB_SCRIPTS).items():
            df.add_file(local, target)
        assert client.build_from_file(df, DB, rm=True)
    client.close()
    yield
    remove_prefixed_images(docker_api)


def run(api: docker.APIClient, image: str, command: list[str]) -> tuple[int, str]:
    """Run a container of ``image`` to its end: exit code and output."""
    container = api.create_container(image, command, name=f"{PREFIX}_run_{uuid.uuid4().hex[:6]}",
                                     host_config=api.create_host_config(network_mode="none"))
    try:
        api.start(container)
        code = api.wait(container, timeout=30)["StatusCode"]
        return code, api.logs(container).decode()
    finally:
        api.remove_container(container, force=True)


def mounts(api: docker.APIClient, name: str) -> dict[str, dict[str, Any]]:
    return {m["Destination"]: m for m in api.inspect_container(name)["Mounts"]}


def volume_stat(api: docker.APIClient, volume: str) -> str:
    container = api.create_container(
        "busybox:latest", ["stat", "-c", "%u %a", "/v"],
        host_config=api.create_host_config(binds=[f"{volume}:/v:ro"], network_mode="none"))
    try:
        api.start(container)
        api.wait(container, timeout=30)
        return api.logs(container).decode().strip()
    finally:
        api.remove_container(container, force=True)


def running(api: docker.APIClient, name: str) -> bool:
    return api.inspect_container(name)["State"]["Running"]


def created(results: list[Any], kind: str = "create") -> list[str]:
    return [r.item for r in results if r.kind == kind]


# --- 3.2 Getting started ---------------------------------------------------------------------

def test_3_2_1_simple_dockerfile(docker_api, images):
    new_base_image = f"{PREFIX}/new_base_image"

    client = DockerClientWrapper('unix://var/run/docker.sock')
    with DockerFile(UBUNTU) as df:
        df.run('apt-get update')
        df.run('apt-get -y upgrade')
        image_id = client.build_from_file(df, new_base_image, add_latest_tag=True, rm=True)

    assert image_id and image_id.startswith("sha256:")
    assert client.get_image_tags()[f"{new_base_image}:latest"] == image_id
    assert run(docker_api, new_base_image, ["cat", "/var/log/apt-calls"]) == (
        0, "apt-get update\napt-get -y upgrade\n")


def test_3_2_2_image_with_files(docker_api, images, tmp_path):
    myfiles = tmp_path / "home/user/myfiles"
    myfiles.mkdir(parents=True)
    (myfiles / "a.txt").write_text("content a\n")
    new_image = f"{PREFIX}/new_image"

    client = DockerClientWrapper('unix://var/run/docker.sock')
    with DockerFile(UBUNTU) as df:
        df.add_file(str(myfiles), '/var/lib/myfiles')
        client.build_from_file(df, new_image)

    assert run(docker_api, new_image, ["cat", "/var/lib/myfiles/a.txt"]) == (0, "content a\n")


def test_3_2_3_cleanup_containers_on_bed3(bed: Bed):
    """Removes all stopped containers; never started and running ones stay (bed3 only)."""
    url = bed.host("bed3").docker_url
    setup = DockerClientWrapper(url)
    names = {state: f"{PREFIX}_{state}" for state in ("stopped", "never_started", "running")}
    try:
        for state, name in names.items():
            setup.create_container("dockerfab-test/base:latest",
                                   None if state == "running" else ["true"], name=name)
            if state != "never_started":
                setup.start(name)
        setup.wait(names["stopped"], timeout=30)

        client = DockerClientWrapper(url)  # the spec: DockerClientWrapper('unix://var/run/docker.sock')
        client.cleanup_containers()

        present = setup.get_container_names()
        assert names["stopped"] not in present
        assert {names["never_started"], names["running"]} <= present
    finally:
        for name in names.values():
            try:
                setup.remove_container(name, force=True)
            except docker.errors.NotFound:
                pass
        setup.close()


def getting_started_map(name: str, root: Path, nginx_image: str) -> ContainerMap:
    """3.2.4 as written; only the map name, the images and /var/lib/site differ."""
    site = str(root / "var/lib/site")
    return ContainerMap(name, {
        'nginx': { # Configure container creation and startup
            'image': nginx_image,
            'binds': {'nginx_config': 'ro'},
            'uses': 'uwsgi_socket',
            'attaches': 'nginx_log',
            'exposes': {
                80: 80,
                443: 443,
            },
        },
        'uwsgi': {
            'image': APP,  # the spec leaves it out: an image named "uwsgi"
            'binds': (
                {'uwsgi_config': 'ro'},
                {'app_config': 'ro'},
                'app_data',
            ),
            'attaches': ('uwsgi_log', 'app_log', 'uwsgi_socket'),
            'user': 2000,
            'permissions': 'u=rwX,g=rX,o=',
        },
        'volumes': { # Configure volume paths inside containers
            'nginx_config': '/etc/nginx',
            'nginx_log': '/var/log/nginx',
            'uwsgi_config': '/etc/uwsgi',
            'uwsgi_socket': '/var/lib/uwsgi/socket',
            'uwsgi_log': '/var/log/uwsgi',
            'app_config': '/var/lib/app/config',
            'app_log': '/var/lib/app/log',
            'app_data': '/var/lib/app/data',
        },
        'host': { # Configure volume paths on the Docker host
            'nginx_config': f'{site}/config/nginx',
            'uwsgi_config': f'{site}/config/uwsgi',
            'app_config': f'{site}/config/app',
            'app_data': f'{site}/data/app',
        },
    })


def build_nginx(tag: str, version: str) -> str:
    """A fresh image id under ``tag`` (FROM the nginx stand-in), as after a pull."""
    client = DockerClientWrapper(SPEC_URL)
    with DockerFile(f"{NGINX}:latest") as df:
        df.labels = {"org.dockerfab.test.version": version}
        image_id = client.build_from_file(df, tag)
    client.close()
    assert image_id
    return image_id


def test_3_2_4_configuring_containers(docker_api, images, cleanup, tmp_path):
    name = cleanup.name("main")
    nginx_image = f"{PREFIX}/nginx"
    first_id = build_nginx(nginx_image, "1")
    container_map = getting_started_map(name, tmp_path, nginx_image)
    http, https = free_port(), free_port()
    container_map.containers.nginx.exposes = {80: http, 443: https}  # the daemon is shared

    map_client = MappingDockerClient(container_map, DockerClientWrapper('unix://var/run/docker.sock'))
    results = map_client.startup('nginx')

    # uwsgi is created and started before nginx
    assert created(results) == [f"{name}.uwsgi", f"{name}.nginx"]
    assert created(results, "start") == [f"{name}.uwsgi", f"{name}.nginx"]
    assert running(docker_api, f"{name}.uwsgi") and running(docker_api, f"{name}.nginx")
    # attached volumes prepared with the configured user and permissions
    for alias in ("uwsgi_log", "app_log", "uwsgi_socket"):
        assert volume_stat(docker_api, f"{name}.{alias}") == "2000 750", alias
    # nginx has uwsgi_socket, none of the other shared volumes
    nginx_mounts = mounts(docker_api, f"{name}.nginx")
    assert nginx_mounts["/var/lib/uwsgi/socket"]["Name"] == f"{name}.uwsgi_socket"
    assert nginx_mounts["/etc/nginx"]["RW"] is False
    assert not {"/var/log/uwsgi", "/var/lib/app/log", "/var/lib/app/data"} & set(nginx_mounts)
    assert docker_api.inspect_container(f"{name}.nginx")["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": str(http)}],
        "443/tcp": [{"HostIp": "", "HostPort": str(https)}]}

    # "If images become updated on the Docker host, running containers can easily use the
    # newer versions"
    uwsgi_id = docker_api.inspect_container(f"{name}.uwsgi")["Id"]
    second_id = build_nginx(nginx_image, "2")
    assert second_id != first_id
    map_client.update('nginx')
    nginx = docker_api.inspect_container(f"{name}.nginx")
    assert nginx["Image"] == second_id and nginx["State"]["Running"]
    assert docker_api.inspect_container(f"{name}.uwsgi")["Id"] == uwsgi_id  # unchanged


# --- 3.3 / 3.4 DockerFile and DockerContext ---------------------------------------------------

def test_3_3_dockerfile_build(docker_api, images, tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "my_file").write_text("only needed while building\n")
    new_image = f"{PREFIX}/dockerfile"

    client = DockerClientWrapper('unix://var/run/docker.sock')
    dockerfile = DockerFile(UBUNTU, maintainer='ME, me@example.com',
                            initial='RUN apt-get update\nRUN apt-get -y upgrade')
    # the spec's '~my_file' is a user named my_file; '~/my_file' is the documented intent
    dockerfile.add_file('~/my_file', '/new_dir/my_file', '/another_file', expanduser=True,
                        remove_final=True)
    dockerfile.run_all('cp /new_dir/my_file /copied', 'test -f /new_dir/my_file')
    dockerfile.command = ['cat', '/copied']
    image_id = client.build_from_file(dockerfile, new_image)

    assert image_id
    info = docker_api.inspect_image(image_id)
    assert info["Author"] == "ME, me@example.com"
    assert run(docker_api, new_image, []) == (0, "only needed while building\n")
    # remove_final: the file is gone from the final image
    assert run(docker_api, new_image, ["test", "-e", "/new_dir/my_file"])[0] == 1


def test_3_4_docker_context(docker_api, images, tmp_path):
    (tmp_path / "data.txt").write_text("from add_file\n")
    (tmp_path / "extra.txt").write_text("added to the context by hand\n")
    dockerfile = DockerFile(UBUNTU)
    dockerfile.add_file(str(tmp_path / "data.txt"), "/srv/data.txt")
    dockerfile.prefix("ADD", "extra.txt /srv/extra.txt")  # placed with add() below
    dockerfile.command = ["cat", "/srv/data.txt", "/srv/extra.txt"]
    client = DockerClientWrapper('unix://var/run/docker.sock')

    with DockerContext(dockerfile) as context:
        assert dockerfile.finalized  # the DockerFile cannot be modified further
        context.add(str(tmp_path / "extra.txt"), "extra.txt")
        context.finalize()
        assert context.stream_encoding == "gzip" and os.path.isfile(context.name)
        context.save(str(tmp_path / "saved.tar.gz"))
        image_id = client.build_from_context(context, f"{PREFIX}/context")
    assert not os.path.exists(context.name)  # the temporary file is removed after the block

    assert image_id
    assert run(docker_api, f"{PREFIX}/context", []) == (
        0, "from add_file\nadded to the context by hand\n")
    # the saved archive is the context that was sent
    import tarfile

    with tarfile.open(tmp_path / "saved.tar.gz", "r:gz") as tar:
        assert set(tar.getnames()) == {"Dockerfile", "srv/data.txt", "extra.txt"}


def test_3_4_context_from_path(docker_api, images, tmp_path):
    path_to_dockerfile = tmp_path / "Dockerfile"
    path_to_dockerfile.write_text(f"FROM {UBUNTU}\nADD extra.txt /srv/extra.txt\n"
                                  'CMD ["cat", "/srv/extra.txt"]\n')
    (tmp_path / "extra.txt").write_text("added by hand\n")
    client = DockerClientWrapper('unix://var/run/docker.sock')

    with DockerContext(str(path_to_dockerfile)) as context:
        context.add(str(tmp_path / "extra.txt"), "extra.txt")
        context.finalize()
        image_id = client.build_from_context(context, f"{PREFIX}/from_path")

    assert image_id
    assert run(docker_api, f"{PREFIX}/from_path", []) == (0, "added by hand\n")


# --- 3.5 shortcuts in a build ---------------------------------------------------------------

def test_3_5_users_groups_and_directories(docker_api, images):
    df = DockerFile(UBUNTU)
    df.run(addgroupuser('nginx', 2000))
    df2 = DockerFile(UBUNTU)
    df2.run_all(
        addgroup('apps', 2001),
        addgroupuser('nginx', 2000, ['apps']),
    )
    df2.run(mkdir_chown('/var/lib/app', 2001, 'u=rwX,go='))
    client = DockerClientWrapper('unix://var/run/docker.sock')
    assert client.build_from_file(df, f"{PREFIX}/users1")
    assert client.build_from_file(df2, f"{PREFIX}/users2")

    assert run(docker_api, f"{PREFIX}/users1", ["sh", "-c", "id nginx"]) == (
        0, "uid=2000(nginx) gid=2000(nginx) groups=2000(nginx)\n")
    code, out = run(docker_api, f"{PREFIX}/users2",
                    ["sh", "-c", "id nginx; stat -c '%u:%g %a' /var/lib/app"])
    assert (code, out) == (
        0, "uid=2000(nginx) gid=2000(nginx) groups=2000(nginx),2001(apps)\n2001:2001 700\n")


# --- 3.6 DockerClientWrapper: the streams the spec names ------------------------------------

def test_3_6_copy_and_get_image_return_streams(docker_api, images):
    """``copy`` (a resource of a container) and ``get_image`` return streams (3.6.2)."""
    import io
    import tarfile

    client = DockerClientWrapper('unix://var/run/docker.sock')
    container = client.create_container(UBUNTU, ["true"], name=f"{PREFIX}_copy")
    try:
        stream = client.copy(container["Id"], "/etc/passwd")
        data = b"".join(stream)
    finally:
        client.remove_container(container["Id"], force=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.extractfile("passwd").read().startswith(b"root:x:0:0:")
    head = next(iter(client.get_image(UBUNTU)))
    assert isinstance(head, bytes) and head


# --- 3.7 Managing containers ---------------------------------------------------------------

def example_map_dict() -> dict[str, Any]:
    """3.7.2 "Example" as written."""
    return {
        'repository': 'registry.example.com',
        'host_root': '/var/lib/site',
        'web_server': { # Configure container creation and startup
            'image': 'nginx',
            # If volumes are not shared with any other container, assigning
            # an alias in "volumes" is possible, but not necessary:
            'binds': {'/etc/nginx': ('config/nginx', 'ro')},
            'uses': 'app_server_socket',
            'attaches': 'web_log',
            'exposes': {
                80: 80,
                443: 443,
            }
        },
        'app_server': {
            'image': 'app',
            'instances': ('instance1', 'instance2'),
            'binds': (
                {'app_config': 'ro'},
                'app_data',
            ),
            'attaches': ('app_log', 'app_server_socket'),
            'user': 2000,
            'permissions': 'u=rwX,g=rX,o=',
        },
        'volumes': { # Configure volume paths inside containers
            'web_log': '/var/log/nginx',
            'app_server_socket': '/var/lib/app/socket',
            'app_config': '/var/lib/app/config',
            'app_log': '/var/lib/app/log',
            'app_data': '/var/lib/app/data',
        },
        'host': { # Configure volume paths on the Docker host
            'app_config': {
                'instance1': 'config/app1',
                'instance2': 'config/app2',
            },
            'app_data': {
                'instance1': 'data/app1',
                'instance2': 'data/app2',
            },
        },
    }


def for_shared_daemon(container_map: ContainerMap, root: Path) -> tuple[int, int]:
    """The environment's substitutions: host root in a temp dir, free ports for 80/443."""
    container_map.host.root = str(root)
    http, https = free_port(), free_port()
    container_map.containers.web_server.exposes = {80: http, 443: https}
    return http, https


def check_example_started(api: docker.APIClient, name: str, root: Path, http: int,
                          https: int) -> None:
    """What 3.7.2 says ``start('web_server')`` leads to."""
    for container in (f"{name}.app_server.instance1", f"{name}.app_server.instance2",
                      f"{name}.web_server"):
        assert running(api, container), container
    # chown/chmod on the app server's attached volumes
    assert volume_stat(api, f"{name}.app_server_socket") == "2000 750"
    for index in (1, 2):
        m = mounts(api, f"{name}.app_server.instance{index}")
        assert m["/var/lib/app/socket"]["Name"] == f"{name}.app_server_socket"
        assert m["/var/lib/app/config"]["Source"] == f"{root}/config/app{index}"
        assert m["/var/lib/app/config"]["RW"] is False
        assert m["/var/lib/app/data"]["Source"] == f"{root}/data/app{index}"
    web = api.inspect_container(f"{name}.web_server")
    m = mounts(api, f"{name}.web_server")
    assert m["/var/lib/app/socket"]["Name"] == f"{name}.app_server_socket"  # shared
    assert m["/etc/nginx"]["Source"] == f"{root}/config/nginx" and m["/etc/nginx"]["RW"] is False
    # exposed ports mapped to all addresses of the host
    assert web["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": str(http)}],
        "443/tcp": [{"HostIp": "", "HostPort": str(https)}]}
    assert web["Config"]["Image"] == "registry.example.com/nginx:latest"


def test_3_7_2_example_create_then_start(docker_api, images, cleanup, tmp_path):
    container_map = ContainerMap(cleanup.name("example_map"), example_map_dict())
    name = container_map.name
    http, https = for_shared_daemon(container_map, tmp_path)

    map_client = MappingDockerClient(container_map, DockerClientWrapper('unix://var/run/docker.sock'))
    results = map_client.create('web_server')

    # app_server's instances first (concurrently, in either order), then web_server; the
    # socket volume is a named volume
    order = created(results)
    assert set(order[:2]) == {f"{name}.app_server.instance1", f"{name}.app_server.instance2"}
    assert order[2:] == [f"{name}.web_server"]
    volumes = {v["Name"] for v in docker_api.volumes()["Volumes"] or ()}
    assert f"{name}.app_server_socket" in volumes
    for container in created(results):
        assert docker_api.inspect_container(container)["State"]["Status"] == "created"

    results = map_client.start('web_server')
    assert created(results, "start")[-1] == f"{name}.web_server"
    check_example_started(docker_api, name, tmp_path, http, https)

    # startup combines both: with everything up, nothing is left to do
    assert created(map_client.startup('web_server')) == []


def test_3_7_clients_exposes_networks_commands_options(docker_api, images, cleanup, tmp_path):
    """The 3.7 snippets for a client with interfaces, exposes, networks, exec_commands,
    create_options/host_config and inheritance, deployed."""
    container_map = ContainerMap(cleanup.name("new_map"))
    ports = [free_port() for _ in range(3)]
    # Exposes (interface addresses: loopback, the only local address)
    clients = {
        'client1': ClientConfiguration({
            'base_url': 'unix://var/run/docker.sock',
            'interfaces': {
                'private': '127.0.0.1', # Example private network interface IPv4 address
                'public': '127.0.0.1', # Example public network interface IPv4 address
            },
        }),
    }
    config = container_map.containers.app1
    config.image = f"/{UBUNTU}"
    config.clients = ['client1']
    config.exposes = [
        (80, ports[0], 'public'), # Exposes port 80 and binds it on the public address only.
        (9443, ports[1]), # Exposes port 9443 and binds on all addresses.
        (8000, ports[2], 'private'), # Binds port 8000 to the private network interface.
        8111, # Port 8111 will be exposed only to containers that link this one.
    ]
    # Networking
    container_map.networks.network1 = NetworkConfiguration(driver='bridge')
    container_map.containers.app1.networks = 'network1'
    # Commands
    config.exec_commands = [
        ("/bin/bash -c 'echo restart >> /tmp/script1.log'", 'root'),  # each start
        (['/bin/bash', '-c', 'id -u >> /tmp/script2.log'], 'user', ExecPolicy.INITIAL),
    ]
    # Additional options
    config.create_options = {
        'mem_limit': '3g', # Sets a memory limit.
    }
    config.host_config = {
        'restart_policy': {'MaximumRetryCount': 0, 'Name': 'always'}, # Unlimited restarts.
    }
    # Inheritance: app2 inherits the image and adds a network
    generic_config = container_map.containers.generic
    generic_config.image = f"/{UBUNTU}"
    generic_config.clients = ['client1']
    generic_config.abstract = True # Optional - config is not used directly.
    ext_config1 = container_map.containers.app2
    ext_config1.extends = 'generic'
    ext_config1.networks = 'network1'
    container_map.check_integrity()
    name = container_map.name

    map_client = MappingDockerClient(container_map, clients=clients)
    map_client.startup(['app1', 'app2'])

    info = docker_api.inspect_container(f"{name}.app1")
    assert info["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(ports[0])}],
        "9443/tcp": [{"HostIp": "", "HostPort": str(ports[1])}],
        "8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(ports[2])}]}
    assert "8111/tcp" in info["Config"]["ExposedPorts"]
    assert info["HostConfig"]["Memory"] == 3 * 1024 ** 3
    assert info["HostConfig"]["RestartPolicy"] == {"MaximumRetryCount": 0, "Name": "always"}
    # the network was created before, and a configured network replaces the default bridge
    assert set(info["NetworkSettings"]["Networks"]) == {f"{name}.network1"}
    app2 = docker_api.inspect_container(f"{name}.app2")
    assert app2["Config"]["Image"] == UBUNTU
    assert set(app2["NetworkSettings"]["Networks"]) == {f"{name}.network1"}
    assert f"{name}.generic" not in {n.lstrip("/") for c in docker_api.containers(all=True)
                                     for n in c["Names"]}

    def logs() -> tuple[str, str]:
        code, out = run_exec(docker_api, f"{name}.app1",
                             "cat /tmp/script1.log; echo --; cat /tmp/script2.log")
        assert code == 0
        first, _, second = out.partition("--\n")
        return first, second

    assert wait_for(lambda: logs() == ("restart\n", "1000\n")), logs()
    map_client.stop('app1')
    map_client.start('app1')
    # RESTART runs again on each start, INITIAL only once, as 'user' (uid 1000)
    assert wait_for(lambda: logs() == ("restart\nrestart\n", "1000\n")), logs()


def run_exec(api: docker.APIClient, container: str, command: str) -> tuple[int, str]:
    exec_id = api.exec_create(container, ["sh", "-c", command])
    out = api.exec_start(exec_id).decode()
    return api.exec_inspect(exec_id)["ExitCode"], out


def wait_for(check: Any, seconds: float = 10.0) -> bool:
    """Exec commands run detached: poll until ``check()`` holds."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


# --- 3.8.3 Running scripts ------------------------------------------------------------------

def script_map(name: str) -> ContainerMap:
    """A test container, and Redis/PostgreSQL stand-ins: a server that owns the socket
    volume, and a client configuration that uses it."""
    return ContainerMap(name, {
        'test_container': {'image': f"/{UBUNTU}"},
        'redis': {'image': f"/{DB}", 'attaches': 'redis_socket',
                  'create_options': {'command': ['fifo-db', '/var/run/redis/cache.sock']}},
        'redis_client': {'image': f"/{DB}", 'uses': 'redis_socket'},
        'postgres': {'image': f"/{DB}", 'attaches': 'postgres_socket',
                     'create_options': {'command': ['fifo-db', '/var/run/postgresql/socket']}},
        'postgres_client': {'image': f"/{DB}", 'uses': 'postgres_socket'},
        'volumes': {'redis_socket': '/var/run/redis', 'postgres_socket': '/var/run/postgresql'},
    })


def test_3_8_3_run_script_bash(docker_api, images, cleanup, tmp_path):
    test_path = tmp_path / "test_path"  # /tmp/test_path on the Docker host
    test_path.mkdir()
    script = test_path / "test_script.sh"
    script.write_text("#!/bin/bash\necho \"running $0\"\necho result > \"$(dirname $0)/out\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    map_client = MappingDockerClient(script_map(cleanup.name("scripts")),
                                     DockerClientWrapper(SPEC_URL))

    result = map_client.run_script('test_container',
                                   script_path=str(script),
                                   entrypoint='/bin/bash',
                                   command_format=['-c', '{script_path}'])

    assert set(result) == {"__default__"}
    assert result["__default__"]["log"] == "running /tmp/script_run/test_script.sh\n"
    assert result["__default__"]["exit_code"] == 0
    assert (test_path / "out").read_text() == "result\n"  # results written back
    with pytest.raises(docker.errors.NotFound):  # the container was removed after the run
        docker_api.inspect_container(result["__default__"]["id"])


def test_3_8_3_run_script_redis_flushdb(docker_api, images, cleanup):
    name = cleanup.name("scripts")
    map_client = MappingDockerClient(script_map(name), DockerClientWrapper(SPEC_URL))

    result = map_client.run_script('redis_client',
                                   entrypoint='redis-cli',
                                   command_format=['-s', '/var/run/redis/cache.sock', 'flushdb'])

    assert result["__default__"]["exit_code"] == 0
    assert result["__default__"]["log"] == "OK\n"
    # the server (a dependency) was started first, and flushed its database
    assert running(docker_api, f"{name}.redis")
    assert wait_for(lambda: "flushdb: 0 keys left" in docker_api.logs(f"{name}.redis").decode())
    assert run_exec(docker_api, f"{name}.redis", "wc -c < /var/lib/db/cache") == (0, "0\n")


def test_3_8_3_run_script_postgres_restore(docker_api, images, cleanup, tmp_path):
    name = cleanup.name("scripts")
    db_import = tmp_path / "db_import"  # /tmp/db_import on the Docker host
    db_import.mkdir()
    (db_import / "my_db.backup").write_text("table1 row1\ntable1 row2\n")
    map_client = MappingDockerClient(script_map(name), DockerClientWrapper(SPEC_URL))

    result = map_client.run_script('postgres_client',
                                   script_path=str(db_import),
                                   entrypoint='pg_restore',
                                   command_format=['-h', '/var/run/postgresql/socket',
                                                   '-d', 'my_db', '{script_path}/my_db.backup'])

    assert result["__default__"]["exit_code"] == 0, result
    assert result["__default__"]["log"] == (
        "restored /tmp/script_run/my_db.backup into my_db\n")
    assert wait_for(lambda: run_exec(docker_api, f"{name}.postgres", "cat /var/lib/db/my_db")
                    == (0, "table1 row1\ntable1 row2\n"))


# --- 3.9 YAML ------------------------------------------------------------------------------

EXAMPLE_YAML = """\
repository: registry.example.com
host_root: /var/lib/site
web_server:
  image: nginx
  binds:
    /etc/nginx:
      - config/nginx
      - ro
  uses: app_server_socket
  attaches: web_log
  exposes:
    80: 80
    443: 443
app_server:
  image: app
  instances:
    - instance1
    - instance2
  binds:
    - app_config: ro
    - app_data:
  attaches:
    - app_log
    - app_server_socket
  user: 2000
  permissions: u=rwX,g=rX,o=
volumes:
  web_log: /var/log/nginx
  app_server_socket: /var/lib/app/socket
  app_config: /var/lib/app/config
  app_log: /var/lib/app/log
  app_data: /var/lib/app/data
host:
  app_config:
    instance1: config/app1
    instance2: config/app2
  app_data:
    instance1: data/app1
    instance2: data/app2
"""

CLIENTS_YAML = """\
apps1:
  base_url: apps1_host
  interfaces:
    private: 10.x.x.11
apps2:
  base_url: apps2_host
  interfaces:
    private: 10.x.x.12
apps3:
  base_url: apps3_host
  interfaces:
    private: 10.x.x.13
web1:
  base_url: web1_host
  interfaces:
    private: 10.x.x.21
    public: 178.x.x.x
"""


def test_3_9_yaml_example_loads_and_deploys(docker_api, images, cleanup, tmp_path):
    path = tmp_path / "example_map.yaml"
    path.write_text(EXAMPLE_YAML)
    name = cleanup.name("apps")

    map = yaml.load_map_file(str(path), name)

    # the same map as the 3.7.2 dictionary
    assert map == ContainerMap(name, example_map_dict())
    assert yaml.load_map_file(str(path), '').name == "example_map"  # from the file name
    http, https = for_shared_daemon(map, tmp_path)
    map_client = MappingDockerClient(map, DockerClientWrapper('unix://var/run/docker.sock'))
    map_client.startup('web_server')
    check_example_started(docker_api, name, tmp_path, http, https)


def test_3_9_clients_yaml_and_path_tags(tmp_path, monkeypatch):
    path = tmp_path / "example_clients.yaml"
    path.write_text(CLIENTS_YAML)

    clients = yaml.load_clients_file(str(path))

    assert sorted(clients) == ["apps1", "apps2", "apps3", "web1"]
    assert all(type(c) is ClientConfiguration for c in clients.values())
    assert clients["web1"].interfaces == {"private": "10.x.x.21", "public": "178.x.x.x"}

    monkeypatch.setenv("SITE_ROOT", "/srv/site")
    monkeypatch.setenv("CONFIG_PATH", "/srv/config")
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text("host_root: !path $SITE_ROOT\n"
                      "host: !path\n"
                      "  web_config: $CONFIG_PATH/nginx\n"
                      "  app_config: !path\n"
                      "    instance1: $CONFIG_PATH/app1\n"
                      "    instance2: $CONFIG_PATH/app2\n")
    tagged_map = yaml.load_map_file(str(tagged), "t_spec_tags", check_integrity=False)
    assert tagged_map.host.root == "/srv/site"
    assert tagged_map.host.web_config == "/srv/config/nginx"
    assert tagged_map.host.app_config == {"instance1": "/srv/config/app1",
                                          "instance2": "/srv/config/app2"}

    # !path_lazy: resolved when first used, not on import
    from dockerfab.functional import resolve_value

    monkeypatch.delenv("SITE_ROOT")
    lazy_file = tmp_path / "lazy.yaml"
    lazy_file.write_text("host_root: !path_lazy $SITE_ROOT\n")
    lazy_map = yaml.load_map_file(str(lazy_file), "t_spec_lazy")
    monkeypatch.setenv("SITE_ROOT", "/srv/later")
    assert resolve_value(lazy_map.host.root) == "/srv/later"


# --- 3.10.3 Lazy resolution -----------------------------------------------------------------

def lazy_map(name: str) -> ContainerMap:
    return ContainerMap(name, {
        'volumes': {'volume1': '/data'},
        'app': {'image': f"/{UBUNTU}", 'binds': 'volume1', 'instances': ('i1', 'i2')},
    }, check_integrity=False)  # the host path is set afterwards


def host_sources(api: docker.APIClient, name: str) -> list[str]:
    return [mounts(api, f"{name}.app.{i}")["/data"]["Source"] for i in ("i1", "i2")]


def test_3_10_3_lazy_and_lazy_once(docker_api, images, cleanup, tmp_path):
    from dockerfab.functional import lazy, lazy_once

    calls: list[str] = []

    def get_path(arg1, keyword_arg1='kw1', keyword_arg2='kw2'):
        calls.append(arg1)
        return str(tmp_path / f"{arg1}-{keyword_arg1}-{keyword_arg2}-{len(calls)}")

    arg1 = "volume"
    container_map = lazy_map(cleanup.name("lazy"))
    container_map.host.volume1 = lazy(get_path, arg1, keyword_arg1='kw1', keyword_arg2='kw2')
    assert calls == []  # not called until used
    MappingDockerClient(container_map, DockerClientWrapper(SPEC_URL)).startup('app')
    sources = host_sources(docker_api, container_map.name)
    assert calls and all(s.startswith(str(tmp_path / "volume-kw1-kw2-")) for s in sources)
    assert len(set(sources)) == 2  # lazy: called again on every use

    calls.clear()
    once_map = lazy_map(cleanup.name("lazyonce"))
    once_map.host.volume1 = lazy_once(get_path, arg1, keyword_arg1='kw1', keyword_arg2='kw2')
    MappingDockerClient(once_map, DockerClientWrapper(SPEC_URL)).startup('app')
    assert calls == ["volume"]  # lazy_once: stored and re-used
    assert host_sources(docker_api, once_map.name) == [str(tmp_path / "volume-kw1-kw2-1")] * 2


ExtType = namedtuple("ExtType", "code data")  # msgpack.ExtType is this namedtuple; no msgpack


def test_3_10_3_register_type_and_resolve_deep(docker_api, images, cleanup, tmp_path):
    from dockerfab.functional import (
        expand_type_name,
        register_type,
        resolve_deep,
        unregister_type,
    )

    MY_EXT_TYPE_CODE = 1

    def my_info(data):
        return str(tmp_path / data.decode())

    def my_ext_hook(ext_data):
        if ext_data.code == MY_EXT_TYPE_CODE:
            return my_info(ext_data.data)
        raise ValueError("Unexpected ext type code.", ext_data.code)

    container_map = lazy_map(cleanup.name("ext"))
    container_map.host.volume1 = ExtType(MY_EXT_TYPE_CODE, b'info represented as bytes')
    register_type(ExtType, my_ext_hook)
    try:
        MappingDockerClient(container_map, DockerClientWrapper(SPEC_URL)).startup('app')
    finally:
        unregister_type(ExtType)
    assert host_sources(docker_api, container_map.name) == [
        str(tmp_path / "info represented as bytes")] * 2

    # pre-resolving a deserialised structure with temporary types
    deserialized_map_content = {
        'volumes': {'volume1': '/data'},
        'host': {'volume1': ExtType(MY_EXT_TYPE_CODE, b'pre-resolved')},
        'app': {'image': f"/{UBUNTU}", 'binds': 'volume1', 'instances': ('i1', 'i2')},
    }
    resolve_dict = {expand_type_name(ExtType): my_ext_hook}
    map_content = resolve_deep(deserialized_map_content, types=resolve_dict)
    assert map_content['host']['volume1'] == str(tmp_path / "pre-resolved")
    resolved_map = ContainerMap(cleanup.name("deep"), map_content)
    MappingDockerClient(resolved_map, DockerClientWrapper(SPEC_URL)).startup('app')
    assert host_sources(docker_api, resolved_map.name) == [str(tmp_path / "pre-resolved")] * 2
