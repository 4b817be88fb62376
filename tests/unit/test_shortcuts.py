"""Shortcuts (spec 3.5): exact command lines for the spec's examples, and quoting of hostile
input so that it can never reach the shell as code."""
from __future__ import annotations

import shlex
import subprocess

import pytest

from dockerfab.shortcuts import (
    addgroup,
    addgroupuser,
    adduser,
    assignuser,
    chmod,
    chown,
    curl,
    get_user_group,
    join,
    mkdir,
    mkdir_chown,
    rm,
    targz,
    untargz,
    wget,
)

HOSTILE = "/tmp/a b; echo pwned $(id) `id` 'q' \"d\" & | > <"


# --- the spec's examples -------------------------------------------------------------------

def test_addgroupuser_nginx_example():
    assert addgroupuser("nginx", 2000) == (
        "addgroup --gid 2000 nginx && adduser --uid 2000 --ingroup nginx --no-create-home "
        "--shell /usr/sbin/nologin --disabled-password --gecos '' nginx")


def test_addgroup_and_addgroupuser_with_groups_example():
    assert addgroup("apps", 2001) == "addgroup --gid 2001 apps"
    assert addgroupuser("nginx", 2000, ["apps"]) == (
        "addgroup --gid 2000 nginx && adduser --uid 2000 --ingroup nginx --no-create-home "
        "--shell /usr/sbin/nologin --disabled-password --gecos '' nginx"
        " && usermod -a -G apps nginx")


def test_mkdir_chown_example():
    assert mkdir_chown("/var/lib/app", 2001, "u=rwX,go=") == (
        "mkdir -p /var/lib/app && chown 2001:2001 /var/lib/app && chmod u=rwX,go= /var/lib/app")


# --- users and groups ----------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (("app", "apps"), "app:apps"),
    (["app", 2001], "app:2001"),
    (2000, "2000:2000"),
    ("nginx", "nginx:nginx"),
    ("nginx:apps", "nginx:apps"),
    ("2000:", "2000:"),
])
def test_get_user_group(value, expected):
    assert get_user_group(value) == expected


@pytest.mark.parametrize("value", [("a",), ("a", "b", "c"), ""])
def test_get_user_group_rejects(value):
    with pytest.raises(ValueError):
        get_user_group(value)


@pytest.mark.parametrize("value", [None, True, 1.5])
def test_get_user_group_rejects_types(value):
    with pytest.raises(TypeError):
        get_user_group(value)


def test_adduser_defaults_do_not_allow_login():
    assert adduser("web", 1000) == (
        "adduser --uid 1000 --no-create-home --shell /usr/sbin/nologin --disabled-password "
        "--gecos '' web")


def test_adduser_login_user_with_gecos_and_options():
    assert adduser("bob", 1001, no_login=False, gecos="Bob Builder,,,") == (
        "adduser --uid 1001 --gecos 'Bob Builder,,,' bob")
    assert adduser("bob", no_login=False, no_password=True) == (
        "adduser --disabled-password --gecos '' bob")
    assert adduser("svc", 120, system=True, group=True) == (
        "adduser --system --group --uid 120 --no-create-home --shell /usr/sbin/nologin "
        "--disabled-password --gecos '' svc")


def test_addgroup_system_and_without_gid():
    assert addgroup("apps", 2001, system=True) == "addgroup --system --gid 2001 apps"
    assert addgroup("apps") == "addgroup apps"


def test_assignuser():
    assert assignuser("nginx", ["apps", "www-data"]) == "usermod -a -G apps,www-data nginx"
    with pytest.raises(ValueError):
        assignuser("nginx", [])


def test_addgroupuser_system_login():
    assert addgroupuser("svc", 120, ("a", "b"), system=True, no_login=False, gecos="S") == (
        "addgroup --system --gid 120 svc && adduser --system --uid 120 --ingroup svc "
        "--gecos S svc && usermod -a -G a,b svc")


# --- files and directories -----------------------------------------------------------------

def test_mkdir_variants():
    assert mkdir("/var/lib/app") == "mkdir -p /var/lib/app"
    assert mkdir("/var/lib/app", create_parent=False) == "mkdir /var/lib/app"
    assert mkdir("/var/lib/app", check_if_exists=True) == (
        "if [ ! -d /var/lib/app ]; then mkdir -p /var/lib/app; fi")


def test_chmod_chown_rm_recursive_by_default():
    assert chmod("u=rwX,go=", "/srv") == "chmod -R u=rwX,go= /srv"
    assert chmod(0o750, "/srv", recursive=False) == "chmod 750 /srv"
    assert chown("app", "/srv") == "chown -R app:app /srv"
    assert chown((1000, 1001), ["/a", "/b"], recursive=False) == "chown 1000:1001 /a /b"
    assert rm("/tmp/x") == "rm -r /tmp/x"
    assert rm("/tmp/x", force=True) == "rm -rf /tmp/x"
    assert rm("/tmp/x", recursive=False) == "rm /tmp/x"
    assert rm(["/a", "/b"], recursive=False, force=True) == "rm -f /a /b"


