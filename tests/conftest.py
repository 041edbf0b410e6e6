"""What every test shares: a call the platform's published API does not allow fails the test.

The loopback Telegram and Discord refuse such a call as the platform would and note it in
:data:`tests.standins.refusals.REFUSALS`. Unless the test expected it (the ``spec_refusals``
marker, or ``REFUSALS.take()`` for the refusals it meant to cause), a refusal fails the test at
teardown: an adapter that starts sending an unknown field is caught by every test that sends it.
``STANDIN_SPEC=check`` (refuse, don't fail) or ``off`` (don't check) loosen this.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
