from __future__ import annotations

from datetime import date

import pytest

from crm_bridge.phones import cn_id_birth_date, cn_id_check_digit, mask_id_number, phone_candidates

pytestmark = pytest.mark.unit


def test_phone_candidates() -> None:
    assert phone_candidates("+86 138-0013-8000") == (
        "+86 138-0013-8000",
        "8613800138000",
        "13800138000",
    )
    assert phone_candidates("13800138000") == ("13800138000",)
    assert phone_candidates("008613800138000")[-1] == "13800138000"
    assert phone_candidates("  ") == ()


def test_identity_numbers() -> None:
    assert cn_id_check_digit("11010519491231002") == "X"
    assert mask_id_number("11010519491231002X") == "110***********002X"
    assert mask_id_number("1234") == "****"
    with pytest.raises(ValueError):
        cn_id_check_digit("123")


def test_birth_date_of_identity_numbers() -> None:
    assert cn_id_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert cn_id_birth_date("110105194913310021") is None  # month 13
    assert cn_id_birth_date("GBR533117892") is None
    assert cn_id_birth_date("") is None
