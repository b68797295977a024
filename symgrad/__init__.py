"""symgrad: closed-form, dimension-generic Jacobians and gradients of deep-learning layers.

    import symgrad as sg
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    conv.jacobian("x").latex()
"""

from collections.abc import Sequence

from . import notation, verify  # noqa: F401  (they register Model.from_latex and Quantity.check)
from .core import Model, Quantity, SymgradError
from .core.errors import LimitError, ParseError, ShapeError, UnknownNameError
from .layers.attention_rnn import AttentionRNN
from .layers.conv import Conv1d, Conv2d, conv_output_shape
from .layers.gated_rnn import GatedRNN
from .problems import registry  # noqa: F401  (it registers the problem sets for review)

__all__ = ["AttentionRNN", "Conv1d", "Conv2d", "GatedRNN", "LimitError", "Model", "ParseError",
           "Quantity", "ShapeError", "SymgradError", "UnknownNameError", "answer", "check",
           "conv_output_shape"]
__version__ = "0.1.0"
CHECK_SECONDS = 12


def answer(qid: str, index_base: int = 1):
    """The answer to a question of hw2: ``.latex`` and ``.quantity`` (where there is one)."""
    from .problems.hw2 import answer as _answer

    return _answer(qid, index_base)


def check(qid: str, latex: str, index_base: int = 1, definitions: Sequence[str] = ()):
    """Verdict on a hand-written claim for a question of hw2: ``.verdict``, ``.ok``,
    ``.explanation``, ``.counterexample``. ``definitions`` are what the writer defined
    before the claim (``s_p = 2p - 1``, ``\\hat{y} := f_W(x)``), read first."""
    from .core.limits import time_limit
    from .problems.hw2 import check as _check

    with time_limit(CHECK_SECONDS, "checking the claim"):
        return _check(qid, latex, index_base, definitions)
