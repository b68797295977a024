"""The verdict on one claim: what was checked, what was found, and a counterexample."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

VERDICTS = ("correct", "incorrect", "layout", "unparsed")


def _plain(value):
    """A JSON-ready copy: NumPy scalars and arrays become Python numbers and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    if isinstance(value, int | str) or value is None:
        return value
    return str(value)


@dataclass(frozen=True)
class Verdict:
    """``verdict`` is correct, incorrect, layout (right values, other layout) or unparsed."""

    verdict: str
    explanation: str
    counterexample: dict | None = None
    hint: str | None = None
    claim_latex: str = ""
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, not {self.verdict!r}")

    @property
    def ok(self) -> bool:
        return self.verdict == "correct"

    def to_dict(self) -> dict:
        """A JSON-ready dict of every field (and ``ok``)."""
        counter = _plain(self.counterexample)
        if isinstance(counter, dict):
            counter = {k: str(v) if k in ("claimed", "true") and v is not None else v
                       for k, v in counter.items()}
        return {"verdict": self.verdict, "ok": self.ok, "explanation": self.explanation,
                "counterexample": counter, "hint": self.hint,
                "claim_latex": self.claim_latex, "notes": list(self.notes)}

    def format(self) -> str:
        """A few lines for a terminal."""
        lines = [f"{self.verdict.upper()}: {self.explanation}"]
        if self.claim_latex:
            lines.append(f"  claim read as: {self.claim_latex}")
        if self.counterexample:
            parts = ", ".join(f"{k} = {_show(v)}" for k, v in self.counterexample.items())
            lines.append(f"  counterexample: {parts}")
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()


def _show(value) -> str:
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return str(value)
