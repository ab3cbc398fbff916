from __future__ import annotations

import pytest

from crm_bridge.passwords import hash_password, verify_password

pytestmark = pytest.mark.unit


def test_hash_verifies_only_the_right_password() -> None:
    encoded = hash_password("坐席密码-8001")
    assert encoded.startswith("scrypt$")
    assert "坐席密码" not in encoded
    assert verify_password("坐席密码-8001", encoded)
    assert not verify_password("坐席密码-8002", encoded)


def test_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain",
        "scrypt$1$2$3",
        "scrypt$x$8$1$AAAA$AAAA",
        "md5$16384$8$1$AAAA$AAAA",
        "scrypt$16384$8$1$@@$AAAA",
    ],
)
def test_malformed_hashes_never_match(encoded: str) -> None:
    assert not verify_password("anything", encoded)
