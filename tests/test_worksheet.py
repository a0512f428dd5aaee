"""Teacher's kit: step tables in Markdown and LaTeX, worksheets with blanks and keys recomputed
from the engine, variants that are distinct and exact by hand, and the ``worksheet`` command."""

import re
import shutil
import subprocess

import pytest

import autograd_engine
from autograd_engine import Value
from autograd_engine.cli.main import main
from autograd_engine.teach.tables import latex_escape
from autograd_engine.teach.variants import is_exact, leaf_values, rebuild, variants
from autograd_engine.teach.walkthrough import backward_steps, format_steps, step_rows
from autograd_engine.teach.worksheet import sheet, worksheet


def florance():
    a, b, c = Value(-1.0, "a"), Value(3.0, "b"), Value(4.0, "c")
    return (a + b) * (b + c)


def neuron():
    w, x, b = Value(2.0, "w"), Value(1.5, "x"), Value(-3.0, "b")
    return (w * x + b).sigmoid()


def md_rows(table: str) -> list[list[str]]:
    lines = [line for line in table.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[1:]]


# ---- format_steps ------------------------------------------------------------------------------
def test_markdown_and_latex_step_tables_hold_the_same_rows_as_the_text_table():
    rows = step_rows(list(backward_steps(florance())))
    md = format_steps(backward_steps(florance()), fmt="markdown")
    assert md.splitlines()[0] == "| step | node → parent | ∂L/∂z | ∂z/∂x | contribution | parent grad so far |"
    assert md.splitlines()[1] == "|---:|:---|---:|---:|---:|---:|"
    assert [tuple(r) for r in md_rows(md)] == rows
    tex = format_steps(backward_steps(florance()), fmt="latex")
    assert tex.startswith(r"\begin{tabular}{rlrrrr}") and tex.endswith(r"\end{tabular}")
    body = [line for line in tex.splitlines() if line[:1].isdigit()]
    assert body[4] == r"5 & v2 $\to$ b & $2$ & $1$ & $2$ & $9$ \\"  # b: 7, then 2 more
    assert len(body) == len(rows)
    with pytest.raises(ValueError, match="format_steps: fmt must be one of 'text', 'markdown', 'latex', got 'rtf'"):
        format_steps(backward_steps(florance()), fmt="rtf")


def test_labels_are_escaped_in_markdown_and_latex():
    x = Value(2.0, "x_1 & 50%|$")
    f = x * Value(3.0, "y")
    md = format_steps(backward_steps(f), fmt="markdown")
    assert r"x\_1 & 50%\|$" in md and len(md_rows(md)[0]) == 6
    tex = format_steps(backward_steps(f), fmt="latex")
    assert r"x\_1 \& 50\%\textbar{}\$" in tex
    assert latex_escape("a\\b{c}~^") == r"a\textbackslash{}b\{c\}\textasciitilde{}\textasciicircum{}"


# ---- worksheets --------------------------------------------------------------------------------
def test_the_worksheet_blanks_the_gradients_and_the_key_is_the_engine_s_backward_pass():
    f = florance()
    sheet_md, key_md = worksheet(f), worksheet(f, key=True)
    steps = list(backward_steps(florance()))
    blank_rows = md_rows(sheet_md.split("## The backward pass")[1])
    key_rows = md_rows(key_md.split("## The backward pass")[1])
    for s, blank, key in zip(steps, blank_rows, key_rows):
        assert blank[2] == blank[4] == blank[5] == r"\_\_\_\_" and blank[3] == f"{s.local:g}"
        assert key[2:] == [f"**{s.upstream:g}**", f"{s.local:g}", f"**{s.contribution:g}**", f"**{s.parent_grad:g}**"]
    graph = {r[0]: r for r in md_rows(key_md.split("## The graph")[1].split("##")[0])}
    assert graph["b"][3] == "**9**" and graph["f"][3] == "1"  # the seed is given
    assert all(v.grad == 0.0 for v in f.nodes())  # no .grad changed


@pytest.mark.parametrize("blanks, blank_columns", [
    ("local", {3, 4}), ("data", set()), (["local", "grad"], {2, 3, 4, 5}), ("all", {2, 3, 4, 5}), ("none", set())])
def test_blanks_choose_the_cells_the_student_fills_in(blanks, blank_columns):
    rows = md_rows(worksheet(neuron(), blanks).split("## The backward pass")[1])
    for row in rows:
        assert {k for k, c in enumerate(row) if c == r"\_\_\_\_"} == blank_columns
    graph = md_rows(worksheet(neuron(), blanks).split("## The graph")[1].split("##")[0])
    data_blank = {r[0] for r in graph if r[2] == r"\_\_\_\_"}
    assert data_blank == ({"v1", "v2", "f"} if blanks in ("data", "all") else set())


