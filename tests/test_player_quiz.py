"""The player's quiz control in a real browser: play(root, quiz=True) opens in quiz mode, only the
chosen steps are asked, rule hints can be hidden, a wrong answer stays in the box, "End" counts
the unanswered steps, and after a few wrong answers the page names the misconception that the
Python catalogue says produces them."""

import pytest

pytest.importorskip("graphviz")

from autograd_engine import Value, play  # noqa: E402
from autograd_engine.cli.main import main  # noqa: E402
from autograd_engine.teach.misconceptions import MISCONCEPTIONS, quiz_data  # noqa: E402


def florance():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a + b) * (b + c)


def products():
    """(x·y)·(w − x) at x = 2, y = 5, w = 3: two products and a subtraction."""
    x, y, w = Value(2.0, "x"), Value(5.0, "y"), Value(3.0, "w")
    return (x * y) * (w - x)


def maximum():
    x, y = Value(3.0, "x"), Value(2.5, "y")
    return (x * y).max(x + y) * 2


def power_neuron():
    x, w = Value(1.5, "x"), Value(2.0, "w")
    return (w * x - 1) ** 2 + (w * x).sigmoid()


# ---- the data (no browser) ---------------------------------------------------------------------
def test_play_carries_the_quiz_options_and_each_misconception_s_answers():
    p = play(florance(), quiz=True, ask=[2, 5], hints=False)
    q = p.data["quiz"]
    assert q["start"] is True and q["hints"] is False and q["skip"] == [0, 2, 3, 5]
    assert q["misconceptions"] == quiz_data(florance())  # computed by the Python catalogue
    assert set(q["misconceptions"]) == set(MISCONCEPTIONS)
    assert 'src="quiz.js"' not in p.html and 'addEventListener("quiz:wrong"' in p.html  # inlined
    assert play(florance()).data["quiz"]["start"] is False


@pytest.mark.parametrize("kwargs, error, words", [
    ({"ask": [0]}, ValueError, "play: ask holds step numbers from 1 to 6"),
    ({"ask": [7]}, ValueError, "got 7"),
    ({"ask": "12"}, TypeError, "play: ask must be step numbers"),
    ({"quiz": "yes"}, TypeError, "play: quiz must be True or False"),
    ({"hints": None}, TypeError, "play: hints must be True or False"),
])
def test_bad_quiz_options_name_play_and_the_option(kwargs, error, words):
    with pytest.raises(error, match="play") as e:
        play(florance(), **kwargs)
    assert words in str(e.value)


def test_trace_html_quiz_writes_a_page_that_starts_in_quiz_mode(tmp_path, capsys):
    path = tmp_path / "q.html"
    assert main(["trace", "(a+b)*(b+c)", "a=-1", "b=3", "c=4", "--html", str(path), "--quiz"]) == 0
    assert '"start":true' in path.read_text(encoding="utf-8")
    assert main(["trace", "a*b", "a=1", "b=2", "--quiz"]) == 2
    assert "--quiz is an option of the player: add --html FILE" in capsys.readouterr().err


# ---- in a real browser -------------------------------------------------------------------------
@pytest.fixture
def open_quiz(browser, tmp_path):
    pages = []

    def opener(root, **kwargs):
        player = play(root, **kwargs)
        path = tmp_path / f"quiz{len(pages)}.html"
        player.save(path)
        page = browser.new_page(viewport={"width": 1100, "height": 700})
        errors = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("body[data-ready='1']")
        pages.append((page, errors))
        page.first_step = len(player.data["nodes"]) + 2  # frames: start, forward..., seed, steps
        page.n_steps = player.n_steps
        return page

    yield opener
    for page, errors in pages:
        page.close()
        assert not errors, errors  # a page that throws can still look fine


def go_to_step(page, k):
    """Frame of backward step k (1-based), by the player's own buttons."""
    page.click("#start")
    page.evaluate(f"() => {{ for (let i = 0; i < {page.first_step + k - 1}; i++) "
                  "document.getElementById('step').click(); }")


def answer(page, text):
    page.fill("#answer", text)
    page.click("#check")


def test_quiz_true_opens_in_quiz_mode(open_quiz):
    page = open_quiz(florance(), quiz=True)
    assert page.is_checked("#quiz") and page.evaluate("document.body.classList.contains('quiz')")
    go_to_step(page, 1)
    assert page.text_content("#contribution") == "?" and page.is_visible("#answer")
    plain = open_quiz(florance())
    assert not plain.is_checked("#quiz")


def test_only_the_chosen_steps_are_asked_and_end_counts_the_unanswered(open_quiz):
    page = open_quiz(florance(), quiz=True, ask=[2, 5])
    go_to_step(page, 1)  # not asked: shown as in a demonstration
    assert page.text_content("#contribution") == "7" and page.is_disabled("#answer")
    go_to_step(page, 2)
    assert page.text_content("#contribution") == "?" and not page.is_disabled("#answer")
    answer(page, "2")
    assert page.text_content("#score") == "score 1 / 2"
    page.click("#end")
    what = page.text_content("#what")
    assert "Quiz score: 1 of 2" in what and "1 of 2 steps left unanswered" in what


def test_a_wrong_answer_stays_in_the_box_and_hints_can_be_hidden(open_quiz):
    page = open_quiz(florance(), quiz=True, hints=False)
    go_to_step(page, 5)
    answer(page, "3")
    assert page.input_value("#answer") == "3"
    assert page.evaluate("document.getElementById('answer').classList.contains('wrong')")
    assert page.text_content("#rule") == "" and "rule" not in page.text_content("#feedback")
    page.click("#step")
    page.click("#back")  # away and back: still there
    assert page.input_value("#answer") == "3"
    hinted = open_quiz(florance(), quiz=True)
    go_to_step(hinted, 5)
    answer(hinted, "3")
    assert "add distributes" in hinted.text_content("#rule") and "The rule" in hinted.text_content("#feedback")


@pytest.mark.parametrize("make, name, ask", [
    (products, "no_swap", "contribution"),
    (products, "sign_slip", "contribution"),
    (florance, "overwrite_at_branch", "after"),
    (products, "local_only", "contribution"),
    (power_neuron, "power_rule", "contribution"),
    (power_neuron, "sigmoid_of_input", "after"),
    (maximum, "max_to_both", "after"),
])
def test_a_student_holding_a_misconception_is_told_its_name_and_its_smallest_graph(open_quiz, make, name, ask):
    page = open_quiz(make(), quiz=True)
    page.select_option("#ask", ask)
    expected = quiz_data(make())[name][ask]
    for k, value in enumerate(expected, 1):
        go_to_step(page, k)
        answer(page, repr(value))
    assert page.evaluate("document.body.dataset.misconception") == name
    text = page.text_content("#diagnosis")
    assert MISCONCEPTIONS[name].description in text and MISCONCEPTIONS[name].expression in text
    box = page.locator("#diagnosis").bounding_box()
    assert box is not None and 0 < box["y"] and box["y"] + box["height"] <= 700  # in sight, not scrolled away


def test_a_correct_student_hears_of_no_misconception(open_quiz):
    page = open_quiz(products(), quiz=True)
    for k in range(1, page.n_steps + 1):
        go_to_step(page, k)
        answer(page, page.evaluate(f"JSON.parse(document.getElementById('player-data').textContent)"
                                   f".steps[{k - 1}].text.contribution"))
    assert page.text_content("#diagnosis") == ""
    assert page.text_content("#score") == f"score {page.n_steps} / {page.n_steps}"
