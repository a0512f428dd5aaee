"""The teaching tools, standing on the engine's public API: graph pictures (``viz``), the
edge-by-edge backward walk-through (``walkthrough``) and central-difference gradient checks
(``gradient_check``).  The engine never imports this package (a notebook's picture of a Value
is the one lazy exception)."""