def test_bad_worksheet_arguments_name_the_function():
    with pytest.raises(ValueError, match="worksheet: blanks must be among"):
        worksheet(florance(), blanks="gradients")
    with pytest.raises(ValueError, match="worksheet: fmt must be 'md', 'latex' or 'html', got 'pdf'"):
        worksheet(florance(), fmt="pdf")
    with pytest.raises(TypeError, match="worksheet: root must be a Value"):
        worksheet(3.0)
    assert autograd_engine.worksheet is worksheet
    with pytest.raises(ValueError, match="worksheet: the graph has 201 backward steps, more than 200"):
        worksheet(Value.sum([Value(1.0)] * 201))
    assert "(no edges" not in worksheet(Value(2.0, "x"))  # a leaf: a sheet with no steps, not an error


def test_the_latex_worksheet_is_a_whole_document_with_its_key_in_bold():
    tex = worksheet(florance(), fmt="latex")
    assert tex.startswith(r"\documentclass") and tex.rstrip().endswith(r"\end{document}")
    assert tex.count(r"\begin{tabular}") == tex.count(r"\end{tabular}") == 2
    assert r"\rule{1.6cm}{0.4pt}" in tex and r"\textbf" not in tex
    x = Value(2.0, "x_1 & {50%}")
    strange = worksheet(x * Value(3.0, "y"), "all", fmt="latex")
    bare = re.sub(r"\\[{}]", "", strange)  # braces that are structure, not escaped text
    assert bare.count("{") == bare.count("}") and bare.count("$") % 2 == 0
    assert r"x\_1 \& \{50\%\}" in strange
    key = worksheet(florance(), fmt="tex", key=True)
    assert r"\textbf{$9$}" in key and r"\rule{" not in key


@pytest.mark.parametrize("key", [False, True])
def test_the_latex_worksheet_compiles_where_a_tex_is_installed(tmp_path, key):
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        pytest.skip("no pdflatex on this machine (TeX is not installed here)")
    x = Value(2.0, "x_1 & 50%")
    (tmp_path / "w.tex").write_text(worksheet((x * Value(3.0, "y") - x).max(x), "all", fmt="latex", key=key))
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "w.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "w.pdf").stat().st_size > 1000


def test_the_html_worksheet_is_self_contained_and_prints():
    pytest.importorskip("graphviz")
    html = worksheet(florance(), fmt="html")
    assert "Content-Security-Policy" in html and "<script" not in html and "src=" not in html
    assert "@page" in html and "@media print" in html
    assert html.count("<svg") == 1 and "grad ?" in html and "grad 9" not in html
    key = worksheet(florance(), fmt="html", key=True)
    assert "grad 9" in key and "grad ?" not in key and "answer key" in key
    x = Value(1.0, "<img src=x onerror=alert(1)>")
    assert "<img" not in worksheet(x * 2, fmt="html")


# ---- variants ----------------------------------------------------------------------------------
def shape(root):
    return [(v.op, len(v.parents), v.label) for v in root.nodes()]


BANK = {
    "branch": florance,
    "neuron": neuron,
    "sub_div": lambda: (Value(5.0, "a") - Value(2.0, "b")) / Value(4.0, "c"),
    "max": lambda: (lambda x, y: (x * y).max(x + y) * 2)(Value(3.0, "x"), Value(2.5, "y")),
    "power": lambda: (lambda x, y: (x * y - y) ** 3)(Value(2.5, "x"), Value(2.0, "y")),
}


@pytest.mark.parametrize("name", list(BANK))
def test_variants_keep_the_shape_are_distinct_and_every_number_is_exact(name):
    root = BANK[name]()
    found = variants(root, 6, seed=11)
    assert len({tuple(leaf_values(v).values()) for v in found}) == 6
    for v in found:
        assert shape(v) == shape(root)
        assert all(x == round(x * 2) / 2 and x not in (0.0, 1.0) for x in leaf_values(v).values())
        s = sheet(v, "all")
        numbers = [float(c.text) for *_, value, grad in s.graph for c in (value, grad)]
        numbers += [float(c.text) for row in s.steps for c in row[2:]]
        assert all(is_exact(x) for x in numbers)
        for step in backward_steps(v):
            assert step.contribution != 0.0 or step.upstream == 0.0 or step.node.op == "max"
            if step.node.op in ("mul", "div", "pow", "sigmoid"):
                assert step.local not in (0.0, 1.0)
    again = variants(BANK[name](), 6, seed=11)
    assert [leaf_values(v) for v in again] == [leaf_values(v) for v in found]  # the same seed, the same set
    assert [leaf_values(v) for v in variants(root, 6, seed=12)] != [leaf_values(v) for v in found]


