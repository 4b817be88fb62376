"""Building real images on the local daemon from DockerFile and DockerContext (spec 3.2-3.5).

No registry is reachable, so every image starts from scratch with the local static busybox
binary (dockerfab.build.busybox). Images are checked by running containers from them.
Everything created is named with this module's unique prefix and removed at the end.
"""
from __future__ import annotations

import io
import logging
import tarfile
import uuid

import pytest
from docker.errors import APIError

from dockerfab import shortcuts
from dockerfab.build.busybox import build_busybox_image, busybox_dockerfile
from dockerfab.build.context import DockerContext
from dockerfab.build.dockerfile import DockerFile
from dockerfab.client.wrapper import DockerClientWrapper
from dockerfab.errors import BuildError
from tests.conftest import LOCAL_DOCKER_URL

PREFIX = f"dfimg-{uuid.uuid4().hex[:8]}"
NO_NET = {"network_mode": "none"}  # RUN steps need no network (and stay off the host's)


def remove_images(client: DockerClientWrapper, prefix: str) -> None:
    """Remove every tag starting with ``prefix`` (derived images first: they go in passes)."""
    for _ in range(5):
        tags = [t for t in client.get_image_tags() if t.startswith(prefix)]
        if not tags:
            return
        for tag in tags:
            try:
                client.remove_image(tag)
            except APIError:  # still has a child image; the next pass gets it
                continue


@pytest.fixture(scope="module")
def client():
    wrapper = DockerClientWrapper(LOCAL_DOCKER_URL)
    yield wrapper
    for container in wrapper.containers(all=True, filters={"name": PREFIX}):
        wrapper.remove_container(container["Id"], force=True)
    remove_images(wrapper, PREFIX)
    wrapper.close()


@pytest.fixture(scope="module")
def base(client):
    """The busybox base image: ``<prefix>/busybox:1.0``."""
    tag = f"{PREFIX}/busybox:1.0"
    build_busybox_image(client, tag, command=["sh", "-c", "echo hello from busybox"])
    return tag


def run(client: DockerClientWrapper, image: str, cmd=None, **create) -> tuple[int, str]:
    """Run a container to its end; its exit code and output (stdout+stderr)."""
    name = f"{PREFIX}-run-{uuid.uuid4().hex[:6]}"
    container = client.create_container(
        image, cmd, name=name, host_config=client.create_host_config(network_mode="none"),
        **create)
    try:
        client.start(container)
        code = client.wait(container, timeout=30)["StatusCode"]
        return code, client.logs(container).decode()
    finally:
        client.remove_container(container, force=True)


def test_busybox_base_from_scratch(client, base):
    """FROM scratch + ADD busybox + exec-form RUN --install: a working shell image."""
    assert run(client, base) == (0, "hello from busybox\n")
    assert run(client, base, ["sh", "-c", "ls /bin/sh /bin/tar && test -d /tmp"])[0] == 0
    df = busybox_dockerfile()
    assert 'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n' in df.getvalue()


def test_spec_simple_dockerfile(client, base):
    """3.2.1, on the busybox base: two RUNs, add_latest_tag, rm=True."""
    name = f"{PREFIX}/new_base_image"
    with DockerFile(base) as df:
        df.run("mkdir -p /var/lib/state && echo updated > /var/lib/state/one")
        df.run("echo upgraded >> /var/lib/state/one")
        image = client.build_from_file(df, f"{name}:2.0", add_latest_tag=True, rm=True, **NO_NET)
    assert image and image.startswith("sha256:")
    tags = client.get_image_tags()
    assert tags[f"{name}:2.0"] == tags[f"{name}:latest"] == image
    assert run(client, f"{name}:latest", ["cat", "/var/lib/state/one"]) == (
        0, "updated\nupgraded\n")


def test_spec_image_with_files(client, base, tmp_path):
    """3.2.2: add_file of a directory; its .dockerignore applies to its contents."""
    files = tmp_path / "myfiles"
    (files / "sub").mkdir(parents=True)
    (files / "sub" / "data.txt").write_text("payload\n")
    (files / "secret.key").write_text("do not ship")
    (files / "notes.tmp").write_text("scratch")
    (files / ".dockerignore").write_text("*.key\n**/*.tmp\n")
    with DockerFile(base) as df:
        ctx_path = df.add_file(str(files), "/var/lib/myfiles")
        image = client.build_from_file(df, f"{PREFIX}/new_image", **NO_NET)
    assert ctx_path == "var/lib/myfiles"
    assert image
    code, out = run(client, f"{PREFIX}/new_image",
                    ["sh", "-c", "cd /var/lib/myfiles && find . | sort && cat sub/data.txt"])
    assert code == 0
    assert out == ".\n./.dockerignore\n./sub\n./sub/data.txt\npayload\n"


