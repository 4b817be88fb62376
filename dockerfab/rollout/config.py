"""The rollout settings: ``docker.rollout``, ``docker.releases``, ``docker.hooks`` (with
``docker.state_dir`` and ``docker.lock_wait`` beside them in DockerSettings), validated
into typed values; a call's flags override them (pure)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dockerfab.errors import MapError

ON_FAILURE = ("rollback", "stop", "continue")
#: Releases kept per map and host unless ``docker.releases.keep`` says otherwise.
KEEP = 5

_SECTIONS: dict[str, dict[str, Any]] = {
    "rollout": {"batch": None, "watch": 0.0, "max_failures": 0, "on_failure": "rollback"},
    "releases": {"keep": KEEP},
    "hooks": {"pre_deploy": None, "post_deploy": None},
}


#: the flags of a changing task that say how it rolls out
ROLLOUT_FLAGS = ("lock_wait", "batch", "watch", "max_failures", "on_failure")


def take_rollout_flags(options: dict[str, Any]) -> dict[str, Any]:
    """Take the rollout's flags (given or None) out of a task's ``options``."""
    return {k: options.pop(k) for k in ROLLOUT_FLAGS if k in options}


def section_defaults(name: str) -> dict[str, Any]:
    return dict(_SECTIONS[name])


def validate_section(name: str, value: Any) -> dict[str, Any]:
    """A ``docker.<name>`` mapping with every key checked and converted; raises MapError
    with the key path (``docker.rollout.watch``)."""
    if value is None:
        value = {}
    if not isinstance(value, Mapping) and hasattr(value, "keys"):
        value = dict(value)  # Invoke's config proxies
    if not isinstance(value, Mapping):
        raise MapError(f"expected a mapping, got {type(value).__name__}", ("docker", name))
    known = _SECTIONS[name]
    out = dict(known)
    for key, item in value.items():
        key = str(key)
        if key not in known:
            raise MapError(f"unknown setting (known: {', '.join(sorted(known))})",
                           ("docker", name, key))
        try:
            out[key] = _convert(name, key, item)
        except (TypeError, ValueError) as exc:
            raise MapError(str(exc), ("docker", name, key)) from None
    return out


def _convert(section: str, key: str, value: Any) -> Any:
    if value is None or value == "":
        if section == "hooks" or key == "batch":
            return None
        raise ValueError("must be set")
    if key == "batch":
        parse_batch(str(value))
        return str(value)
    if key in ("watch",):
        number = float(value)
    elif key in ("max_failures", "keep"):
        number = int(value)
    elif key == "on_failure":
        if value not in ON_FAILURE:
            raise ValueError(f"expected one of {', '.join(ON_FAILURE)}, got {value!r}")
        return value
    else:  # hooks: a command line
        if not isinstance(value, str):
            raise TypeError(f"expected a command line, got {type(value).__name__}")
        return value
    if number < 0 or (key == "keep" and number < 1):
        raise ValueError(f"must be {'at least 1' if key == 'keep' else 'positive'}, "
                         f"got {value!r}")
    return number


def parse_batch(text: str) -> tuple[int, bool]:
    """``'2'`` -> (2, False), ``'25%'`` -> (25, True); at least one host per batch."""
    text = text.strip()
    percent = text.endswith("%")
    digits = text[:-1] if percent else text
    if not digits.isdigit() or int(digits) < 1 or (percent and int(digits) > 100):
        raise ValueError(f"a batch is a number of hosts (>= 1) or a percentage (1%-100%), "
                         f"not {text!r}")
    return int(digits), percent


@dataclass(frozen=True)
class RolloutOptions:
    """How one call rolls out: batches (None: every host at once), the watch time, the
    failures allowed, what a failure does; how long to wait for a lock; releases kept."""
    batch: str | None = None
    watch: float = 0.0
    max_failures: int = 0
    on_failure: str = "rollback"
    lock_wait: float = 0.0
    keep: int = KEEP
    pre_deploy: str | None = None
    post_deploy: str | None = None

    @classmethod
    def from_settings(cls, settings: Any, **flags: Any) -> RolloutOptions:
        """From DockerSettings, with the call's flags (None: not given) on top; a bad flag
        raises MapError naming the flag."""
        rollout = validate_section("rollout", getattr(settings, "rollout", None))
        releases = validate_section("releases", getattr(settings, "releases", None))
        hooks = validate_section("hooks", getattr(settings, "hooks", None))
        values: dict[str, Any] = {**rollout, "keep": releases["keep"], **hooks,
                                  "lock_wait": float(getattr(settings, "lock_wait", 0) or 0)}
        for key, value in flags.items():
            if value is None:
                continue
            try:
                values[key] = (_seconds(value) if key == "lock_wait"
                               else _convert("rollout", key, value))
            except (TypeError, ValueError) as exc:
                raise MapError(f"--{key.replace('_', '-')}: {exc}") from None
        return cls(**values)


def _seconds(value: Any) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"must be positive, got {value!r}")
    return number
