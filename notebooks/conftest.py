"""Notebooks that need an optional dependency are skipped, with the reason, where it is missing."""

import importlib.util

import pytest

NEEDS = {"to_pytorch.ipynb": ("torch", "PyTorch not installed (pip install 'autograd-engine[torch]')")}


def pytest_collection_modifyitems(config, items):
    for item in items:
        need = NEEDS.get(item.path.name)
        if need and importlib.util.find_spec(need[0]) is None:
            item.add_marker(pytest.mark.skip(reason=need[1]))
