"""The quality gate: a new version replaces the active one only if it is not worse."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reason: str


def quality_gate(
    *, candidate: float | None, active: float | None, force: bool = False, comparable: bool = True
) -> GateDecision:
    """Promote only a version that is not worse than the active one on the primary metric.

    The first version always passes; ``force`` lets an operator override the comparison. When the
    active version was measured under another evaluation protocol (``comparable`` False: other
    targets, another metric definition) its figure says nothing about the candidate, which then
    passes like a first version.
    """
    if candidate is None or math.isnan(candidate):
        if force:
            return GateDecision(True, "forced (no primary metric)")
        return GateDecision(False, "rejected: no primary metric")
    if active is None:
        return GateDecision(True, f"promoted: first version ({candidate:.4f})")
    if not comparable:
        return GateDecision(
            True, f"promoted: {candidate:.4f}; the active version ({active:.4f}) was measured differently"
        )
    if candidate >= active:
        return GateDecision(True, f"promoted: {candidate:.4f} >= active {active:.4f}")
    if force:
        return GateDecision(True, f"forced: {candidate:.4f} < active {active:.4f}")
    return GateDecision(False, f"rejected: {candidate:.4f} < active {active:.4f}")
