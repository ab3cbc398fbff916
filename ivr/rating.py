"""Phone-quote premium rating: tables are data (ivr/rating/tables.yaml), the quote is pure.

A product declares the integer values the IVR asks for and a list of rating steps:

* ``amount``  premium = table[by], times the value of ``times`` when given (the first step, only);
* ``factor``  premium = premium x table[by];
* ``minimum`` premium = max(premium, amount).

Table keys are a value (``"3"``) or an inclusive band (``"18-24"``); at load time every table
must cover the range of its ``by`` parameter exactly once, so a checked value always rates.
Money is ``Decimal``; the premium is rounded half-up to the fen after every step, and each
breakdown line shows the looked-up rate, factor or minimum with the premium after that step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from ivr.menu import Language, Prompt

FEN = Decimal("0.01")
BELOW_MINIMUM = "below-minimum"
ABOVE_MAXIMUM = "above-maximum"


class RatingTablesError(Exception):
    """The rating tables file is missing or invalid; raised at start-up."""


class QuoteError(Exception):
    """A quote cannot be made; ``code`` is stable: unknown-product, missing-value,
    unexpected-value, value-out-of-range."""

    def __init__(self, code: str, detail: str, parameter: str | None = None) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.parameter = parameter


class _Data(BaseModel):
    """A misspelt key in the tables (`time:` for `times:`) must fail, not rate silently."""

    model_config = ConfigDict(extra="forbid")


class Parameter(_Data):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    prompt: Prompt
    unit: str = Field(min_length=1)
    min: int = Field(ge=0)
    max: int
    out_of_range: Prompt

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        if self.min > self.max:
            raise ValueError(f"parameter {self.key!r}: min {self.min} is above max {self.max}")
        return self

    @property
    def max_digits(self) -> int:
        return len(str(self.max))

    def reason(self, language: Language) -> str:
        """What the IVR says when a keyed value fails `check`."""
        return self.out_of_range.text(language)


def check(parameter: Parameter, value: int) -> str | None:
    """None when the value is acceptable, else the reason code: below-minimum or above-maximum."""
    if value < parameter.min:
        return BELOW_MINIMUM
    if value > parameter.max:
        return ABOVE_MAXIMUM
    return None


class Band(_Data):
    low: int
    high: int
    value: Decimal = Field(ge=0)


def _bands(raw: object) -> object:
    """{"18-24": "1.5", "3": "0.9"} -> [{low: 18, high: 24, value: "1.5"}, {low: 3, ...}]."""
    if not isinstance(raw, dict):
        return raw
    return [{**_band_key(str(key)), "value": value} for key, value in raw.items()]


def _band_key(key: str) -> dict[str, int]:
    low, dash, high = key.partition("-")
    high = high if dash else low
    if not (low.isascii() and low.isdigit() and high.isascii() and high.isdigit()):
        raise ValueError(f"table key {key!r} is not a value or a band like '18-24'")
    if int(high) < int(low):
        raise ValueError(f"table key {key!r} is not a value or a band like '18-24'")
    return {"low": int(low), "high": int(high)}


Table = Annotated[tuple[Band, ...], BeforeValidator(_bands), Field(min_length=1)]


def _fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _lookup(table: tuple[Band, ...], value: int) -> Decimal:
    return next(band.value for band in table if band.low <= value <= band.high)


class AmountStep(_Data):
    step: str = Field(min_length=1)
    kind: Literal["amount"]
    by: str
    times: str | None = None
    table: Table

    def apply(self, premium: Decimal, values: Mapping[str, int]) -> tuple[Decimal, Decimal]:
        rate = _lookup(self.table, values[self.by])
        times = values[self.times] if self.times is not None else 1
        return rate, _fen(rate * times)


class FactorStep(_Data):
    step: str = Field(min_length=1)
    kind: Literal["factor"]
    by: str
    table: Table

    def apply(self, premium: Decimal, values: Mapping[str, int]) -> tuple[Decimal, Decimal]:
        factor = _lookup(self.table, values[self.by])
        return factor, _fen(premium * factor)


class MinimumStep(_Data):
    step: str = Field(min_length=1)
    kind: Literal["minimum"]
    amount: Decimal = Field(ge=0)

    def apply(self, premium: Decimal, values: Mapping[str, int]) -> tuple[Decimal, Decimal]:
        return self.amount, max(premium, _fen(self.amount))


Step = Annotated[AmountStep | FactorStep | MinimumStep, Field(discriminator="kind")]


class Product(_Data):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    digit: str = Field(pattern=r"^[1-9]$")
    name: Prompt
    parameters: list[Parameter] = Field(min_length=1)
    rating: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Product:
        keys = [parameter.key for parameter in self.parameters]
        if len(set(keys)) != len(keys):
            raise ValueError(f"product {self.key!r} declares a parameter twice")
        kinds = [step.kind for step in self.rating]
        if kinds[0] != "amount" or "amount" in kinds[1:]:
            raise ValueError(f"product {self.key!r}: only the first rating step is an amount")
        for step in self.rating:
            _check_step(self, step)
        return self

    def parameter(self, key: str) -> Parameter | None:
        return next((p for p in self.parameters if p.key == key), None)


def _check_step(product: Product, step: AmountStep | FactorStep | MinimumStep) -> None:
    if isinstance(step, MinimumStep):
        return
    where = f"product {product.key!r} step {step.step!r}"
    times = step.times if isinstance(step, AmountStep) else None
    if times is not None and product.parameter(times) is None:
        raise ValueError(f"{where} multiplies by unknown parameter {times!r}")
    by = product.parameter(step.by)
    if by is None:
        raise ValueError(f"{where} looks up unknown parameter {step.by!r}")
    _check_coverage(where, by, step.table)


def _check_coverage(where: str, parameter: Parameter, table: tuple[Band, ...]) -> None:
    """The bands must tile parameter.min..parameter.max: no gap, no overlap, nothing outside."""
    expected = parameter.min
    for band in sorted(table, key=lambda b: b.low):
        if band.low != expected:
            raise ValueError(f"{where}: {parameter.key} {expected} is not rated exactly once")
        expected = band.high + 1
    if expected != parameter.max + 1:
        raise ValueError(f"{where}: {parameter.key} bands do not end at {parameter.max}")


class RatingTables(_Data):
    products: list[Product] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RatingTables:
        for attribute in ("key", "digit"):
            seen = [getattr(product, attribute) for product in self.products]
            if len(set(seen)) != len(seen):
                raise ValueError(f"two products share a {attribute}")
        return self

    def product(self, key: str) -> Product:
        found = next((p for p in self.products if p.key == key), None)
        if found is None:
            raise QuoteError("unknown-product", f"no product {key!r}")
        return found

    def product_for_digit(self, digit: str) -> Product | None:
        return next((p for p in self.products if p.digit == digit), None)

    def parameters(self, product: str) -> list[Parameter]:
        return list(self.product(product).parameters)


@dataclass(frozen=True)
class BreakdownLine:
    step: str
    factor: Decimal  # the rate, factor or minimum looked up for this step
    amount: Decimal  # the premium after this step, rounded to the fen


@dataclass(frozen=True)
class Quote:
    product: str
    values: Mapping[str, int]
    premium: Decimal
    breakdown: tuple[BreakdownLine, ...]


def quote(tables: RatingTables, product: str, values: Mapping[str, int]) -> Quote:
    spec = tables.product(product)
    checked = _checked_values(spec, values)
    premium = Decimal(0)
    lines: list[BreakdownLine] = []
    for step in spec.rating:
        factor, premium = step.apply(premium, checked)
        lines.append(BreakdownLine(step.step, factor, premium))
    return Quote(spec.key, checked, premium, tuple(lines))


def _checked_values(product: Product, values: Mapping[str, int]) -> dict[str, int]:
    unexpected = sorted(set(values) - {p.key for p in product.parameters})
    if unexpected:
        raise QuoteError(
            "unexpected-value", f"{product.key} has no {unexpected[0]!r}", unexpected[0]
        )
    for parameter in product.parameters:
        if parameter.key not in values:
            raise QuoteError("missing-value", f"{parameter.key} is missing", parameter.key)
        reason = check(parameter, values[parameter.key])
        if reason is not None:
            detail = f"{parameter.key}={values[parameter.key]} is {reason}"
            raise QuoteError("value-out-of-range", detail, parameter.key)
    return {parameter.key: values[parameter.key] for parameter in product.parameters}


DEFAULT_TABLES_FILE = Path(__file__).with_name("rating") / "tables.yaml"


def load_tables(path: Path = DEFAULT_TABLES_FILE) -> RatingTables:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return RatingTables.model_validate(data)
    except OSError as exc:
        raise RatingTablesError(f"rating tables {path}: {exc.strerror}") from exc
    except (yaml.YAMLError, ValidationError) as exc:
        raise RatingTablesError(f"rating tables {path} are invalid: {exc}") from exc
