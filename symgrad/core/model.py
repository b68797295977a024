"""A model is a graph of named definitions in index notation; the chain rule runs over it.

Each definition states one tensor's element, e.g. ``c[i] = sigmoid(z[i])``. The total
derivative of a tensor with respect to another is the sum, over the tensors its
definition reads, of (partial derivative) x (total derivative of that tensor), with
the Kronecker-delta sums collapsed. Known derivative rules are stated in terms of the
named output (sigma' = c (1 - c), softargmax' = diag(a) - a a^T), so results are
written in the model's own intermediates.

Definitions may also be given in matrix notation (``define("c", sigmoid(W_c * x))`` with
non-commutative tensor symbols and the heads of ``symgrad.core.ops``); they are turned
into index notation, naming the products and arguments that need a name. A tensor
read at an earlier time step (``h[t-1]``) is a lagged tensor (``h_prev``); with one, the
model is recurrent and ``grad(..., steps=K)`` back-propagates through time.

``Model`` is put together from one module per concern:

- ``core.definitions``: declarations, definitions and the graph (``Graph``);
- ``core.matrix_notation``: definitions in matrix notation (``MatrixNotation``);
- ``core.chain_rule``: partial and total derivatives (``ChainRule``);
- ``core.forward``: the forward pass (``Forward``);
- ``core.results``: results as Quantities, Jacobians, gradients (``Results``);
- here: reading LaTeX (a service of ``symgrad.notation``) and printing.
"""

from __future__ import annotations

from collections.abc import Mapping

from .definitions import Definition, Rule, identifier, time_key
from .results import GIVEN, Results
from .services import service
from .shapes import ShapeSpec

__all__ = ["GIVEN", "Definition", "Model", "Rule", "identifier", "time_key"]


class Model(Results):
    """Tensors (inputs, parameters, states) and the definitions computed from them."""

    @classmethod
    def from_latex(cls, text: str, shapes: Mapping[str, ShapeSpec], name: str = "model",
                   index_base: int = 1) -> Model:
        """A model from equations in homework LaTeX, one per line or separated by ``\\\\``.

        ``shapes`` maps names as written (``x`` covers ``x[t]``, ``h`` covers ``h[t]``
        and ``h[t-1]``) to shapes such as ``"m x n"``; see ``symgrad.notation.equations``.
        """
        return service("model_from_latex")(text, shapes, name=name, index_base=index_base)

    def latex(self, index_base: int = 1) -> str:
        """The model's definitions in index notation, one per line (``\\\\``)."""
        return r" \\ ".join(self.value(n).latex(index_base=index_base)
                            for n in self.definitions)

    def __repr__(self) -> str:
        return (f"<Model {self.name}: {len(self.tensors) - len(self.definitions)} inputs, "
                f"{len(self.definitions)} definitions>")
