from decimal import Decimal
from pathlib import Path

import pytest

from ivr.rating import (
    DEFAULT_TABLES_FILE,
    BreakdownLine,
    QuoteError,
    RatingTablesError,
    check,
    load_tables,
    quote,
)

pytestmark = pytest.mark.unit

TABLES = load_tables()
TABLES_TEXT = DEFAULT_TABLES_FILE.read_text(encoding="utf-8")


def auto(value, age, years, level):
    values = {
        "vehicle_value": value,
        "driver_age": age,
        "claim_free_years": years,
        "coverage_level": level,
    }
    return quote(TABLES, "auto", values)


def health(age, plan, smoker):
    return quote(TABLES, "health", {"age": age, "plan_level": plan, "smoker": smoker})


def accident(age, occupation, sum_insured):
    values = {"age": age, "occupation_class": occupation, "sum_insured": sum_insured}
    return quote(TABLES, "accident", values)


# --- the products as the IVR offers them ---------------------------------------------------


def test_products_in_keypad_order_with_spoken_names():
    assert [(p.digit, p.key) for p in TABLES.products] == [
        ("1", "auto"),
        ("2", "health"),
        ("3", "accident"),
    ]
    assert TABLES.products[0].name.text("zh") == "车险"
    assert TABLES.products[2].name.text("en") == "accident insurance"
    assert TABLES.product_for_digit("2").key == "health"
    assert TABLES.product_for_digit("9") is None


def test_every_parameter_has_prompts_and_reasons_in_both_languages():
    for product in TABLES.products:
        for parameter in TABLES.parameters(product.key):
            assert parameter.prompt.zh and parameter.prompt.en and parameter.unit
            assert parameter.reason("zh") and parameter.reason("en")


def test_parameter_prompts_and_reasons():
    value, age, _years, level = TABLES.parameters("auto")
    assert value.prompt.text("en") == "Please key the vehicle value in yuan, then the hash key."
    assert age.reason("en") == "The driver's age must be between 18 and 80."
    assert age.reason("zh") == "驾驶人年龄必须在十八岁到八十岁之间。"
    assert (value.unit, value.max_digits, level.max_digits) == ("yuan", 7, 1)


RANGES = [
    ("auto", "vehicle_value", 20000, 2000000),
    ("auto", "driver_age", 18, 80),
    ("auto", "claim_free_years", 0, 10),
    ("auto", "coverage_level", 1, 3),
    ("health", "age", 0, 70),
    ("health", "plan_level", 1, 3),
    ("health", "smoker", 1, 2),
    ("accident", "age", 18, 65),
    ("accident", "occupation_class", 1, 4),
    ("accident", "sum_insured", 10, 200),
]


def test_the_tables_declare_these_parameters_in_this_order():
    declared = [
        (product.key, parameter.key, parameter.min, parameter.max)
        for product in TABLES.products
        for parameter in product.parameters
    ]
    assert declared == RANGES


@pytest.mark.parametrize(("product", "key", "low", "high"), RANGES)
def test_check_every_range_edge(product, key, low, high):
    (parameter,) = [p for p in TABLES.parameters(product) if p.key == key]
    assert check(parameter, low - 1) == "below-minimum"
    assert check(parameter, low) is None
    assert check(parameter, high) is None
    assert check(parameter, high + 1) == "above-maximum"


VALID = {
    "auto": {"vehicle_value": 100000, "driver_age": 40, "claim_free_years": 2, "coverage_level": 2},
    "health": {"age": 30, "plan_level": 1, "smoker": 2},
    "accident": {"age": 30, "occupation_class": 1, "sum_insured": 50},
}


@pytest.mark.parametrize(("product", "key", "low", "high"), RANGES)
def test_quote_refuses_values_just_outside_the_range(product, key, low, high):
    for bad in (low - 1, high + 1):
        with pytest.raises(QuoteError) as caught:
            quote(TABLES, product, {**VALID[product], key: bad})
        assert (caught.value.code, caught.value.parameter) == ("value-out-of-range", key)
    for good in (low, high):
        assert quote(TABLES, product, {**VALID[product], key: good}).premium > 0


