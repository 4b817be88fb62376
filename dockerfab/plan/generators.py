"""The spec's three components (3.10.2) under their names, as thin, replaceable parts:

* state generators say which items an action looks at (its dependency direction) and what
  to observe about them;
* action generators turn desired state plus observed state into planned actions;
* the runner (``dockerfab.engine.execute``) performs them.

``MappingDockerClient.generators`` maps each action name to a (state, action) generator
pair; subclass either to change behaviour.
"""
from __future__ import annotations

from collections.abc import Callable

from dockerfab.plan import planner
from dockerfab.plan.actions import Action
from dockerfab.plan.options import ActionOptions
from dockerfab.plan.planner import PlanInput


class AbstractStateGenerator:
    """Direction of the dependency path (forward, reverse, single) and what to observe."""
    direction = "forward"
    #: observe running processes (``top``) of containers with exec commands
    observe_processes = False
    #: the action may create containers, so every option they need must be complete;
    #: False for actions that only stop, remove, restart or signal what exists
    complete = True

    def __init__(self, options: ActionOptions) -> None:
        self.options = options


class SingleStateGenerator(AbstractStateGenerator):
    """Only the selected containers (restart, signal)."""
    direction = "single"
    complete = False


class DependencyStateGenerator(AbstractStateGenerator):
    """Dependencies first (create, start, startup, scripts, pull)."""
    direction = "forward"


class UpdateStateGenerator(DependencyStateGenerator):
    """Like DependencyStateGenerator, also looking at processes for exec-command checks."""

    def __init__(self, options: ActionOptions) -> None:
        super().__init__(options)
        self.observe_processes = options.check_exec_commands.value != "none"


class DependentStateGenerator(AbstractStateGenerator):
    """Dependents first (stop, remove, shutdown)."""
    direction = "reverse"
    complete = False


class AbstractActionGenerator:
    """Plans one action for one client from a :class:`PlanInput`."""
    plan_func: Callable[[PlanInput, ActionOptions], list[Action]] = staticmethod(
        planner.plan_create)

    def __init__(self, options: ActionOptions) -> None:
        self.options = options

    def get_actions(self, inp: PlanInput) -> list[Action]:
        return type(self).plan_func(inp, self.options)


def _generator(name: str, func: Callable[[PlanInput, ActionOptions], list[Action]]
               ) -> type[AbstractActionGenerator]:
    return type(name, (AbstractActionGenerator,), {
        "plan_func": staticmethod(func), "__doc__": f"Plans ``{func.__name__[5:]}``.",
        "__module__": __name__})


CreateActionGenerator = _generator("CreateActionGenerator", planner.plan_create)
StartActionGenerator = _generator("StartActionGenerator", planner.plan_start)
StartupActionGenerator = _generator("StartupActionGenerator", planner.plan_startup)
UpdateActionGenerator = _generator("UpdateActionGenerator", planner.plan_update)
StopActionGenerator = _generator("StopActionGenerator", planner.plan_stop)
RemoveActionGenerator = _generator("RemoveActionGenerator", planner.plan_remove)
ShutdownActionGenerator = _generator("ShutdownActionGenerator", planner.plan_shutdown)
RestartActionGenerator = _generator("RestartActionGenerator", planner.plan_restart)
SignalActionGenerator = _generator("SignalActionGenerator", planner.plan_signal)
ImagePullActionGenerator = _generator("ImagePullActionGenerator", planner.plan_pull)

GeneratorPair = tuple[type[AbstractStateGenerator], type[AbstractActionGenerator]]

DEFAULT_GENERATORS: dict[str, GeneratorPair] = {
    "create": (DependencyStateGenerator, CreateActionGenerator),
    "start": (DependencyStateGenerator, StartActionGenerator),
    "startup": (DependencyStateGenerator, StartupActionGenerator),
    "update": (UpdateStateGenerator, UpdateActionGenerator),
    "pull_images": (DependencyStateGenerator, ImagePullActionGenerator),
    "stop": (DependentStateGenerator, StopActionGenerator),
    "remove": (DependentStateGenerator, RemoveActionGenerator),
    "shutdown": (DependentStateGenerator, ShutdownActionGenerator),
    "restart": (SingleStateGenerator, RestartActionGenerator),
    "signal": (SingleStateGenerator, SignalActionGenerator),
}
