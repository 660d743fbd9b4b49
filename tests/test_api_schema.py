"""Property-based tests of the HTTP API against its own OpenAPI schema (schemathesis), through a
real server: whatever a client sends, valid by the schema or not, the server answers without a
5xx error, with a status code, content type and body the schema documents, and refuses what the
schema forbids.

Bounded in time: a few examples per operation and mode (POWDERKEG_SCHEMA_EXAMPLES=200 for a deeper
run), no deadline. The ingest endpoint gets
the token, so generated texts go through the real pipeline.
"""

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings

from api_fixtures import build, serving
from powderkeg.api import create_app
from powderkeg.config import Settings

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed: pip install schemathesis")
from schemathesis import GenerationMode  # noqa: E402 - after the skip

TOKEN = "schema-token-0123456789abcdef"
EXAMPLES = int(os.environ.get("POWDERKEG_SCHEMA_EXAMPLES", "12"))  # more for a deeper run
# (operation, whether it takes input a negative test can get wrong)
OPERATIONS = [
    ("GET /api/events", True),
    ("GET /api/events/points", True),
    ("GET /api/events/{event_id}", True),
    ("GET /api/articles/{article_id}", True),
    ("GET /api/dyads/{a}/{b}/series", True),
    ("GET /api/alerts", True),
    ("GET /api/meta", False),
    ("GET /healthz", False),
    ("POST /api/ingest", True),
]
CASES = [
    (label, mode) for label, inputs in OPERATIONS for mode in ("positive", "negative") if inputs or mode == "positive"
]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, pipeline) -> Iterator[tuple[object, str]]:
    fixture = build(tmp_path_factory.mktemp("schema") / "schema.duckdb")
    app = create_app(Settings(db=str(fixture.db), api_token=TOKEN), pipeline=pipeline)
    with serving(app) as base:
        yield schemathesis.openapi.from_url(f"{base}/openapi.json"), base


def test_every_operation_is_tested(api):
    schema, _ = api
    assert sorted(result.ok().label for result in schema.get_all_operations()) == sorted(o for o, _ in OPERATIONS)


@pytest.mark.parametrize(("label", "mode"), CASES)
def test_operation_conforms_to_the_schema(api, label, mode):
    schema, base = api
    operation = schema.find_operation_by_label(label)
    excluded = []
    if label == "GET /api/dyads/{a}/{b}/series":
        # a schema-valid since/until may span more than MAX_SERIES_PERIODS: refused with 400 on purpose
        excluded.append(schemathesis.checks.positive_data_acceptance)
    if mode == "negative" and label.startswith("GET "):
        # a query string has no types: "a boolean where a string is expected" (?type=true) arrives as the
        # string "true", which is valid; the explicit tests in test_api.py cover what must be refused
        excluded.append(schemathesis.checks.negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=GenerationMode(mode)))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def run(case) -> None:
        case.call_and_validate(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=excluded, timeout=30
        )

    run()
