"""Shared fixtures. Tests that need PostgreSQL, Redis, a Celery worker or a browser
fail (rather than skip) when GAPAUDIT_REQUIRE_SERVICES=1, as .ci/run sets."""
