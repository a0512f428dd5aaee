"""What a batch must be, on either backend: one row per sample, one column per input of the tape."""

from __future__ import annotations


def check_batch_shape(shape: tuple, n: int, want: str, shown: str = "shape") -> None:
    """Refuse a batch ``shape`` that is not (B, n) with B ≥ 1: a ValueError that says ``want``
    (``shown`` names what was given: "shape", "a tensor of shape")."""
    if len(shape) != 2:
        raise ValueError(f"Tape.forward: {want}; got {shown} {shape} (one sample: [row]; "
                         "one input: X.reshape(-1, 1))")
    if shape[1] != n:
        raise ValueError(f"Tape.forward: X has {shape[1]} columns but the tape has {n} "
                         f"inputs; {want}")
    if shape[0] == 0:
        raise ValueError(f"Tape.forward: X is an empty batch; {want}")
