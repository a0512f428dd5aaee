"""The misconception catalogue: each a mutated rule or accumulation, replayed by one walk, and a
diagnosis that names the misconception a simulated student holds."""

import math

import pytest

from autograd_engine import Value
from autograd_engine.rules import RULES
from autograd_engine.teach.misconceptions import (
    MISCONCEPTIONS, NONE, counterexample, diagnose, quiz_data, replay)
from autograd_engine.teach.walkthrough import backward_steps


def branch():
    """Benedict Florance's f = (a+b)(b+c) at a = −1, b = 3, c = 4: b is used twice."""
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a + b) * (b + c)


def neuron():
    """σ(w·x + b) at w = 2, x = 1.5, b = −2: a neuron with a sigmoid."""
    w, x, b = Value(2.0, "w"), Value(1.5, "x"), Value(-2.0, "b")
    return (w * x + b).sigmoid()


def sub_div():
    """(a − b) / c at a = 5, b = 2, c = 4: a subtraction and a division."""
    a, b, c = Value(5.0, "a"), Value(2.0, "b"), Value(4.0, "c")
    return (a - b) / c


def maximum():
    """max(x·y, x + y) · 2 at x = 3, y = 2.5."""
    x, y = Value(3.0, "x"), Value(2.5, "y")
    return (x * y).max(x + y) * 2


def power():
    """(x·y − y)³ at x = 2.5, y = 2: a power, and y used twice (x·y − y = 3)."""
    x, y = Value(2.5, "x"), Value(2.0, "y")
    return (x * y - y) ** 3


BANK = (branch, neuron, sub_div, maximum, power)


def test_the_catalogue_names_at_least_the_seven_misconceptions_of_the_issue():
    assert {"overwrite_at_branch", "local_only", "no_swap", "max_to_both", "sign_slip", "sigmoid_of_input",
            "power_rule"} <= set(MISCONCEPTIONS)
    for name, m in MISCONCEPTIONS.items():
        assert m.name == name and m.description and "\n" not in m.description


@pytest.mark.parametrize("make", BANK)
def test_the_correct_student_replays_backward_steps_exactly(make):
    root = make()
    assert replay(root) == [s.parent_grad for s in backward_steps(make())]
    assert replay(root, carry=False) == replay(root)
    assert all(v.grad == 0.0 for v in root.nodes())  # replay touches no .grad


def test_mutated_rows_are_compiled_by_the_rule_table_s_own_machinery():
    no_swap = MISCONCEPTIONS["no_swap"].table["mul"]
    assert no_swap.grads == ("x", "y") and no_swap.z == RULES["mul"].z
    assert no_swap.fn(None, 2.0, 5.0) == (10.0, 2.0, 5.0)
    assert MISCONCEPTIONS["power_rule"].table["pow"].grads == ("n * m.pow(x, n)",)
    assert RULES["mul"].grads == ("y", "x")  # the real table is untouched
    assert set(MISCONCEPTIONS["sign_slip"].table) == {"sub", "rsub", "div", "rdiv"}  # only the rows it has wrong


@pytest.mark.parametrize("name", list(MISCONCEPTIONS))
def test_each_misconception_shows_on_its_smallest_graph(name):
    m = MISCONCEPTIONS[name]
    root = m.example()
    assert replay(root, name) != replay(root)
    text = counterexample(name)
    assert text.startswith(f"f = {m.expression} at ") and "so far, not" in text