def test_configuration_properties_reach_the_image(client, base, tmp_path):
    """USER/WORKDIR/ENTRYPOINT/CMD/EXPOSE/VOLUME/LABEL/STOPSIGNAL/HEALTHCHECK, and
    remove_final, as the daemon reports and runs them."""
    (tmp_path / "build-only").write_text("temporary")
    with DockerFile(base, maintainer="dockerfab tests") as df:
        df.add_file(str(tmp_path / "build-only"), "/opt/build-only", remove_final=True)
        df.run("test -f /opt/build-only")
        df.run(shortcuts.mkdir_chown("/srv/app", 2001, "u=rwX,go="))
        df.entrypoint = ["sh", "-c"]
        df.command = "id -u; pwd; test -e /opt/build-only || echo removed"
        df.command_shell = False
        df.command_user = 2001
        df.command_workdir = "/srv/app"
        df.expose = [8080, "53/udp"]
        df.volumes = ["/data"]
        df.labels = {"org.dockerfab.test": "config value"}
        df.stopsignal = "SIGINT"
        df.healthcheck = {"test": "true", "interval": 30, "retries": 2}
        image = client.build_from_file(df, f"{PREFIX}/configured", **NO_NET)
    config = client.inspect_image(image)["Config"]
    assert config["User"] == "2001"
    assert config["WorkingDir"] == "/srv/app"
    assert config["Entrypoint"] == ["sh", "-c"]
    assert config["Cmd"] == ["id", "-u;", "pwd;", "test", "-e", "/opt/build-only", "||",
                             "echo", "removed"]
    assert set(config["ExposedPorts"]) == {"8080/tcp", "53/udp"}
    assert set(config["Volumes"]) == {"/data"}
    assert config["Labels"] == {"org.dockerfab.test": "config value"}
    assert config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 30 * 10**9,
                                     "Retries": 2}
    script = ("id -u; pwd; test -e /opt/build-only || echo removed; "
              "stat -c '%u:%g %a' /srv/app")
    code, out = run(client, image, [script])
    assert (code, out) == (0, "2001\n/srv/app\nremoved\n2001:2001 700\n")


def test_shortcuts_run_in_a_real_build(client, base):
    """Quoted shortcut commands work inside the image, odd names included."""
    odd = "/srv/a dir; with $(odd) name"
    with DockerFile(base) as df:
        df.run_all(shortcuts.mkdir_chown([odd, "/srv/plain"], (100, 101), "750",
                                         check_if_exists=True),
                   shortcuts.targz("/tmp/a.tgz", ["/srv/plain", odd]),
                   shortcuts.rm(odd, force=True),
                   shortcuts.join(shortcuts.mkdir("/restore"),
                                  shortcuts.untargz("/tmp/a.tgz", "/restore")))
        image = client.build_from_file(df, f"{PREFIX}/shortcuts", **NO_NET)
    script = "ls /srv; ls /restore/srv; stat -c '%u:%g %a' '/restore/srv/a dir; with $(odd) name'"
    code, out = run(client, image, ["sh", "-c", script])
    assert (code, out) == (0, "plain\na dir; with $(odd) name\nplain\n100:101 750\n")


def test_add_archive_and_other_compressions(client, base, tmp_path):
    archive = tmp_path / "tool.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = b"#!/bin/sh\necho tool ran\n"
        info = tarfile.TarInfo("opt/tool/run.sh")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    for compression in ("bzip2", None):
        with DockerFile(base) as df:
            assert df.add_archive(str(archive)) == ["opt"]
            df.command = ["/opt/tool/run.sh"]
            with DockerContext(df, compression=compression) as context:
                assert context.stream_encoding == compression
                image = client.build_from_context(context, f"{PREFIX}/archive:{compression}",
                                                  **NO_NET)
        assert image, compression
        assert run(client, image) == (0, "tool ran\n")


