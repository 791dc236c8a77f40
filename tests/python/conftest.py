"""Shared pytest setup for every Python suite under tests/python."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_TIMEOUT_S = 60


def pytest_collection_modifyitems(items):
    """Every test gets a deadline, so nothing can hang the run."""
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TIMEOUT_S))
