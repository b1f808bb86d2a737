"""Metric names follow Prometheus conventions; the build is described; scheduled jobs count
their runs and the alerts they emitted."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.clock import FixedClock
from shared.metrics import ALERTS_EMITTED, SCHEDULER_RUNS, render
from shared.scheduler import Scheduler
from shared.uow import UnitOfWorkFactory


def exposition() -> str:
    return render()[0].decode()


def test_names_and_build_info() -> None:
    text = exposition()
    assert "# TYPE orbit_http_request_duration_seconds histogram" in text
    assert "orbit_build_info{" in text and 'version="' in text
    for name in (
        "orbit_outbox_oldest_unsent_age_seconds",
        "orbit_consumer_lag",
        "orbit_scheduler_runs_total",
        "orbit_alerts_emitted_total",
        "orbit_retention_deleted_rows_total",
    ):
        assert f"# TYPE {name} " in text, name


async def test_scheduler_counts_runs_and_alerts() -> None:
    async def emits_two(uow: object, now: datetime) -> int:
        return 2

    async def fails(uow: object, now: datetime) -> int:
        raise RuntimeError("boom")

    clock = FixedClock(datetime(2026, 11, 30, tzinfo=UTC))
    scheduler = Scheduler(
        "metricsvc",
        UnitOfWorkFactory(None, clock),  # type: ignore[arg-type]  # the jobs never open one
        {"twice": emits_two, "broken": fails},
        interval=1,
        clock=clock,
    )
    await scheduler.run_once()
    await scheduler.run_once()
    assert SCHEDULER_RUNS.labels("metricsvc", "twice", "ok")._value.get() == 2
    assert SCHEDULER_RUNS.labels("metricsvc", "broken", "error")._value.get() == 2
    assert ALERTS_EMITTED.labels("metricsvc", "twice")._value.get() == 4
