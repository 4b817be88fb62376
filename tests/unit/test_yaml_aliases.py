"""Loading stays linear in the size of the file, whatever its aliases (issue 10): repeated
aliases are walked once by the position tracker, and a document whose aliases expand
beyond what any map needs ("billion laughs") is refused with one clear error."""
from __future__ import annotations

import pytest
import yaml as pyyaml

from dockerfab.errors import MapError
from dockerfab.yaml import Loader, load_map
from dockerfab.yamldoc import MAX_EXPANDED_VALUES, Positions, expanded_size


def laughs(levels: int, width: int = 9) -> str:
    """``l0: &l0 [lol, ...]``, each further level a list of ``width`` aliases of the last."""
    lines = ["name: laughs", "l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def composed(text: str):
    loader = Loader(text)
    try:
        return loader, loader.get_single_node()
    finally:
        pass


def test_position_tracker_walks_each_node_once():
    text = laughs(5)  # 9**6 values when expanded, 6 * 10 nodes written
    loader, root = composed(text)
    try:
        positions = Positions.build(loader, root)
    finally:
        loader.dispose()
    written = 1 + 2 * 7 + 6 * 9 + 9  # root, keys and lists, aliases and scalars
    assert positions.visited <= written, positions.visited


def test_expanded_size_is_counted_without_expanding():
    loader, root = composed(laughs(4, width=3))
    loader.dispose()
    # root + per level: key + list; level 0 holds 3 scalars, level n holds 3 copies of n-1
    level_sizes = [1 + 3]
    for _ in range(4):
        level_sizes.append(1 + 3 * level_sizes[-1])
    assert expanded_size(root) == 1 + sum(1 + size for size in level_sizes) + 1 + 1


def test_billion_laughs_is_refused_with_file_and_line():
    text = laughs(9)  # about 550 bytes; 9**10 (3.5e9) values once expanded
    assert len(text.encode()) < 600
    with pytest.raises(MapError) as info:
        load_map(text, source="laughs.yaml")
    message = str(info.value)
    assert message.startswith("laughs.yaml:1: the document's aliases expand to more than ")
    assert "billion laughs" in message and "\n" not in message


def test_aliases_below_the_cap_still_load_and_locate_errors():
    text = ("name: shared\n"
            "x-env: &env {A: '1', B: '2'}\n"
            "web: {image: busybox, environment: *env}\n"
            "app: {image: busybox, environment: *env, lnks: [web]}\n")
    with pytest.raises(MapError) as info:
        load_map(text.replace("x-env", "web_env"), source="m.yaml")
    assert "m.yaml:" in str(info.value)
    small = pyyaml.load(laughs(3), Loader=Loader)  # 9**4 values: well below the cap
    assert len(small["l3"]) == 9 and MAX_EXPANDED_VALUES > 9 ** 4
