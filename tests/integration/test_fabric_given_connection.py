"""A Fabric ``Connection`` built by the user and handed to dockerfab keeps what it was given."""
from __future__ import annotations

import pytest
from fabric import Config, Connection

from dockerfab.fabric.run import HostTarget, close_session, open_session
from dockerfab.fabric.settings import DockerSettings
from dockerfab.output import Reporter
from dockerfab.tasks import finish, version


@pytest.fixture
def keyless_ssh_config(bed, tmp_path):
    """An ssh_config naming bed1 without any IdentityFile: the key comes from the caller."""
    host = bed.host("bed1")
    path = tmp_path / "ssh_config"
    path.write_text(f"Host plain-bed1\n    HostName {host.address}\n    User {host.user}\n"
                    f"    UserKnownHostsFile {host.known_hosts_file}\n")
    return path


def plain_connection(bed, ssh_config, **config):
    """What a Fabric user writes: the key in ``connect_kwargs``, nothing else to find it."""
    return Connection("plain-bed1", config=Config(runtime_ssh_path=str(ssh_config),
                                                  overrides=config),
                      connect_kwargs={"key_filename": bed.key_file, "look_for_keys": False,
                                      "allow_agent": False})


def test_plain_fabric_connects_with_the_given_key(bed, keyless_ssh_config):
    """The reference: Fabric alone connects with that Connection."""
    with plain_connection(bed, keyless_ssh_config) as conn:
        conn.client.load_host_keys(bed.host("bed1").known_hosts_file)
        assert conn.run("hostname", hide=True, in_stream=False).stdout.strip() == "bed1"


def test_dockerfab_keeps_a_connections_key_filename(bed, keyless_ssh_config):
    conn = plain_connection(bed, keyless_ssh_config)
    session = open_session(HostTarget("plain-bed1", conn), conn.config, DockerSettings(),
                           Reporter())
    try:
        assert session.client.run_cmd("hostname").strip() == "bed1"
        assert session.client.version()["ApiVersion"]
    finally:
        close_session(session)
    assert not conn.is_connected


def test_a_task_called_with_that_connection_works(bed, keyless_ssh_config, capsys):
    conn = plain_connection(bed, keyless_ssh_config)
    version(conn)
    finish(conn)   # raises Exit(1) when a host failed
    out = capsys.readouterr().out
    assert "[plain-bed1]" in out and "VERSION" in out and "API" in out
    assert "No authentication methods" not in out