# --- auto: vehicle value x rate by cover x age factor x no-claims discount, minimum 950 ------
# cover rates 1: 0.010, 2: 0.018, 3: 0.026; age 18-24 1.50, 25-29 1.20, 30-59 1.00,
# 60-69 1.10, 70-80 1.30; claim-free years 0 1.00, 1 0.90, 2 0.80, 3 0.70, 4 0.65, 5-10 0.60


def test_auto_comprehensive_middle_aged_no_history():
    # 200000 x 0.026 = 5200.00; x 1.00 (age 35) = 5200.00; x 1.00 (0 years) = 5200.00
    q = auto(200000, 35, 0, 3)
    assert q.premium == Decimal("5200.00")
    assert q.product == "auto"
    assert q.values == {
        "vehicle_value": 200000,
        "driver_age": 35,
        "claim_free_years": 0,
        "coverage_level": 3,
    }
    assert q.breakdown == (
        BreakdownLine("base premium", Decimal("0.026"), Decimal("5200.00")),
        BreakdownLine("driver age", Decimal("1.00"), Decimal("5200.00")),
        BreakdownLine("no-claims discount", Decimal("1.00"), Decimal("5200.00")),
        BreakdownLine("minimum premium", Decimal("950.00"), Decimal("5200.00")),
    )


def test_auto_cheap_car_is_raised_to_the_minimum_premium():
    # 20000 x 0.010 = 200.00; x 1.00 (age 40) = 200.00; x 0.60 (10 years) = 120.00 -> 950.00
    q = auto(20000, 40, 10, 1)
    assert [line.amount for line in q.breakdown] == [
        Decimal("200.00"),
        Decimal("200.00"),
        Decimal("120.00"),
        Decimal("950.00"),
    ]
    assert q.premium == Decimal("950.00")


def test_auto_exactly_the_minimum_stays():
    # 95000 x 0.010 = 950.00; x 1.00; x 1.00 = 950.00 = minimum
    assert auto(95000, 30, 0, 1).premium == Decimal("950.00")


def test_auto_age_band_edge_24_to_25():
    # 150000 x 0.018 = 2700.00; age 24: x 1.50 = 4050.00; 1 year: x 0.90 = 3645.00
    assert auto(150000, 24, 1, 2).premium == Decimal("3645.00")
    # age 25: 2700.00 x 1.20 = 3240.00; x 0.90 = 2916.00
    assert auto(150000, 25, 1, 2).premium == Decimal("2916.00")


def test_auto_age_band_edge_59_to_60():
    # 100000 x 0.018 = 1800.00; age 59: x 1.00 = 1800.00; 3 years: x 0.70 = 1260.00
    assert auto(100000, 59, 3, 2).premium == Decimal("1260.00")
    # age 60: 1800.00 x 1.10 = 1980.00; x 0.70 = 1386.00
    assert auto(100000, 60, 3, 2).premium == Decimal("1386.00")


def test_auto_rounds_half_up_after_every_step():
    # 123457 x 0.018 = 2222.226 -> 2222.23; age 70: x 1.30 = 2888.899 -> 2888.90;
    # 4 years: x 0.65 = 1877.785 -> 1877.79 (half up)
    q = auto(123457, 70, 4, 2)
    assert [line.amount for line in q.breakdown] == [
        Decimal("2222.23"),
        Decimal("2888.90"),
        Decimal("1877.79"),
        Decimal("1877.79"),
    ]


def test_auto_no_claims_band_starts_at_five_years():
    # 2000000 x 0.026 = 52000.00; age 18: x 1.50 = 78000.00; 5 years: x 0.60 = 46800.00
    assert auto(2000000, 18, 5, 3).premium == Decimal("46800.00")
    # 4 years: 78000.00 x 0.65 = 50700.00
    assert auto(2000000, 18, 4, 3).premium == Decimal("50700.00")


