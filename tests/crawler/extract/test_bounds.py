"""Remembered results are reused at their depth or deeper and cut cycles; sizes count shared parts."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crawler.extract.bounds import MAX_HEIGHT, MAX_VALUE_SIZE, Memo, Sizes


def test_a_result_is_reused_at_its_depth_or_deeper_and_worked_out_again_nearer_the_top() -> None:
    memo: Memo[str] = Memo()
    calls: list[int] = []

    def compute(depth: int) -> str:
        calls.append(depth)
        return f"at {depth}"

    assert memo.remembered("k", 5, "cut", lambda: compute(5)) == "at 5"
    assert memo.remembered("k", 9, "cut", lambda: compute(9)) == "at 5"
    assert memo.remembered("k", 2, "cut", lambda: compute(2)) == "at 2"
    assert memo.remembered("k", 5, "cut", lambda: compute(5)) == "at 2"
    assert calls == [5, 2]


def test_a_key_met_again_while_it_is_worked_out_stands_for_the_cut_value() -> None:
    memo: Memo[str] = Memo()

    def itself() -> str:
        inner = memo.remembered("k", 1, "cut", lambda: "never")
        return f"outer around {inner}"

    assert memo.remembered("k", 0, "cut", itself) == "outer around cut"
    assert memo.recall("k", 0) == ("outer around cut",)


def test_sizes_count_characters_and_entries_as_if_nothing_were_shared() -> None:
    sizes = Sizes()
    leaf = ["abc", 1]  # 1 + 3 + 1
    pair = {"ab": leaf, "c": leaf}  # 1 + (2 + 5) + (1 + 5)

    assert sizes.measure(leaf) == (5, 1)
    assert sizes.measure(pair) == (14, 2)


def test_values_sharing_parts_are_measured_without_walking_them_out() -> None:
    sizes = Sizes()
    value: Any = "x"
    for _ in range(200):  # 2^200 characters written out, 200 objects in memory
        value = [value, value]
        sizes.measure(value)

    assert sizes.measure(value)[0] > MAX_VALUE_SIZE
    assert not sizes.fits(value)


def test_a_value_nested_deeper_than_the_height_limit_does_not_fit() -> None:
    sizes = Sizes()
    value: Any = "x"
    for _ in range(MAX_HEIGHT):
        value = [value]
        sizes.measure(value)

    assert sizes.fits(value)
    assert not sizes.fits([value])


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                    max_leaves=30)


def _walked(value: Any) -> tuple[int, int]:
    if isinstance(value, str):
        return len(value), 0
    if isinstance(value, list):
        parts = [_walked(item) for item in value]
    elif isinstance(value, dict):
        parts = [(len(key) + size, height) for key, (size, height) in
                 ((key, _walked(item)) for key, item in value.items())]
    else:
        return 1, 0
    return 1 + sum(size for size, _ in parts), max((height + 1 for _, height in parts), default=1)


@given(JSON)
def test_measuring_agrees_with_walking_the_value_out(value: Any) -> None:
    assert Sizes().measure(value) == _walked(value)
