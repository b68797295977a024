"""The Spring 2022 version of hw2 (CSCI-GA 2572 Deep Learning, Spring 2022, theory part):
``hw2-spring2022``.

Its questions are hw2's (Fall 2022) 1.1, 1.2.1 and 1.3 with other sizes and numbering:
1.1.a is a 5 x 5 convolution with stride 2 on a 10 x 11 image; in 1.1.c, x : {1, ..., 7}
-> R^2 (2 channels, length 7), kernel size 5, stride 2 (W in R^{1 x 2 x 5}); the gated RNN
is 1.2 (a)-(d), in hw2's notation (c[t], h[t], W_h, h[0] = 0); 1.3 (debugging loss curves)
is hw2's 1.3.1-1.3.4. There is no AttentionRNN.

The checker contexts are hw2's builders (``hw2_contexts``) with these sizes. The answers:
1.1.b, 1.2 and 1.3 are hw2's (1.2.x is hw2's 1.2.1.x); 1.1.a and 1.1.c are the quantities
of their contexts (``hw2_years``).
"""

from __future__ import annotations

from functools import cache

from . import hw2_years as years
from .base import ProblemSet, Question
from .hw2 import GIVEN as HW2_GIVEN
from .hw2 import SIZES as HW2_SIZES
from .hw2 import TITLES as HW2_TITLES

NAME = "hw2-spring2022"
TITLE = (r"Homework 2 (theory, Spring 2022): convolutions and recurrent networks --- answers "
         r"by symgrad")

# 1.1.a: a 5 x 5 kernel, stride 2, on a 10 x 11 image; 1.1.c: 2 channels, length 7,
# kernel 5, stride 2
IMAGE, KERNEL, STRIDE = (10, 11), 5, 2
CONV1D = dict(in_channels=2, length=7, kernel_size=5, stride=2)

#: Spring 2022's 1.2 (a)-(d) are hw2's 1.2.1.a-d; its 1.3.1-1.3.4 are hw2's
HW2_IDS = {"1.1.b": "1.1.b", "1.2.a": "1.2.1.a", "1.2.b": "1.2.1.b", "1.2.c": "1.2.1.c",
           "1.2.d": "1.2.1.d", "1.3.1": "1.3.1", "1.3.2": "1.3.2", "1.3.3": "1.3.3",
           "1.3.4": "1.3.4"}
#: questions answered by a drawing or in prose: nothing to check
NOT_CHECKABLE = ("1.2.a", "1.3.1", "1.3.2", "1.3.3", "1.3.4")

_CONV = years.conv_statements(IMAGE, KERNEL, STRIDE, CONV1D)
IDS = ("1.1.a", "1.1.b", "1.1.c.i", "1.1.c.ii", "1.1.c.iii", "1.1.c.iv", "1.2.a", "1.2.b",
       "1.2.c", "1.2.d", "1.3.1", "1.3.2", "1.3.3", "1.3.4")

#: (id, plain statement, typeset statement)
_CATALOG = [(qid, *(_CONV[qid] if qid in _CONV else years.hw2_statement(HW2_IDS[qid])))
            for qid in IDS]

#: what each question states as its data (see ProblemSet.given)
GIVEN = {
    "1.1.a": years.conv2d_given(IMAGE, KERNEL, STRIDE),
    "1.1.b": HW2_GIVEN["1.1.b"],
    "1.1.c": years.conv1d_given(CONV1D, domain=True),
    "1.2": HW2_GIVEN["1.2.1"],
}

#: the sizes of each question by what prose calls them (see ProblemSet.sizes)
SIZES = {
    "1.1.a": years.conv2d_sizes(IMAGE, KERNEL, STRIDE),
    "1.1.b": HW2_SIZES["1.1.b"],
    "1.1.c": years.conv1d_sizes(CONV1D),
}

#: section titles (hw2's, without its AttentionRNN)
TITLES = {k: v for k, v in HW2_TITLES.items() if k in ("1", "1.1", "1.2", "1.3")}


# checker contexts ----------------------------------------------------------------------
_RNN_DEFAULTS = {"1.2.b": (("c", None), "dimension of c[t]"),
                 "1.2.c": (("loss", "W_x"), "dl/dW_x over K steps"),
                 "1.2.d": (("h", "h_prev"), "the state Jacobian dh[t]/dh[t-1]")}


@cache
def context(qid: str):
    """The checker's context for one question of hw2-spring2022."""
    return years.year_context(qid, IMAGE, KERNEL, STRIDE, CONV1D, _RNN_DEFAULTS)


#: hw2's references to its questions, in this year's numbering
_REFERENCES = years.cross_references({"Question~1.2.1(d)": "Question~1.2(d)"})


def _build(qid: str):
    if qid in HW2_IDS:
        return years.hw2_build(qid, HW2_IDS[qid], _REFERENCES)
    return years.conv_build(NAME, TITLE, context, qid, IMAGE, KERNEL, STRIDE)


def problem_set() -> ProblemSet:
    """The hw2-spring2022 problem set (a fresh one; ``registry.get`` keeps one)."""
    # later years number the recurrent part 1.2.1 (Fall 2022's "1.2.1 Part 1")
    pset = ProblemSet(NAME, TITLE, given=GIVEN, titles=TITLES, sizes=SIZES,
                      slow=("1.2.d", "1.3.1"), aliases={"1.2.1": "1.2"})
    for qid, statement, statement_tex in _CATALOG:
        ctx = None if qid in NOT_CHECKABLE else (lambda qid=qid: context(qid))
        pset.add(Question(qid, statement, _build(qid), ctx, statement_tex))
    return pset