def test_auto_oldest_driver():
    # 50000 x 0.026 = 1300.00; age 80: x 1.30 = 1690.00; x 1.00 = 1690.00
    assert auto(50000, 80, 0, 3).premium == Decimal("1690.00")


# --- health: base by age band x plan x smoker loading --------------------------------------
# age 0-17 600, 18-29 800, 30-39 1100, 40-49 1600, 50-59 2400, 60-70 3600;
# plan 1.00 / 1.50 / 2.20; smoker (1) 1.40, non-smoker (2) 1.00


def test_health_youngest_basic_non_smoker():
    # 600.00 x 1.00 x 1.00 = 600.00
    q = health(0, 1, 2)
    assert q.premium == Decimal("600.00")
    assert [line.step for line in q.breakdown] == ["base premium by age", "plan", "smoker loading"]


def test_health_age_band_edge_17_to_18():
    # age 17: 600.00 x 1.50 = 900.00; x 1.40 = 1260.00
    assert health(17, 2, 1).premium == Decimal("1260.00")
    # age 18: 800.00 x 1.50 = 1200.00; x 1.40 = 1680.00
    assert health(18, 2, 1).premium == Decimal("1680.00")


def test_health_age_band_edge_59_to_60():
    # 2400.00 x 2.20 = 5280.00; x 1.00
    assert health(59, 3, 2).premium == Decimal("5280.00")
    # 3600.00 x 2.20 = 7920.00; x 1.00
    assert health(60, 3, 2).premium == Decimal("7920.00")


def test_health_oldest_premium_smoker():
    # 3600.00 x 2.20 = 7920.00; x 1.40 = 11088.00
    q = health(70, 3, 1)
    assert q.breakdown[-1] == BreakdownLine("smoker loading", Decimal("1.40"), Decimal("11088.00"))
    assert q.premium == Decimal("11088.00")


def test_health_thirties_basic_smoker():
    # 1100.00 x 1.00 = 1100.00; x 1.40 = 1540.00
    assert health(35, 1, 1).premium == Decimal("1540.00")


# --- accident: rate per 10000 by occupation x sum insured x age factor, minimum 100 ---------
# class 1 8.00, 2 12.00, 3 20.00, 4 35.00; age 18-40 1.00, 41-55 1.20, 56-65 1.50


def test_accident_small_office_cover_is_raised_to_the_minimum():
    # 8.00 x 10 = 80.00; x 1.00 = 80.00 -> 100.00
    q = accident(30, 1, 10)
    assert q.breakdown[-1] == BreakdownLine("minimum premium", Decimal("100.00"), Decimal("100.00"))
    assert q.premium == Decimal("100.00")


def test_accident_just_above_and_below_the_minimum():
    # 8.00 x 13 = 104.00 > 100.00; 8.00 x 12 = 96.00 -> 100.00
    assert accident(18, 1, 13).premium == Decimal("104.00")
    assert accident(18, 1, 12).premium == Decimal("100.00")


def test_accident_age_band_edge_40_to_41():
    # 12.00 x 55 = 660.00; age 40: x 1.00 = 660.00; age 41: x 1.20 = 792.00
    assert accident(40, 2, 55).premium == Decimal("660.00")
    assert accident(41, 2, 55).premium == Decimal("792.00")


def test_accident_age_band_edge_55_to_56():
    # 20.00 x 15 = 300.00; age 55: x 1.20 = 360.00; age 56: x 1.50 = 450.00
    assert accident(55, 3, 15).premium == Decimal("360.00")
    assert accident(56, 3, 15).premium == Decimal("450.00")


def test_accident_highest_risk_largest_sum():
    # 35.00 x 200 = 7000.00; age 65: x 1.50 = 10500.00
    q = accident(65, 4, 200)
    assert q.breakdown[0] == BreakdownLine(
        "rate per 10000 yuan insured", Decimal("35.00"), Decimal("7000.00")
    )
    assert q.premium == Decimal("10500.00")


