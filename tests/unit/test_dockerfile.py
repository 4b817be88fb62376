"""DockerFile text (spec 3.3), DockerContext tarballs and .dockerignore matching (3.4). Pure:
no daemon; the integration tests build from the same objects."""
from __future__ import annotations

import bz2
import gzip
import io
import os
import tarfile

import pytest

from dockerfab.build.context import DockerContext
from dockerfab.build.dockerfile import ContextFile, DockerFile
from dockerfab.build.dockerignore import IgnoreMatcher
from dockerfab.errors import BuildError
from dockerfab.map.input import HealthCheck

# --- DockerFile ----------------------------------------------------------------------------

def test_initial_contents():
    df = DockerFile("ubuntu", maintainer="ME, me@example.com",
                    initial="RUN apt-get update\nRUN apt-get -y upgrade")
    assert df.getvalue() == ("FROM ubuntu\nMAINTAINER ME, me@example.com\n"
                             "RUN apt-get update\nRUN apt-get -y upgrade\n")
    assert str(df) == df.getvalue()


def test_run_shell_and_exec_form_and_prefix():
    df = DockerFile("scratch")
    df.run("apt-get update")
    df.run(["/bin/busybox", "--install", "-s", "/bin"])
    df.run_all("a", ("b", 1))
    df.prefix("USER", "root")
    df.prefix_all("ENV", "A=1", "B=2")
    df.run("first line\nsecond line")
    assert df.getvalue() == (
        "FROM scratch\nRUN apt-get update\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
        'RUN a\nRUN ["b", "1"]\nUSER root\nENV A=1\nENV B=2\n'
        "RUN first line \\\nsecond line\n")


def test_comments_blank_and_direct_writes():
    df = DockerFile("scratch")
    df.comment("two\nlines")
    df.comment()
    df.blank()
    df.write("LABEL a=1")
    df.writeline(" b=2")
    df.writelines(["STOPSIGNAL 9", "EXPOSE 1"])
    assert df.getvalue() == ("FROM scratch\n# two\n# lines\n#\n\nLABEL a=1 b=2\n"
                             "STOPSIGNAL 9\nEXPOSE 1\n")


