"""CSV downloads for programs and for people (``/kpis/agents?format=csv``, a campaign's
``results.csv``).

Without ``lang`` the header row is the machine field names, as integrations parse them. With
``lang=zh-CN`` or ``lang=en`` it is the field names in that language (catalog domain
``exports``: ``exports.<table>.<field>``) and the body starts with a UTF-8 byte-order mark, so
that Excel opens the Chinese as UTF-8 rather than the workstation's code page. The cells stay
machine values either way. Any other ``lang`` is 422 ``invalid-locale``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any, Final

from aiohttp import web

from ivr_acd.web.core import ApiError
from ivr_acd.web.i18n import I18N, LOCALES, Catalogs, packaged_catalogs

BOM: Final = "\ufeff"
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
LANG_PARAM: Final[dict[str, Any]] = {  # the OpenAPI description of ``lang``
    "name": "lang",
    "in": "query",
    "description": "for people: the header row in this language (catalog domain exports) and "
    "a UTF-8 byte-order mark first; without it the header row is the field names",
    "schema": {"enum": list(LOCALES)},
}


def export_locale(request: web.Request) -> str | None:
    """The ``lang`` asked for: ``None`` (machine headers) when absent, 422 when unknown."""
    raw = request.query.get("lang")
    if raw is None:
        return None
    if raw not in LOCALES:
        raise ApiError("invalid-locale", f"lang must be one of {', '.join(LOCALES)}", 422)
    return raw


def _catalogs(request: web.Request) -> Catalogs:
    return request.app.get(I18N) or packaged_catalogs()


def header_row(
    request: web.Request, locale: str | None, table: str, fields: Sequence[str]
) -> list[str]:
    """``fields`` as they are, or as ``exports.<table>.<field>`` in ``locale``."""
    if locale is None:
        return list(fields)
    catalogs = _catalogs(request)
    return [catalogs.text(locale, f"exports.{table}.{field}") for field in fields]


def cell(value: object) -> object:
    """A text cell a spreadsheet would run as a formula is quoted with a leading ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return f"'{value}"
    return "" if value is None else value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def csv_response(text: str, filename: str, locale: str | None) -> web.Response:
    """The CSV as an attachment; for people (``locale`` set) with a byte-order mark first."""
    return web.Response(
        text=(BOM + text) if locale is not None else text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
