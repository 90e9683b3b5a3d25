"""Analytics tests run on the pipeline's fixtures: a database of their own, the simulator,
the API in-process, an injectable clock."""

from __future__ import annotations

from tests.pipeline.conftest import pipeline, pipeline_db

__all__ = ["pipeline", "pipeline_db"]