def test_the_wrong_answers_are_the_ones_the_misconception_gives_by_hand():
    root = branch()  # steps: f→x, f→y, x→a, x→b, y→b, y→c
    assert replay(root, "overwrite_at_branch") == [7, 2, 7, 7, 2, 2]  # b keeps the last 2, not 9
    assert replay(root, "no_swap") == [2, 7, 2, 2, 9, 7]  # ∂f/∂x taken as x = 2
    assert replay(root, "local_only") == [7, 2, 1, 1, 2, 1]  # x→a sends 1, not 7·1
    root = sub_div()  # (a − b) / c: f→v1 (1/c = 1/4), f→c (−z/c = −3/16), v1→a, v1→b
    assert replay(root, "sign_slip") == [0.25, 3 / 16, 0.25, 0.25]
    assert replay(root) == [0.25, -3 / 16, 0.25, -0.25]
    x = Value(3.0, "x")
    assert replay(x ** 2, "power_rule") == [18.0]
    assert replay(Value(0.0, "x").sigmoid(), "sigmoid_of_input") == [0.0]
    assert replay(Value(3.0, "x").max(Value(1.0, "y")), "max_to_both") == [1.0, 1.0]


@pytest.mark.parametrize("name", list(MISCONCEPTIONS))
def test_a_simulated_student_is_diagnosed_with_the_misconception_they_hold(name):
    items = [(make(), replay(make(), name)) for make in BANK]
    ranking = diagnose(items)
    assert ranking[0][0] == name, ranking
    assert ranking[0][1] == 1.0
    assert dict(ranking)[NONE] < 1.0


def test_a_correct_student_is_diagnosed_none():
    items = [(make(), [s.parent_grad for s in backward_steps(make())]) for make in BANK]
    ranking = diagnose(items)
    assert ranking[0] == (NONE, 1.0)
    assert [n for n, _ in ranking[1:]] == [n for n in MISCONCEPTIONS if n != NONE] or len(ranking) == 8


def test_a_correct_student_rounding_to_three_digits_is_still_correct():
    root = neuron()
    answers = [float(f"{a:.3g}") for a in replay(root)]
    assert diagnose([(root, answers)])[0][0] == NONE


def test_unanswered_steps_do_not_count_and_a_student_who_answered_nothing_is_none():
    items = []
    for make in BANK:
        answers = replay(make(), "sign_slip")
        items.append((make(), [a if k % 2 else None for k, a in enumerate(answers)]))
    assert diagnose(items)[0][0] == "sign_slip"
    assert diagnose([(branch(), [None] * 6)])[0] == (NONE, 0.0)


def test_the_quiz_compares_one_step_at_a_time_from_the_correct_numbers():
    root = branch()
    data = quiz_data(root)
    assert set(data) == set(MISCONCEPTIONS)
    # b's second step: the overwriting student writes 2 after seeing the correct 7 before it
    assert data["overwrite_at_branch"]["after"] == [7, 2, 7, 7, 2, 2]
    # local_only without carrying: each step's own mistake only (b: the correct 7, plus 1 not 2)
    assert data["local_only"]["after"] == [7, 2, 1, 1, 8, 1]
    assert data["local_only"]["contribution"] == [7, 2, 1, 1, 1, 1]
    assert data["overwrite_at_branch"]["contribution"] == [7, 2, 7, 7, 2, 2]  # its slip is in the sum only
    assert all(math.isfinite(a) for d in data.values() for a in d["after"] + d["contribution"])


@pytest.mark.parametrize("items, error, words", [
    ([(1.0, [1.0])], TypeError, "root must be a Value"),
    ([(branch(), [1.0])], ValueError, "1 answers for a graph of 6"),
    ([(branch(), [1.0, "2", None, None, None, None])], TypeError, "answer 2"),
    ([(branch(), [math.nan] + [None] * 5)], ValueError, "not a finite number"),
    ([branch()], TypeError, "pair (root, answers)"),
])
def test_bad_input_to_diagnose_names_the_item_and_the_answer(items, error, words):
    with pytest.raises(error, match="diagnose") as e:
        diagnose(items)
    assert words in str(e.value)


def test_an_unknown_misconception_is_a_value_error_listing_the_names():
    with pytest.raises(ValueError, match="replay: no misconception named 'carry_the_one'.*sign_slip"):
        replay(branch(), "carry_the_one")
