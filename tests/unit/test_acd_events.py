"""Which channel is an agent's softphone."""

import pytest

from acd.events import endpoint_of

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("channel", "endpoint"),
    [
        ("PJSIP/8001-0000002a", "8001"),
        ("PJSIP/carrier-00000001", "carrier"),
        ("Local/s@acd-deliver-00000001;1", ""),
        ("PJSIP/8001", ""),
        ("", ""),
    ],
)
def test_endpoint_of(channel, endpoint):
    assert endpoint_of(channel) == endpoint
