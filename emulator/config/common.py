"""What every section of a profile shares: strict frozen models, and spans."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A profile section: unknown keys are errors, values are final, numbers finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def span(value: Any) -> Any:
    """Accept `5` or `[3, 8]` for durations drawn from the seeded random: (5.0, 5.0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (float(value), float(value))
    return value