# --- quote errors ---------------------------------------------------------------------------


def test_unknown_product():
    with pytest.raises(QuoteError) as caught:
        quote(TABLES, "travel", {})
    assert caught.value.code == "unknown-product"
    with pytest.raises(QuoteError):
        TABLES.parameters("travel")


def test_missing_value():
    with pytest.raises(QuoteError) as caught:
        quote(TABLES, "health", {"age": 30, "plan_level": 1})
    assert (caught.value.code, caught.value.parameter) == ("missing-value", "smoker")


def test_unexpected_value():
    with pytest.raises(QuoteError) as caught:
        quote(TABLES, "health", {**VALID["health"], "driver_age": 30})
    assert (caught.value.code, caught.value.parameter) == ("unexpected-value", "driver_age")


# --- a broken tables file is refused at start-up -------------------------------------------


def broken(tmp_path: Path, old: str, new: str) -> Path:
    assert old in TABLES_TEXT
    path = tmp_path / "tables.yaml"
    path.write_text(TABLES_TEXT.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"25-29": "1.20"', '"26-29": "1.20"', "driver_age 25 is not rated exactly once"),
        ('"25-29": "1.20"', '"24-29": "1.20"', "driver_age 25 is not rated exactly once"),
        ('"70-80": "1.30"', '"70-79": "1.30"', "bands do not end at 80"),
        ('"70-80": "1.30"', '"70-90": "1.30"', "bands do not end at 80"),
        ('"0-17": "600.00"', '"1-17": "600.00"', "age 0 is not rated exactly once"),
        ('"5-10": "0.60"', '"5to10": "0.60"', "is not a value or a band"),
        ('"5-10": "0.60"', '"10-5": "0.60"', "is not a value or a band"),
        ('"5-10": "0.60"', '"5-": "0.60"', "is not a value or a band"),
        ('"4": "35.00"', '"4": "-35.00"', "greater than or equal to 0"),
        ('"4": "35.00"', '"4": "lots"', "decimal"),
        ("by: smoker", "by: smokes", "unknown parameter 'smokes'"),
        ("times: sum_insured", "times: sum", "unknown parameter 'sum'"),
        ("kind: minimum\n", "kind: maximum\n", "kind"),
        ("times: sum_insured", "time: sum_insured", "Extra inputs are not permitted"),
        ('digit: "2"', 'digit: "1"', "two products share a digit"),
        ('digit: "2"', 'digit: "12"', "digit"),
        ("key: health", "key: auto", "two products share a key"),
        ("key: plan_level", "key: age", "declares a parameter twice"),
        ("min: 18\n        max: 80", "min: 81\n        max: 80", "min 81 is above max 80"),
        ("min: 20000", "min: -1", "greater than or equal to 0"),
        ("kind: amount\n        by: age", "kind: factor\n        by: age", "first rating step"),
        ("kind: factor\n        by: plan_level", "kind: amount\n        by: plan_level", "first"),
        ("en: The driver's age must be between 18 and 80.", "", "out_of_range.en"),
        ("\nproducts:", "\nproducts: []\nproducts_:", "at least 1"),
        ("\nproducts:", "\nproducts: [", "invalid"),
    ],
)
def test_a_broken_table_file_is_refused(tmp_path: Path, old: str, new: str, message: str):
    with pytest.raises(RatingTablesError, match="invalid") as caught:
        load_tables(broken(tmp_path, old, new))
    assert message in str(caught.value)


def test_a_missing_table_file_says_so(tmp_path: Path):
    with pytest.raises(RatingTablesError, match=r"rating tables .*absent\.yaml"):
        load_tables(tmp_path / "absent.yaml")


def test_an_empty_table_file_is_refused(tmp_path: Path):
    empty = tmp_path / "tables.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(RatingTablesError, match="invalid"):
        load_tables(empty)
