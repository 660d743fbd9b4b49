from pathlib import Path

import pytest

from powderkeg.config import Settings
from powderkeg.pipeline import Pipeline

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """One loaded pipeline for the whole run: the spaCy model takes a second to load."""
    return Pipeline(Settings())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"
