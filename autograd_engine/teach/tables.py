"""Tables of cells as Markdown or LaTeX: the walk-through's step table and the worksheets
write their rows once and choose the format here.

Every cell is text; these functions only escape it for the format, so a node labelled
``a|b`` or ``x_1 & 50%`` stays one cell (Markdown ``\\|``; LaTeX ``\\&``, ``\\%``, ``\\_``, ...).
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

FORMATS = ("text", "markdown", "latex")

#: LaTeX's special characters and how to write each as text (``\\textbackslash{}`` first in
#: spirit: one pass, so an inserted backslash is never escaped again)
_LATEX = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
          "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
          "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_LATEX_RE = re.compile("|".join(map(re.escape, _LATEX)))
#: the few non-ASCII symbols the tables use, as LaTeX (text mode) that compiles with pdflatex
_LATEX_SYMBOLS = {"→": r"$\to$", "∂": r"$\partial$", "·": r"$\cdot$", "−": "-", "σ": r"$\sigma$",
                  "×": r"$\times$", "÷": r"$\div$", "Σ": r"$\Sigma$", "√": r"$\surd$", "ⁿ": r"$^n$",
                  "ˣ": r"$^x$", "ʸ": r"$^y$", "…": r"\dots{}", "─": "-"}


def latex_escape(text: str) -> str:
    """``text`` as LaTeX that prints it literally: ``a_1 & 50%`` → ``a\\_1 \\& 50\\%``."""
    text = _LATEX_RE.sub(lambda m: _LATEX[m.group()], str(text))
    return "".join(_LATEX_SYMBOLS.get(ch, ch) for ch in text)


def markdown_escape(text: str) -> str:
    """A cell of a Markdown (GitHub) table: ``|`` escaped, line breaks as spaces, and the
    characters that would start emphasis or code escaped (``*``, ``_``, `````)."""
    text = " ".join(str(text).split())
    return re.sub(r"([\\|*_`\[\]<>])", r"\\\1", text)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "",
                   raw: bool = False) -> str:
    """A GitHub Markdown table; ``align`` has one ``<`` or ``>`` per column (default: first
    left, the others right).  ``raw=True``: the cells are already Markdown (not escaped)."""
    align = align or "<" + ">" * (len(header) - 1)
    cell = (lambda c: str(c)) if raw else markdown_escape
    lines = ["| " + " | ".join(markdown_escape(h) for h in header) + " |",
             "|" + "|".join(":---" if a == "<" else "---:" for a in align) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def latex_table(header: Sequence[str], rows: Iterable[Sequence[str]], align: str = "",
                raw: bool = False) -> str:
    """A ``tabular`` (standard LaTeX, no package needed) with a rule under the header;
    ``align`` as for :func:`markdown_table`.  ``header`` cells are LaTeX already (they hold
    formulas such as ``$\\partial L/\\partial z$``); body cells are escaped unless ``raw``."""
    align = align or "<" + ">" * (len(header) - 1)
    cols = "".join("l" if a == "<" else "r" for a in align)
    cell = (lambda c: str(c)) if raw else latex_escape
    lines = [rf"\begin{{tabular}}{{{cols}}}", r"\hline", " & ".join(header) + r" \\", r"\hline"]
    lines += [" & ".join(cell(c) for c in row) + r" \\" for row in rows]
    lines += [r"\hline", r"\end{tabular}"]
    return "\n".join(lines)


def latex_number(text: str) -> str:
    """A number from :func:`~autograd_engine.teach.walkthrough.number` in math mode
    (``-1`` → ``$-1$``, ``1.5e+06`` → ``$1.5\\times10^{6}$``)."""
    m = re.fullmatch(r"(-?[\d.]+)e([+-])0*(\d+)", text)
    if m:
        return f"${m.group(1)}\\times10^{{{'-' if m.group(2) == '-' else ''}{m.group(3)}}}$"
    if re.fullmatch(r"-?[\d.]+", text):
        return f"${text}$"
    return latex_escape(text)  # inf, nan: never in a table of a finite pass, but text all the same
