"""The teaching tools, standing on the engine's public API: graph pictures (``viz``), the
edge-by-edge backward walk-through (``walkthrough``) and central-difference gradient checks
(``gradient_check``), the backprop player (``player``) and a teacher's kit: Markdown/LaTeX
tables (``tables``), worksheets with keys (``worksheet``), a variant per student (``variants``)
and misconceptions as mutated rules, with a diagnosis (``misconceptions``).  The engine never
imports this package (a notebook's picture of a Value
is the one lazy exception)."""
