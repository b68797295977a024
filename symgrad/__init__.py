"""symgrad: closed-form, dimension-generic Jacobians and gradients of deep-learning layers.

    import symgrad as sg
    conv = sg.Conv1d(in_channels=5, length=7, kernel_size=3, stride=2)
    conv.jacobian("x").latex()
"""

from .core import Model, Quantity, SymgradError
from .core.errors import LimitError, ParseError, ShapeError, UnknownNameError
from .layers.conv import Conv1d, Conv2d, conv_output_shape
from .layers.gated_rnn import GatedRNN

__all__ = ["Conv1d", "Conv2d", "GatedRNN", "LimitError", "Model", "ParseError", "Quantity",
           "ShapeError", "SymgradError", "UnknownNameError", "conv_output_shape"]
__version__ = "0.1.0"
