"""Error lines name a remote command, but not a whole state record: a long command is cut."""
from __future__ import annotations

from dockerfab.fabric.shell import SHOWN_COMMAND, _failure, shown


def test_a_short_command_is_shown_whole():
    assert shown("chown -R 1000 -- /data") == "chown -R 1000 -- /data"


def test_a_long_command_is_cut_with_its_length():
    command = "printf '%s' " + "H4sI" * 500 + " | base64 -d > release.json"
    text = str(_failure("bed1", command, 1, "disk full\n"))
    assert "H4sI" * 100 not in text
    assert f"{command[:SHOWN_COMMAND]}... ({len(command)} characters)" in text
    assert text.startswith("bed1") and text.endswith("exit status 1: disk full")
