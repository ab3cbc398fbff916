"""The OpenAPI parts of console sign-in (``ivr_acd.web.auth.routes``): the security schemes, the
/auth paths (with the console language) and the password path; merged into
``ivr_acd.web.openapi.OPENAPI``."""

from __future__ import annotations

from typing import Any, Final

SECURITY_SCHEMES: Final[dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "the API token (web.api_token); acts with the role admin; no CSRF token",
    },
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "ivracd_session",
        "description": "a console session from POST /auth/login (HttpOnly, SameSite=Strict; "
        "ends after web.session_hours idle). POST, PUT, PATCH and DELETE must also send the "
        "session's csrf_token in the X-CSRF-Token header, else 403 csrf",
    },
}
SIGNED_IN: Final[list[dict[str, list[str]]]] = [{"bearer": []}, {"session": []}]

_ROLE = {"type": "string", "enum": ["agent", "supervisor", "admin"]}
_LOCALES = ["zh-CN", "en"]  # crm_bridge.vocab.ConsoleLocale
LOGIN: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["extension", "password"],
    "properties": {
        "extension": {"type": "string", "pattern": "^[0-9]{2,16}$"},
        "password": {"type": "string", "maxLength": 1024, "writeOnly": True},
    },
}
ME: Final[dict[str, Any]] = {
    "type": "object",
    "description": "who is signed in; the bearer token is role admin with null extension",
    "properties": {
        "extension": {"type": ["string", "null"]},
        "name": {"type": "string"},
        "role": _ROLE,
        "team": {"type": ["string", "null"]},
        "csrf_token": {
            "type": ["string", "null"],
            "description": "send as X-CSRF-Token with every unsafe request of this session",
        },
        "locale": {
            "type": ["string", "null"],
            "enum": [*_LOCALES, None],
            "description": "the console language kept on the account; null: the install's "
            "default (and always for the bearer token)",
        },
    },
}
LOCALE: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["locale"],
    "additionalProperties": False,
    "properties": {"locale": {"type": "string", "enum": _LOCALES}},
}
_NEW_PASSWORD = {
    "type": "object",
    "required": ["password"],
    "additionalProperties": False,
    "properties": {
        "password": {"type": "string", "minLength": 8, "maxLength": 128, "writeOnly": True},
        "current_password": {
            "type": "string",
            "writeOnly": True,
            "description": "required unless an admin sets it",
        },
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _errors(*codes: int) -> dict[str, Any]:
    body = {"application/json": {"schema": _ref("Error")}}
    return {str(code): {"description": "error", "content": body} for code in codes}


def _json(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


_SESSION_COOKIE = {
    "Set-Cookie": {
        "description": "ivracd_session=...; HttpOnly; SameSite=Strict; Path=/ (and, when the "
        "account has a language, ivracd_lang as PUT /auth/me/locale sets it)",
        "schema": {"type": "string"},
    }
}
_LANG_COOKIE = {
    "Set-Cookie": {
        "description": "ivracd_lang=<locale>; Max-Age=31536000; SameSite=Lax; Path=/ (not "
        "HttpOnly: the log-in page's script reads it to speak the language after log-out)",
        "schema": {"type": "string"},
    }
}
_RETRY_AFTER = {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}}

AUTH_PATHS: Final[dict[str, Any]] = {
    "/auth/login": {
        "post": {
            "summary": "Sign in to the console with the CRM extension and password",
            "description": "401 bad-credentials for a wrong password or an unknown extension; "
            "429 too-many-attempts (with Retry-After) after 5 failures for one extension from "
            "one client address, or from one client address, within 5 minutes; 403 csrf from "
            "another site's page",
            "security": [],
            "requestBody": _body(_ref("Login")),
            "responses": {
                "200": {**_json("signed in", _ref("Me")), "headers": _SESSION_COOKIE},
                **_errors(400, 401, 403, 503),
                "429": {**_errors(429)["429"], "headers": _RETRY_AFTER},
            },
        }
    },
    "/auth/logout": {
        "post": {
            "summary": "End the console session and clear its cookie (204 without one too)",
            "security": [{"session": []}, {}],
            "responses": {"204": {"description": "signed out"}, **_errors(403, 503)},
        }
    },
    "/auth/me": {
        "get": {
            "summary": "Who is signed in, and the session's CSRF token",
            "security": SIGNED_IN,
            "responses": {"200": _json("the principal", _ref("Me")), **_errors(401, 403, 503)},
        }
    },
    "/auth/me/locale": {
        "put": {
            "summary": "Choose the console language of the signed-in person: kept on their "
            "account, in the current session and in the cookie ivracd_lang",
            "description": "422 invalid-locale for a language other than zh-CN or en; 409 "
            "no-account for the bearer token (it has no account); a later log-in of the same "
            "person gets the language back",
            "security": SIGNED_IN,
            "requestBody": _body(_ref("Locale")),
            "responses": {
                "200": {
                    **_json("the principal, with its language", _ref("Me")),
                    "headers": _LANG_COOKIE,
                },
                **_errors(400, 401, 403, 404, 409, 422, 503),
            },
        }
    },
    "/agents/{extension}/password": {
        "post": {
            "summary": "Set a console password: an admin for anyone, an agent or supervisor "
            "for themselves with current_password; the agent's other sessions end",
            "security": SIGNED_IN,
            "parameters": [
                {
                    "name": "extension",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{2,16}$"},
                }
            ],
            "requestBody": _body(_NEW_PASSWORD),
            "responses": {
                "204": {"description": "the new password is stored"},
                **_errors(400, 401, 403, 404, 422, 429, 503),
            },
        }
    },
}
AUTH_SCHEMAS: Final[dict[str, Any]] = {"Login": LOGIN, "Me": ME, "Locale": LOCALE}
