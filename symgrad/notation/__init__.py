"""The one reader of user LaTeX: claims for the checker and review, equations for
``Model.from_latex``. Everything that turns typed LaTeX into SymPy lives here.

    lexer        tokens with positions into the text as typed
    names        declarations, the resolver of names and time indices
    expressions  the grammar of formulas
    claims       a claim's parts: shapes, formulas, systems, definitions
    where        definitions after `where` of a question's own tensors (recursions)
    equations    a model from its equations
"""

from ..core.services import provide
from .claims import (
    ArithmeticClaim,
    ExprShapeClaim,
    FormulaClaim,
    IdentityClaim,
    Ref,
    ShapeClaim,
    SizeClaim,
    SystemClaim,
    Unjudged,
    offset_letters,
    parse_claim,
    read_definitions,
)
from .equations import model_from_latex, split_equations, time_key
from .expressions import IDENTITY, ONES, Kron, UnitVector, VStack, parse_expression
from .names import IMPLIED_BASE, Declarations, TensorDecl
from .time import Step, at_step, map_steps, parse_step  # noqa: F401  (registers the time services)
from .where import WhereIdentity, WherePart, read_where

__all__ = ["IDENTITY", "IMPLIED_BASE", "ONES", "Kron", "UnitVector", "VStack", "ArithmeticClaim",
           "Declarations", "ExprShapeClaim", "FormulaClaim", "IdentityClaim", "Ref", "ShapeClaim",
           "SizeClaim",
           "SystemClaim",
           "TensorDecl", "Unjudged", "model_from_latex", "offset_letters", "parse_claim",
           "parse_expression",
           "read_definitions", "read_where", "split_equations", "WhereIdentity", "WherePart"]

provide("model_from_latex", model_from_latex)
provide("time_key", time_key)