def test_mkdir_chown_options():
    assert mkdir_chown("/srv/app") == "mkdir -p /srv/app && chmod ug=rwX,o=rX /srv/app"
    assert mkdir_chown("/srv/app", "app", None, recursive=True) == (
        "mkdir -p /srv/app && chown -R app:app /srv/app")
    assert mkdir_chown(["/a", "/b"], "1:2", "700", create_parent=False,
                       check_if_exists=True) == (
        "if [ ! -d /a ]; then mkdir /a; fi && chown 1:2 /a && chmod 700 /a && "
        "if [ ! -d /b ]; then mkdir /b; fi && chown 1:2 /b && chmod 700 /b")


# --- downloads and archives ----------------------------------------------------------------

def test_downloads_and_archives():
    url = "https://example.com/a.tar.gz?x=1&y=2"
    assert curl(url) == "curl 'https://example.com/a.tar.gz?x=1&y=2'"
    assert curl(url, "/tmp/a.tgz") == "curl -o /tmp/a.tgz 'https://example.com/a.tar.gz?x=1&y=2'"
    assert wget("https://example.com/f") == "wget https://example.com/f"
    assert wget("https://example.com/f", "out") == "wget -O out https://example.com/f"
    assert targz("/tmp/a.tgz", ["etc", "var/lib"]) == "tar -czf /tmp/a.tgz etc var/lib"
    assert targz("a.tgz", "dir") == "tar -czf a.tgz dir"
    assert untargz("a.tgz") == "tar -xzf a.tgz"
    assert untargz("a.tgz", "/opt") == "tar -xzf a.tgz -C /opt"


def test_join_skips_empty():
    assert join("a", None, "", "b") == "a && b"


# --- quoting of hostile input --------------------------------------------------------------

ALL_WITH_PATH = [
    lambda p: mkdir(p), lambda p: mkdir(p, check_if_exists=True),
    lambda p: chmod("700", p), lambda p: chown("app", p), lambda p: rm(p, force=True),
    lambda p: mkdir_chown(p, "app", check_if_exists=True), lambda p: curl("http://x", p),
    lambda p: wget(p, p), lambda p: targz(p, [p, p]), lambda p: untargz(p, p),
]


@pytest.mark.parametrize("build", ALL_WITH_PATH)
def test_hostile_paths_stay_single_words(build):
    """Each hostile argument comes back from the shell as exactly one word, unchanged."""
    line = build(HOSTILE)
    words = shlex.split(line)
    assert HOSTILE in words
    assert "pwned" not in words and ";" not in words


def test_hostile_names_in_user_commands():
    """User, group and gecos values come back from the shell as the single words they were."""
    evil = "x; rm -rf / #"
    assert shlex.split(adduser(evil, "1; id", gecos="$(id)")) == [
        "adduser", "--uid", "1; id", "--no-create-home", "--shell", "/usr/sbin/nologin",
        "--disabled-password", "--gecos", "$(id)", evil]
    assert shlex.split(addgroup(evil, "2`id`")) == ["addgroup", "--gid", "2`id`", evil]
    assert shlex.split(assignuser(evil, ["g; id", "$(id)"])) == [
        "usermod", "-a", "-G", "g; id,$(id)", evil]
    assert shlex.split(chown((evil, "$(id)"), "/x")) == ["chown", "-R", f"{evil}:$(id)", "/x"]
    words = shlex.split(addgroupuser(evil, 5, ["a b"]))
    assert words.count("&&") == 2 and words[-1] == evil and "a b" in words


def test_hostile_input_does_not_execute_in_a_real_shell(tmp_path):
    """Run generated commands in sh: the odd name is created literally, nothing else runs."""
    marker = tmp_path / "pwned"
    hostile = tmp_path / "dir; touch pwned; $(touch pwned) `touch pwned` > pwned"
    command = join(mkdir_chown(str(hostile), permissions="u=rwx,go=", check_if_exists=True),
                   mkdir(str(hostile), check_if_exists=True))
    subprocess.run(["sh", "-c", command], check=True, cwd=tmp_path)
    assert hostile.is_dir()
    assert oct(hostile.stat().st_mode & 0o777) == "0o700"
    assert not marker.exists()
    subprocess.run(["sh", "-c", rm(str(hostile), force=True)], check=True, cwd=tmp_path)
    assert not hostile.exists()
    assert list(tmp_path.iterdir()) == []


def test_end_options_puts_double_dash_before_operands():
    assert chown("-x", "/srv", recursive=False, end_options=True) == "chown -- -x:-x /srv"
    assert chmod("-w", "-f", end_options=True) == "chmod -R -- -w -f"
