"""Plans and results know which containers were examined and which were left alone."""
from __future__ import annotations

from dockerfab.plan.actions import Action, ActionResult, Plan, Results


def test_unchanged_is_what_was_examined_minus_what_is_acted_on():
    plan = Plan([Action("pull_image", "img:1", "c"), Action("create", "m.a", "c"),
                 Action("start", "m.a", "c")], examined=["m.a", "m.b", "m.c"])
    assert plan.unchanged == {"m.b", "m.c"}
    results = Results([ActionResult(a) for a in plan[1:]], examined=plan.examined)
    assert results.unchanged == {"m.b", "m.c"}
    assert Plan().unchanged == set() and Plan(examined=["m.a"]).unchanged == {"m.a"}


def test_a_plan_is_still_a_list_of_actions():
    plan = Plan([Action("start", "m.a", "c", step=2), Action("create", "m.a", "c", step=1)],
                examined=["m.a"])
    plan.sort(key=lambda a: a.step)
    assert [a.kind for a in plan] == ["create", "start"] and plan == list(plan)
    assert Plan(examined=["m.a"]) == []
