"""The one table of ``make bench``: every figure with a goal (issues 7, 9 to 12, 14), Orbit against
its baseline measured in the same run. Sections call :func:`record`; ``python -m tests.bench``
writes :func:`table` at the head of its report."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    operation: str
    orbit: str  # what Orbit did, with its unit
    baseline: str  # what the baseline did ("-" when the goal is absolute)
    ratio: str  # Orbit ÷ baseline as shown ("-" when none)
    goal: str  # "-": a figure the issues asked for without a goal
    met: bool | None


FIGURES: list[Figure] = []


def record(
    operation: str, orbit: str, baseline: str, ratio: str, goal: str = "-", met: bool | None = None
) -> None:
    FIGURES.append(Figure(operation, orbit, baseline, ratio, goal, met))


def at_least(operation: str, orbit: float, baseline: float, unit: str, goal: float | None) -> float:
    """A throughput against its baseline: the ratio must be at least ``goal`` (None: no
    goal, the figure is shown)."""
    ratio = orbit / baseline if baseline else 0.0
    record(
        operation,
        f"{orbit:,.0f} {unit}",
        f"{baseline:,.0f} {unit}",
        f"{ratio:.2f}x",
        "-" if goal is None else f"≥ {goal}x",
        None if goal is None else ratio >= goal,
    )
    return ratio


def table() -> list[str]:
    if not FIGURES:
        return []
    goals = [f for f in FIGURES if f.met is not None]
    met = sum(1 for f in goals if f.met)
    return [
        "### Every goal in one table",
        "",
        f"{met} of {len(goals)} goals met in this run. Ratios against the baseline measured in "
        "the same run (the sections below give the details: latencies, CPU per request, rounds).",
        "",
        "| operation | Orbit | baseline | ratio | goal | met? |",
        "|---|---|---|---|---|---|",
        *(
            f"| {f.operation} | {f.orbit} | {f.baseline} | {f.ratio} | {f.goal} | "
            f"{'-' if f.met is None else 'yes' if f.met else '**no**'} |"
            for f in FIGURES
        ),
        "",
    ]
