"""What every test shares: a call the platform's published API does not allow fails the test;
a PostgreSQL server (``pg_url``: a fresh schema on it per test, :mod:`tests.pg_testing`).

The loopback Telegram and Discord refuse such a call as the platform would and note it in
:data:`tests.standins.refusals.REFUSALS`. Unless the test expected it (the ``spec_refusals``
marker, or ``REFUSALS.take()`` for the refusals it meant to cause), a refusal fails the test at
teardown: an adapter that starts sending an unknown field is caught by every test that sends it.
``STANDIN_SPEC=check`` (refuse, don't fail) or ``off`` (don't check) loosen this.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import pg_testing
from tests.standins.refusals import REFUSALS


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spec_refusals: the test expects the stand-ins to refuse calls"
    )


@pytest.fixture(autouse=True)
def _nothing_refused(request: pytest.FixtureRequest) -> Iterator[None]:
    REFUSALS.clear()
    yield
    refused = REFUSALS.take()
    if refused and REFUSALS.strict and request.node.get_closest_marker("spec_refusals") is None:
        listing = "\n  ".join(str(r) for r in refused)
        pytest.fail(f"the stand-ins refused calls the API spec does not allow:\n  {listing}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str | None]:
    """The PostgreSQL server's URL for this session (:mod:`tests.pg_testing`), or ``None``."""
    with pg_testing.server() as (url, why):
        if url is None:
            print(f"\n{why}")
        yield url


@pytest.fixture
def pg_url(pg_server: str | None) -> Iterator[str]:
    """A fresh schema of its own on the server, for one test."""
    if pg_server is None:
        pytest.skip("no PostgreSQL server (see the line printed at the start)")
    with pg_testing.fresh_schema(pg_server) as url:
        yield url
