"""The import graph of ``shared/`` and ``services/`` (imports inside functions count, as in
``test_layers.py``):

- no import circle: a port never imports its adapters back, e.g. ``shared/messaging/bus.py``
  knows neither the Kafka nor the in-process bus;
- the tooling (the event schema generator and its compatibility check) is off the runtime
  path: nothing the running services import reaches it.
"""

from __future__ import annotations

from tests.unit.test_layers import SERVICES_DIR, SHARED_DIR, imports, module_name, python_files


def import_graph() -> dict[str, set[str]]:
    files = {module_name(p): p for d in (SHARED_DIR, SERVICES_DIR) for p in python_files(d)}
    return {
        module: {target for _, target in imports(path) if target in files and target != module}
        for module, path in files.items()
    }


RUNTIME_ROOTS = ("services.embedded", "shared.app")
TOOLING = ("services.schemas", "services.schema_docs", "services.schema_compat")


def reachable(graph: dict[str, set[str]], roots: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle (its modules in order, the first repeated at the end), or None."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(module: str) -> list[str] | None:
        path.append(module)
        on_path.add(module)
        for target in sorted(graph[module]):
            if target in on_path:
                return [*path[path.index(target) :], target]
            if target not in done and (cycle := visit(target)):
                return cycle
        on_path.discard(path.pop())
        done.add(module)
        return None

    for module in sorted(graph):
        if module not in done and (cycle := visit(module)):
            return cycle
    return None


def test_find_cycle_reports_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_import_cycle_in_shared_and_services() -> None:
    assert find_cycle(import_graph()) is None


def test_the_bus_port_imports_no_transport() -> None:
    assert not {m for m in import_graph()["shared.messaging.bus"] if m.startswith("shared.")}


def test_the_runtime_never_imports_the_tooling() -> None:
    graph = import_graph()
    runtime = reachable(graph, RUNTIME_ROOTS)
    assert "services.clients.handlers" in runtime  # the roots do see the services
    assert not runtime & set(TOOLING)