def test_a_rebuilt_graph_computes_what_the_engine_computes():
    v = rebuild(florance(), [2.0, -0.5, 3.0])
    a, b, c = Value(2.0), Value(-0.5), Value(3.0)
    assert v.data == ((a + b) * (b + c)).data
    assert [s.parent_grad for s in backward_steps(v)] == [s.parent_grad for s in backward_steps((a + b) * (b + c))]


def test_variants_that_cannot_be_exact_are_refused_with_the_count():
    x, y = Value(0.5, "x"), Value(2.0, "y")
    with pytest.raises(ValueError, match=r"variants: found 0 of 3 variants whose every number is exact"):
        variants((x * y).tanh(), 3)
    with pytest.raises(ValueError, match="variants: n must be"):
        variants(florance(), 0)


# ---- the command -------------------------------------------------------------------------------
def test_the_worksheet_command_prints_a_sheet_and_writes_its_key(tmp_path, capsys):
    key = tmp_path / "key.md"
    assert main(["worksheet", "(a+b)*(b+c)", "a=-1", "b=3", "c=4", "--key", str(key)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("# Backprop worksheet: f = (a+b)*(b+c)".replace("*", r"\*"))
    assert r"\_\_\_\_" in out.out and "wrote" in out.err
    assert "| 5 | v2 → b | **2** | 1 | **2** | **9** |" in key.read_text()


def test_the_worksheet_command_writes_one_variant_per_student_the_same_for_the_same_seed(tmp_path, capsys):
    args = ["worksheet", "sigmoid(w*x+b)", "w=2", "x=1.5", "b=-3", "--format", "tex", "--variants", "4",
            "--seed", "3", "--blanks", "all"]
    assert main([*args, "--out", str(tmp_path / "one")]) == 0
    assert main([*args, "--out", str(tmp_path / "two")]) == 0
    one = sorted(p.name for p in (tmp_path / "one").iterdir())
    assert one == [f"{k}_{i:02d}.tex" for k in ("key", "worksheet") for i in range(1, 5)]
    for name in one:
        assert (tmp_path / "one" / name).read_text() == (tmp_path / "two" / name).read_text()
    inputs = {(tmp_path / "one" / f"worksheet_{i:02d}.tex").read_text().split("Inputs:")[1].split(r"\par")[0]
              for i in range(1, 5)}
    assert len(inputs) == 4  # four students, four sets of values


@pytest.mark.parametrize("args, words", [
    (["a*b", "a=1", "b=2", "--blanks", "gradz"], "--blanks: expected grad, local, data or all"),
    (["a*b", "a=1", "b=2", "--variants", "3"], "--variants needs --out DIR"),
    (["a*b", "a=1", "b=2", "--out", "/dev/null"], "exists and is not a regular file"),
    (["__import__('os')", "a=1"], "unknown function '__import__'"),
    (["tanh(a*b)", "a=1", "b=2", "--variants", "3", "--out", "DIR"], "found 0 of 3 variants"),
])
def test_bad_input_to_the_worksheet_command_is_one_line_and_exit_2(args, words, capsys, tmp_path):
    args = [str(tmp_path / "d") if a == "DIR" else a for a in args]
    assert main(["worksheet", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("autograd-engine worksheet: error: ") and words in err and err.count("\n") == 1


# ---- in a real browser -------------------------------------------------------------------------
def test_the_html_worksheet_renders_without_errors_and_prints_on_a4_and_letter(tmp_path, request):
    pytest.importorskip("graphviz")
    page = request.getfixturevalue("browser").new_page()  # conftest.py's Chromium, after graphviz
    path = tmp_path / "sheet.html"
    path.write_text(worksheet(neuron(), "all", fmt="html"), encoding="utf-8")
    errors = []
    try:
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.resolve().as_uri())
        assert page.locator(".blank").count() == 3 + 5 + 5 * 4  # values, gradients, step cells
        page.emulate_media(media="print")
        widths = page.evaluate("() => [document.body.scrollWidth, document.querySelector('figure svg')"
                               ".getBoundingClientRect().width]")
        for fmt in ("A4", "Letter"):
            pdf = page.pdf(format=fmt)
            pages = len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))
            assert pages == 1, (fmt, pages)  # a small sheet prints on one page, nothing cut off
    finally:
        page.close()
    assert not errors, errors
    assert widths[1] <= widths[0]  # the picture fits the printed page's width
