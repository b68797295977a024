"""time_limit ends runaway work with a LimitError."""

import time

import pytest

from symgrad.core.errors import LimitError
from symgrad.core.limits import time_limit


def test_time_limit_stops_a_loop():
    start = time.perf_counter()
    with pytest.raises(LimitError, match="longer than 0.2 s"):
        with time_limit(0.2, "checking"):
            while True:
                pass
    assert time.perf_counter() - start < 2


def test_time_limit_lets_quick_work_finish():
    with time_limit(5):
        assert sum(range(10)) == 45
