"""``autograd-engine worksheet``: a backprop worksheet and its key, or one variant per student.

    autograd-engine worksheet "(a+b)*(b+c)" a=-1 b=3 c=4 --format md|tex|html [--blanks grad]
                              [--out FILE] [--key FILE]
    autograd-engine worksheet "(a+b)*(b+c)" a=-1 b=3 c=4 --variants 30 --seed 7 --out DIR

The expression is parsed by ``trace``'s whitelist walker (:func:`.trace.build`, never ``eval``);
the sheet is :func:`~autograd_engine.teach.worksheet.worksheet`, the variants
:func:`~autograd_engine.teach.variants.variants` (same shape, small exact values, the same set
for the same seed).  Bad input is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..files import atomic_write
from .trace import FUNCTIONS, TraceError, _fail, _short, build, parse_assignments

FORMATS = {"md": ("md", "md"), "tex": ("latex", "tex"), "html": ("html", "html")}  # option → (fmt, suffix)
BLANKS = ("grad", "local", "data", "all")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "worksheet", help="a backprop worksheet with blanks and its answer key, or one variant per student",
        description="Write a worksheet for an expression: the graph and the backward pass one edge per step, "
                    "with the chosen cells blank, and its answer key.",
        epilog=f"Expressions use numbers, variables, + - * / **, unary minus and {', '.join(FUNCTIONS)}. "
               "Variants keep the shape and draw small integers or halves so every number is exact by hand.")
    p.add_argument("expression", help='e.g. "(a+b)*(b+c)"')
    p.add_argument("values", nargs="*", metavar="NAME=VALUE", help="the value of each variable, e.g. a=-1")
    p.add_argument("--format", choices=tuple(FORMATS), default="md", help="Markdown, LaTeX or a printable HTML page")
    p.add_argument("--blanks", default="grad",
                   help="what the student fills in: grad, local, data or all; several with commas (default grad)")
    p.add_argument("--out", metavar="PATH", help="the worksheet's file (default: print it); with --variants, a directory")
    p.add_argument("--key", metavar="FILE", help="also write the answer key to FILE")
    p.add_argument("--variants", type=int, metavar="N", help="N worksheets with other values, each with its key, in --out DIR")
    p.add_argument("--seed", type=int, default=0, help="the seed of the variants (the same seed, the same set)")
    p.add_argument("--allow-trivial", action="store_true", help="variants may hold steps that are 0 or 1")
    p.set_defaults(handler=run_worksheet)


def _blanks(text: str) -> list[str]:
    items = [b.strip() for b in text.split(",") if b.strip()]
    bad = [b for b in items if b not in BLANKS]
    if not items or bad:
        raise TraceError(f"--blanks: expected grad, local, data or all (comma-separated), got {_short(text)!r}")
    return items


def _write(path: Path, text: str) -> None:
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def run_worksheet(args: argparse.Namespace) -> int:
    from ..teach.variants import variants
    from ..teach.worksheet import worksheet

    fmt, suffix = FORMATS[args.format]
    try:
        blanks = _blanks(args.blanks)
        if args.variants is not None:
            if args.variants < 1 or args.variants > 1000:
                raise TraceError(f"--variants must be from 1 to 1000, got {args.variants}")
            if not args.out:
                raise TraceError("--variants needs --out DIR, the directory for the worksheets and keys")
            if args.key:
                raise TraceError("--key names one key file; with --variants each key is written beside its worksheet")
            if Path(args.out).exists() and not Path(args.out).is_dir():
                raise TraceError(f"--out: {args.out!r} exists and is not a directory")
        else:
            for option, path in (("--out", args.out), ("--key", args.key)):
                if path and not Path(path).parent.is_dir():
                    raise TraceError(f"{option}: the directory {str(Path(path).parent)!r} does not exist")
                if path and Path(path).is_dir():
                    raise TraceError(f"{option}: {path!r} is a directory")
                if path and Path(path).exists() and not Path(path).is_file():  # /dev/null, a FIFO: never replaced
                    raise TraceError(f"{option}: {path!r} exists and is not a regular file")
            if args.out and args.key and Path(args.out).resolve() == Path(args.key).resolve():
                raise TraceError("--out and --key name the same file")
        traced = build(args.expression, parse_assignments(args.values))
        title = f"Backprop worksheet: {traced.root.label} = {args.expression.strip()}"
        roots = [traced.root] if args.variants is None else variants(
            traced.root, args.variants, args.seed, allow_trivial=args.allow_trivial)
        sheets = [(worksheet(r, blanks, fmt, title=title),
                   worksheet(r, blanks, fmt, key=True, title=title) if args.key or args.variants else "")
                  for r in roots]
    except ImportError as e:
        return _fail("worksheet", f"--format html draws the graph, which needs the [viz] extra ({e})")
    except (TraceError, ValueError) as e:
        return _fail("worksheet", str(e))
    try:
        if args.variants is None:
            sheet, key = sheets[0]
            if args.out:
                _write(Path(args.out), sheet)
                print(f"wrote {args.out}")
            else:
                print(sheet, end="" if sheet.endswith("\n") else "\n")
            if args.key:
                _write(Path(args.key), key)
                # beside a printed sheet, the note goes to stderr: stdout stays the sheet alone
                print(f"wrote {args.key} (the answer key)", file=sys.stdout if args.out else sys.stderr)
            return 0
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        width = max(2, len(str(len(sheets))))
        for k, (sheet, key) in enumerate(sheets, 1):
            _write(folder / f"worksheet_{k:0{width}d}.{suffix}", sheet)
            _write(folder / f"key_{k:0{width}d}.{suffix}", key)
        print(f"wrote {len(sheets)} worksheets and their keys to {folder}/ (seed {args.seed})")
        return 0
    except OSError as e:
        return _fail("worksheet", f"cannot write {e.filename or 'the worksheet'}: {e.strerror or e}", code=1)
