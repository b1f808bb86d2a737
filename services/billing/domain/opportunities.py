"""Sales projects and upsell: stages, and why a lost one was lost."""

from __future__ import annotations

from typing import Literal, get_args

Stage = Literal["lead", "qualified", "proposal", "won", "lost"]
STAGES: tuple[Stage, ...] = get_args(Stage)
OPEN_STAGES: tuple[Stage, ...] = ("lead", "qualified", "proposal")
Kind = Literal["upsell", "new_project"]
KINDS: tuple[Kind, ...] = get_args(Kind)


class StageError(ValueError):
    """``conflict``: the opportunity is closed (409); else the input is wrong (422)."""

    def __init__(self, msg: str, *, conflict: bool = False) -> None:
        super().__init__(msg)
        self.conflict = conflict


def change_stage(old: str, new: str, lost_reason: str | None) -> str | None:
    """The ``lost_reason`` to keep after moving from ``old`` to ``new``. Won and lost are
    final; ``lost`` needs a reason; any open stage may follow any open stage."""
    if new not in STAGES:
        raise StageError(f"unknown stage {new!r}")
    if old in ("won", "lost") and new != old:
        raise StageError(f"the opportunity is {old} already: it is closed", conflict=True)
    if new == "lost":
        if not (lost_reason or "").strip():
            raise StageError("lost_reason is required when the stage is lost")
        return (lost_reason or "").strip()
    if lost_reason:
        raise StageError("lost_reason is only for the stage lost")
    return None
