"""``shared.deps.query_params``: a class of query parameters as an async dependency."""

# No ``from __future__ import annotations``: the routes below annotate with a local.
import inspect
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient

from shared.deps import query_params


class Window:
    """Two query parameters, one with a default and a description."""

    def __init__(
        self,
        size: Annotated[int, Query(ge=1, le=10, description="how many")] = 5,
        label: str | None = None,
    ) -> None:
        self.size, self.label = size, label


def _app(dependency: object) -> FastAPI:
    app = FastAPI()

    @app.get("/window")
    async def window(w: Annotated[Window, dependency]) -> dict[str, object]:
        return {"size": w.size, "label": w.label}

    return app


def test_a_class_of_query_parameters_is_made_on_the_event_loop_with_the_same_openapi() -> None:
    made = query_params(Window)
    # FastAPI awaits a coroutine function; a class (like any plain function) it would call in
    # its thread pool.
    assert inspect.iscoroutinefunction(made)
    fast, threaded = _app(Depends(made)), _app(Depends())
    assert fast.openapi()["paths"] == threaded.openapi()["paths"]
    with TestClient(fast) as client:
        assert client.get("/window").json() == {"size": 5, "label": None}
        assert client.get("/window?size=3&label=x").json() == {"size": 3, "label": "x"}
        refused = client.get("/window?size=11")
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["query", "size"]
