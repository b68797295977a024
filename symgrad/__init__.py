"""symgrad: closed-form, dimension-generic Jacobians and gradients of deep-learning layers.

    import symgrad as sg
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    conv.jacobian("x").latex()
"""

from collections.abc import Sequence
from os import PathLike

from . import notation, verify  # noqa: F401  (they register Model.from_latex and Quantity.check)
from ._version import __version__
from .core import Model, Quantity, SymgradError
from .core.errors import LimitError, ParseError, ShapeError, UnknownNameError
from .core.limits import CHECK_SECONDS
from .layers.attention_rnn import AttentionRNN
from .layers.conv import Conv1d, Conv2d, conv_output_shape
from .layers.gated_rnn import GatedRNN
from .problems import registry

__all__ = ["CHECK_SECONDS", "AttentionRNN", "Conv1d", "Conv2d", "GatedRNN", "LimitError", "Model",
           "ParseError", "Quantity", "ShapeError", "SymgradError", "UnknownNameError",
           "__version__", "answer", "check", "conv_output_shape", "review"]


def answer(qid: str, index_base: int = 1, set: str | None = None):
    """The answer to a question of a problem set (default hw2): ``.latex`` and
    ``.quantity`` (where there is one)."""
    return registry.get(set).answer(qid, index_base)


def check(qid: str, latex: str, index_base: int = 1, definitions: Sequence[str] = (),
          set: str | None = None):
    """Verdict on a hand-written claim for a question of a problem set (default hw2; a
    registered name or a .toml file): ``.verdict``, ``.ok``, ``.explanation``,
    ``.counterexample``. ``definitions`` are what the writer defined before the claim
    (``s_p = 2p - 1``, ``\\hat{y} := f_W(x)``), read first."""
    from .core.limits import time_limit
    from .verify import check_claim

    question = registry.get(set).question(qid)
    if question.context is None:
        raise SymgradError(f"question {question.id} has nothing to check (prose only)")
    with time_limit(CHECK_SECONDS, "checking the claim"):
        return check_claim(question.context(), latex, index_base, definitions)


def review(paths: str | PathLike | Sequence[str | PathLike], index_base: int = 1,
           set: str | None = None) -> list:
    """Review whole write-ups (.tex .md .ipynb .txt) against a problem set (default hw2):
    one FileReview per file, with ``.claims`` (each with its ``.verdict``), ``.shown``
    (definitions, restated data, what was not placed) and ``.summary()``."""
    from .verify.review import Reviewer

    files = [paths] if isinstance(paths, (str, PathLike)) else list(paths)
    return Reviewer(index_base, problems=registry.get(set)).review(files)
