"""Domain-free index calculus: tensors, model graphs, the chain rule, evaluation, printing."""

from .errors import LimitError, ParseError, ShapeError, SymgradError, UnknownNameError
from .model import Model
from .quantity import Quantity, readable
from .tensor import Tensor, index, size

__all__ = ["LimitError", "Model", "ParseError", "Quantity", "ShapeError", "SymgradError",
           "Tensor", "UnknownNameError", "index", "readable", "size"]
