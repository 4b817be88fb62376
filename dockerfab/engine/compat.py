"""What Docker-compatible daemons other than Docker (Podman's ``podman system service``)
refuse, turned into one line that says what to do (docs/podman.rst).

Pure text matching on the daemon's own error message: dockerfab does not ask which daemon
it talks to, it explains the refusal when one comes.
"""
from __future__ import annotations

#: a fragment of the daemon's message -> what the user can do about it
HINTS: dict[str, str] = {
    "link is not supported":
        "the daemon (Podman) has no container links: connect the containers through a "
        "network instead (networks: with aliases)",
    "has dependent containers which must be removed before it":
        "the daemon (Podman) does not remove a container that others use (uses, "
        "network_mode): take those down first; shutdown of this configuration removes them",
    "container-init binary not found":
        "the daemon (Podman) has no init binary: install catatonit on the host, or drop "
        "init from the configuration",
}


def no_update_api(container: str) -> str:
    """The daemon answered 404 to ``POST /containers/{id}/update`` for an existing container."""
    return ("the daemon has no container update API (Podman 4.3): limits and restart policy "
            f"cannot change in place; re-create it: update --force-update {container}")


def hint(text: str) -> str | None:
    """What to do about a daemon error ``text``, if it is a known limitation."""
    return next((advice for fragment, advice in HINTS.items() if fragment in text), None)


def explain(text: str) -> str:
    """``text``, followed by the hint for it when there is one."""
    advice = hint(text)
    return f"{text} ({advice})" if advice else text