def test_add_file_defaults_ctx_path_and_remove_final(tmp_path, monkeypatch):
    (tmp_path / "my_file").write_text("x")
    (tmp_path / "files").mkdir()
    monkeypatch.setenv("DFTEST_DIR", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    df = DockerFile("scratch")
    assert df.add_file(str(tmp_path / "my_file")) == "my_file"
    assert df.add_file("~/my_file", "/new_dir/my_file", "/another_file", expanduser=True,
                       remove_final=True) == "another_file"
    assert df.add_file("$DFTEST_DIR/files", "/var/lib/myfiles", expandvars=True) \
        == "var/lib/myfiles"
    assert df.add_file(str(tmp_path / "my_file"), "/opt/") == "opt/my_file"
    df.command = "sleep 1"
    assert df.getvalue() == (
        "FROM scratch\nADD my_file /my_file\nADD another_file /new_dir/my_file\n"
        "ADD var/lib/myfiles /var/lib/myfiles\nADD opt/my_file /opt/\n"
        "RUN rm -rf /new_dir/my_file\nCMD [\"sleep\", \"1\"]\n")
    assert df.files == [
        ContextFile(str(tmp_path / "my_file"), "my_file"),
        ContextFile(str(tmp_path / "my_file"), "another_file"),
        ContextFile(str(tmp_path / "files"), "var/lib/myfiles"),
        ContextFile(str(tmp_path / "my_file"), "opt/my_file"),
    ]


def test_add_file_errors(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "f").write_text("1")
    (tmp_path / "b" / "f").write_text("2")
    df = DockerFile("scratch")
    df.add_file(str(tmp_path / "a" / "f"))
    with pytest.raises(BuildError, match="ctx_path"):
        df.add_file(str(tmp_path / "b" / "f"))
    assert df.add_file(str(tmp_path / "b" / "f"), ctx_path="b_f") == "b_f"
    with pytest.raises(FileNotFoundError):
        df.add_file(str(tmp_path / "missing"))


def test_add_file_with_spaces_uses_json_form(tmp_path):
    (tmp_path / "a b").write_text("x")
    df = DockerFile("scratch")
    df.add_file(str(tmp_path / "a b"), "/dir with space/a b")
    assert 'ADD ["dir with space/a b", "/dir with space/a b"]\n' in df.getvalue()


def test_add_archive_adds_top_level_entries(tmp_path):
    archive = tmp_path / "a.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("opt/app/run.sh", "etc/app.conf"):
            data = name.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    df = DockerFile("scratch")
    assert df.add_archive(str(archive), remove_final=True) == ["opt", "etc"]
    assert df.getvalue() == ("FROM scratch\nADD opt /opt\nADD etc /etc\n"
                             "RUN rm -rf /opt /etc\n")
    assert df.files == [ContextFile(str(archive), None, archive=True)]


def test_configuration_commands_in_order():
    df = DockerFile("scratch")
    df.command = ["httpd", "-f", 80]
    df.entrypoint = "/bin/sh -c"
    df.command_user = 2000
    df.command_workdir = "/srv"
    df.expose = [80, "443/tcp"]
    df.labels = {"org.example.name": 'a "quoted" value'}
    df.shell = "/bin/sh -eu -c"
    df.stopsignal = "SIGINT"
    df.healthcheck = HealthCheck(["CMD", "true"], interval=5, timeout="2s", retries=3,
                                 start_period=1.5)
    df.volumes = ["/data", "/logs"]
    df.run("echo body")
    expected = (
        "FROM scratch\nRUN echo body\n"
        'VOLUME ["/data", "/logs"]\n'
        "EXPOSE 80 443/tcp\n"
        'LABEL "org.example.name"="a \\"quoted\\" value"\n'
        "STOPSIGNAL SIGINT\n"
        'SHELL ["/bin/sh", "-eu", "-c"]\n'
        'HEALTHCHECK --interval=5s --timeout=2s --start-period=1.5s --retries=3 CMD ["true"]\n'
        "USER 2000\nWORKDIR /srv\n"
        'ENTRYPOINT ["/bin/sh", "-c"]\n'
        'CMD ["httpd", "-f", "80"]\n')
    assert df.getvalue() == expected
    assert not df.finalized
    df.finalize()
    df.finalize()  # runs once
    assert df.finalized and df.getvalue() == expected


def test_command_shell_form_and_single_values():
    df = DockerFile("scratch")
    df.command_shell = True
    df.entrypoint = ["/bin/sh", "-c"]
    df.command = "echo $HOME"
    df.expose = 8080
    df.volumes = "/data"
    assert df.getvalue().endswith('VOLUME ["/data"]\nEXPOSE 8080\n'
                                  "ENTRYPOINT /bin/sh -c\nCMD echo $HOME\n")


@pytest.mark.parametrize("check, line", [
    ("wget -q -O- localhost", "HEALTHCHECK CMD wget -q -O- localhost"),
    (["CMD-SHELL", "test -f /ok"], "HEALTHCHECK CMD test -f /ok"),
    (["cat", "/ok"], 'HEALTHCHECK CMD ["cat", "/ok"]'),
    ("NONE", "HEALTHCHECK NONE"),
    ({"test": "true", "retries": 1}, "HEALTHCHECK --retries=1 CMD true"),
])
def test_healthcheck_forms(check, line):
    df = DockerFile("scratch")
    df.healthcheck = check
    assert df.getvalue() == f"FROM scratch\n{line}\n"


def test_no_changes_after_finalize(tmp_path):
    df = DockerFile("scratch")
    df.finalize()
    for change in (lambda: df.run("x"), lambda: df.writeline("x"), lambda: df.comment("x"),
                   lambda: setattr(df, "command", "x"), lambda: setattr(df, "expose", 1),
                   lambda: df.add_file(__file__)):
        with pytest.raises(BuildError, match="finalized"):
            change()
    assert df.getvalue() == "FROM scratch\n"


def test_save_and_context_manager(tmp_path):
    with DockerFile("scratch") as df:
        df.run("true")
        df.command = "sh"
        df.save(str(tmp_path / "Dockerfile"))
    assert (tmp_path / "Dockerfile").read_text() == 'FROM scratch\nRUN true\nCMD ["sh"]\n'
    with pytest.raises(BuildError, match="closed"):
        df.getvalue()


# --- .dockerignore -------------------------------------------------------------------------

@pytest.mark.parametrize("path, excluded", [
    ("a.log", True), ("keep.log", False), ("sub/a.log", False),  # '*' is one level only
    ("build", True), ("build/out/x.o", True),                     # below an excluded dir
    ("tmp", True), ("x/y/tmp", True), ("x/y/tmp/z", True),         # '**/'
    ("docs/a/b.md", True), ("docs/x.md", True), ("docs/README.md", False),
    ("abs/x", True), ("abs/y", False),                             # leading '/' dropped
    ("f12.txt", False), ("f1.txt", True), ("fab.txt", False),
    ("c[a].txt", False), ("ca.txt", True), ("cb.txt", False),
    ("odd name#", True), ("src/main.py", False),
])
def test_dockerignore_patterns(path, excluded):
    matcher = IgnoreMatcher(["# comment", "", "*.log", "!keep.log", "build", "**/tmp",
                             "docs/**/*.md", "!docs/README.md", "/abs/./x", "f?.txt",
                             "c[ab].txt", "!cb.txt", "  odd name#  "])
    assert matcher.excluded(path) is excluded


def test_dockerignore_last_match_wins_and_reexclude():
    matcher = IgnoreMatcher(["data", "!data/keep", "data/keep/secret"])
    assert matcher.excluded("data/x")
    assert not matcher.excluded("data/keep/y")
    assert matcher.excluded("data/keep/secret")
    assert matcher.may_include_below("data")
    assert not IgnoreMatcher(["data"]).may_include_below("data")


# --- DockerContext -------------------------------------------------------------------------

def make_tree(root):
    """A directory with a .dockerignore and files on both sides of it."""
    for rel in ("a.log", "keep.log", "build/x.o", "docs/a/b.md", "docs/README.md",
                "src/main.py", "src/tmp/cache", "data/skip", "data/keep/k"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    (root / ".dockerignore").write_text(
        "*.log\n!keep.log\nbuild\n**/tmp\ndocs/**/*.md\n!docs/README.md\ndata\n!data/keep\n")
    os.symlink("src/main.py", root / "link")


def members(context):
    with tarfile.open(context.name, "r:*") as tar:
        return {m.name: m for m in tar}


def test_context_from_directory_honours_dockerignore(tmp_path):
    make_tree(tmp_path)
    with DockerContext(str(tmp_path)) as context:
        context.finalize()
        found = members(context)
    assert sorted(found) == [
        ".dockerignore", "data/keep", "data/keep/k", "docs", "docs/README.md", "docs/a",
        "keep.log", "link", "src", "src/main.py"]
    assert found["link"].issym() and found["link"].linkname == "src/main.py"


def test_context_from_dockerfile_adds_files_and_dockerfile(tmp_path):
    make_tree(tmp_path / "tree")
    (tmp_path / "single").write_text("one")
    df = DockerFile("scratch")
    df.add_file(str(tmp_path / "tree"), "/app")
    df.add_file(str(tmp_path / "single"), "/etc/single", remove_final=True)
    with DockerContext(df) as context:
        assert df.finalized
        assert context.stream_encoding == "gzip" and context.name.endswith(".tar.gz")
        context.finalize()
        found = members(context)
        with tarfile.open(context.name, "r:gz") as tar:
            dockerfile = tar.extractfile("Dockerfile").read().decode()
            assert tar.extractfile("etc/single").read() == b"one"
        name = context.name
        assert os.path.exists(name)
    assert not os.path.exists(name)  # the temporary tarball is gone after the block
    assert dockerfile == df.getvalue()
    assert "app/build/x.o" not in found and "app/a.log" not in found
    assert {"app/keep.log", "app/src/main.py", "app/data/keep/k", "Dockerfile"} <= set(found)


@pytest.mark.parametrize("compression, encoding, opener", [
    ("gzip", "gzip", gzip.open), ("bzip2", "bzip2", bz2.open), (None, None, open)])
def test_context_compression_and_save(tmp_path, compression, encoding, opener):
    dockerfile = tmp_path / "Dockerfile.custom"
    dockerfile.write_text("FROM scratch\n")
    target = tmp_path / "saved"
    with DockerContext(str(dockerfile), compression=compression) as context:
        assert context.stream_encoding == encoding
        info = context.gettarinfo(str(dockerfile), "copy/of/it")
        assert context.gettaringo is not None
        with open(dockerfile, "rb") as f:
            context.addfile(info, f)
        context.save(str(target))
        with pytest.raises(BuildError):
            context.add(str(dockerfile), "late")
    with opener(target, "rb") as raw, tarfile.open(fileobj=raw, mode="r:") as tar:
        assert tar.getnames() == ["Dockerfile", "copy/of/it"]
        assert tar.extractfile("copy/of/it").read() == b"FROM scratch\n"


def test_context_addarchive_copies_members(tmp_path):
    archive = tmp_path / "in.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        info = tarfile.TarInfo("opt/tool/bin")
        info.size, info.mode = 3, 0o755
        tar.addfile(info, io.BytesIO(b"abc"))
        folder = tarfile.TarInfo("opt/empty")
        folder.type = tarfile.DIRTYPE
        tar.addfile(folder)
    with DockerContext(finalize=False) as context:
        context.addarchive(str(archive))
        context.finalize()
        assert context.getnames() == ["opt/tool/bin", "opt/empty"]
        with tarfile.open(context.name) as tar:
            member = tar.getmember("opt/tool/bin")
            assert member.mode == 0o755
            assert tar.extractfile(member).read() == b"abc"


def test_context_rejects_unknown_compression():
    with pytest.raises(ValueError, match="compression"):
        DockerContext(compression="zip")


def test_context_stores_the_target_of_a_symlinked_add_file(tmp_path):
    """add_file names a file; a symlink there is followed (its contents go to the image)."""
    (tmp_path / "real.conf").write_text("setting=1\n")
    os.symlink(tmp_path / "real.conf", tmp_path / "link.conf")
    df = DockerFile("scratch")
    df.add_file(str(tmp_path / "link.conf"), "/etc/app.conf")
    with DockerContext(df, finalize=True) as context, tarfile.open(context.name) as tar:
        member = tar.getmember("etc/app.conf")
        assert member.isfile()
        assert tar.extractfile(member).read() == b"setting=1\n"


def test_context_paths_leaving_the_context_are_refused(tmp_path):
    import io
    import tarfile

    from dockerfab import DockerContext
    from dockerfab.errors import BuildError

    source = tmp_path / "f.txt"
    source.write_text("x")
    outside = io.BytesIO()
    with tarfile.open(fileobj=outside, mode="w") as tar:
        info = tarfile.TarInfo("../escape.txt")
        tar.addfile(info, io.BytesIO(b""))
    outside.seek(0)
    with DockerContext() as context:
        with pytest.raises(BuildError, match=r"context path '\.\./x' leaves the build context"):
            context.add(str(source), "../x")
        with pytest.raises(BuildError, match="leaves the build context"):
            context.addfile(tarfile.TarInfo("a/../../b"))
        with pytest.raises(BuildError, match="leaves the build context"):
            context.addarchive(outside)
        context.add(str(source), "sub/../inside.txt")  # still inside
        assert context.getnames() == ["sub/../inside.txt"]