def test_context_from_directory_and_saved_files(client, base, tmp_path):
    """A context made from a directory (Dockerfile saved by DockerFile.save()), its
    .dockerignore applied; the context itself saved and inspected."""
    project = tmp_path / "project"
    (project / "app").mkdir(parents=True)
    (project / "app" / "main.sh").write_text("echo main\n")
    (project / "app" / "debug.log").write_text("noise")
    (project / "cache").mkdir()
    (project / "cache" / "big").write_text("x" * 1000)
    (project / ".dockerignore").write_text("cache\n**/*.log\n")
    with DockerFile(base) as df:
        df.writeline("COPY . /project")
        df.command = ["sh", "-c", "cd /project && find . | sort"]
        df.save(str(project / "Dockerfile"))
    saved = tmp_path / "context.tar.gz"
    with DockerContext(str(project)) as context:
        context.save(str(saved))
        image = client.build_from_context(context, f"{PREFIX}/from-dir", **NO_NET)
    with tarfile.open(saved, "r:gz") as tar:
        assert sorted(tar.getnames()) == [".dockerignore", "Dockerfile", "app", "app/main.sh"]
    assert image
    assert run(client, image) == (
        0, ".\n./.dockerignore\n./Dockerfile\n./app\n./app/main.sh\n")


def test_build_failure_returns_none_and_logs(client, base, caplog):
    with DockerFile(base) as df:
        df.run("echo about to fail && exit 3")
        with caplog.at_level(logging.INFO, logger="dockerfab.client.wrapper"):
            assert client.build_from_file(df, f"{PREFIX}/broken", **NO_NET) is None
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("returned a non-zero code: 3" in e for e in errors), errors
    assert any("about to fail" in r.getMessage() for r in caplog.records)
    assert f"{PREFIX}/broken:latest" not in client.get_image_tags()
    assert not client.containers(all=True, filters={"ancestor": base})  # forcerm default
    with DockerFile(base) as df:
        df.run("exit 4")
        with pytest.raises(BuildError, match="non-zero code: 4") as info:
            client.build_from_file(df, f"{PREFIX}/broken", raise_on_error=True, **NO_NET)
    assert any("exit 4" in line for line in info.value.log)


def test_build_of_a_missing_base_image_returns_none(client, caplog):
    # an unreachable registry on loopback: the daemon fails at once, no traffic leaves
    with DockerFile("127.0.0.1:9/does-not-exist:1") as df, \
            caplog.at_level(logging.ERROR, logger="dockerfab.client.wrapper"):
        assert client.build_from_file(df, f"{PREFIX}/orphan", **NO_NET) is None
    assert any("127.0.0.1:9" in r.getMessage() for r in caplog.records), caplog.text


def test_build_needs_a_tag(client):
    with pytest.raises(ValueError, match="tag"):
        client.build(fileobj=io.BytesIO(b""), custom_context=True)


def test_build_add_tags(client, base):
    with DockerFile(base) as df:
        df.run("true")
        image = client.build_from_file(df, f"{PREFIX}/tagged:1.0",
                                       add_tags=["1", f"{PREFIX}/other:x"], **NO_NET)
    tags = client.get_image_tags()
    assert {t for t, i in tags.items() if i == image} == {
        f"{PREFIX}/tagged:1.0", f"{PREFIX}/tagged:1", f"{PREFIX}/other:x"}


def test_busybox_helper_with_files_labels_and_tags(client, tmp_path):
    """What the test bed calls: files, setup commands, CMD, labels, extra tags."""
    (tmp_path / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n"
                                     "app:x:2000:2000::/:/bin/false\n")
    tag = f"{PREFIX}/helper:latest"
    image = build_busybox_image(client, tag, files={"/etc/passwd": str(tmp_path / "passwd")},
                                setup=["echo ready > /etc/ready"], command=["id", "app"],
                                labels={"org.dockerfab.test": tag}, add_tags=["v1"])
    assert client.inspect_image(image)["Config"]["Labels"] == {"org.dockerfab.test": tag}
    assert client.get_image_tags()[f"{PREFIX}/helper:v1"] == image
    assert run(client, image) == (0, "uid=2000(app) gid=2000 groups=2000\n")
    assert run(client, image, ["cat", "/etc/ready"]) == (0, "ready\n")
    with pytest.raises(BuildError):
        build_busybox_image(client, f"{PREFIX}/helper-broken", setup=["exit 7"])
