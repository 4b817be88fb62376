"""``show`` hides environment values unless asked (they may be secrets)."""
from __future__ import annotations

import yaml

from dockerfab.map.container import ContainerMap
from dockerfab.output.showmap import HIDDEN, hide_environment, plain_map

SECRET = "pw-41d9"


def test_show_hides_environment_values_but_keeps_names():
    cmap = ContainerMap("m", {
        "web": {"image": "nginx", "create_options": {"environment": {"TOKEN": SECRET,
                                                                     "MODE": "prod"}}},
        "app": {"image": "app", "create_options": {"environment": [f"KEY={SECRET}"]},
                "user": "app"}})
    data = plain_map(cmap)
    assert SECRET in yaml.safe_dump(data)  # --values shows them
    hidden = hide_environment(data)
    text = yaml.safe_dump(hidden)
    assert SECRET not in text and "prod" not in text
    web = hidden["containers"]["web"]["create_options"]["environment"]
    assert web == {"TOKEN": HIDDEN, "MODE": HIDDEN}
    assert hidden["containers"]["app"]["create_options"]["environment"] == [f"KEY={HIDDEN}"]
    assert hidden["containers"]["app"]["user"] == "app"
