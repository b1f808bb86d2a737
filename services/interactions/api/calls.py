"""/api/v1/integrations/calls: call records from telephony — the generic format signed with
Standard Webhooks, Twilio's status callback signed with ``X-Twilio-Signature`` — and the
unmatched calls a manager assigns."""

from __future__ import annotations

import binascii
import uuid
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.interactions.api.deps import CallerDep, RuntimeDep, SettingsDep
from services.interactions.api.presenters import call_out
from services.interactions.api.schemas import CallAssignIn, CallIn, CallOut
from services.interactions.domain import calls as rules
from services.interactions.handlers import calls as handlers
from services.interactions.handlers.interactions import WRITERS
from services.interactions.settings import TWILIO, InteractionsSettings
from services.interactions.store import calls as repo
from shared.commands import run_command
from shared.errors import PROBLEM_JSON, Invalid, Unauthorized
from shared.idempotency import MAX_KEY_LENGTH, IdempotencyRequest, request_fingerprint
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/integrations/calls", tags=["telephony"])

SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
UNSIGNED = {
    401: {
        "description": "No valid signature: a header missing, a timestamp more than 5 minutes "
        "away, or no configured secret's signature",
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


STANDARD_HEADERS = {
    "parameters": [
        {
            "name": name,
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": description,
        }
        for name, description in (
            ("webhook-id", "the message's id (at most 200 characters): taken once"),
            ("webhook-timestamp", "Unix seconds, within 5 minutes of the server's clock"),
            ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>"),
        )
    ]
}


@dataclass(frozen=True)
class Signed:
    """A request a telephony integration signed: its name and the id of the message."""

    integration: str
    idempotency: IdempotencyRequest


def _signed(request: Request, body: bytes, integration: str, key: str) -> Signed:
    if len(key) > MAX_KEY_LENGTH:
        raise Invalid(
            f"the message id is longer than {MAX_KEY_LENGTH} characters",
            [{"loc": ["header", "webhook-id"], "msg": "too long"}],
        )
    path = request.url.path
    fingerprint = request_fingerprint(request.method, path, body)
    return Signed(integration, IdempotencyRequest(key, request.method, path, fingerprint))


async def standard_webhook(request: Request, settings: SettingsDep) -> Signed:
    """The integration whose secret (``ORBIT_INTERACTIONS_CALL_INTEGRATIONS``) signed the
    body (Standard Webhooks: ``webhook-id``, ``webhook-timestamp`` within 5 minutes of now,
    ``webhook-signature``); each configured secret is tried. None: 401."""
    body = await request.body()
    headers = {name: request.headers.get(name, "") for name in SIGNATURE_HEADERS}
    for name, secret in settings.interactions_call_integrations.items():
        try:
            Webhook(secret.get_secret_value()).verify(body, headers, json_parse=False)
        except (WebhookVerificationError, ValueError, binascii.Error):
            continue
        return _signed(request, body, name, headers["webhook-id"])
    raise Unauthorized("the call record carries no valid webhook signature")


SignedDep = Annotated[Signed, Depends(standard_webhook)]


def _present(call: Any) -> CallOut:
    return call_out(call)


@router.post(
    "",
    status_code=201,
    response_model=CallOut,
    operation_id="receiveCall",
    responses=UNSIGNED,  # type: ignore[arg-type]
    openapi_extra=STANDARD_HEADERS,
)
async def receive_call(
    body: CallIn, signed: SignedDep, runtime: RuntimeDep, settings: SettingsDep
) -> JSONResponse:
    """A call record of a telephony integration, signed with Standard Webhooks (no bearer
    token). Matched by the client's number to a contact: a missed inbound call opens its
    callback request, an answered one is logged as a `call` interaction with its duration,
    an outbound answered call to a number whose missed call waits answers that request.
    Else kept unmatched (`outcome: unmatched`). A repeated `webhook-id` answers the first
    response (`Idempotent-Replayed: true`) and does nothing again."""
    return await _receive(runtime, settings, signed, body)


async def _receive(
    runtime: Any, settings: InteractionsSettings, signed: Signed, body: CallIn
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.receive_call(
            uow, signed.integration, signed.idempotency.key, body, settings
        ),
        _present,
        caller_id=f"integration:{signed.integration}",
        idempotency=signed.idempotency,
        status_code=201,
    )


TWILIO_FORM = {
    "requestBody": {
        "required": True,
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "required": ["CallSid", "From", "To", "Direction", "CallStatus", "Timestamp"],
                    "properties": {
                        name: {"type": "string"}
                        for name in (
                            "CallSid",
                            "From",
                            "To",
                            "Direction",
                            "CallStatus",
                            "CallDuration",
                            "Timestamp",
                            "RecordingUrl",
                        )
                    },
                    "additionalProperties": {"type": "string"},
                }
            }
        },
    },
    "parameters": [
        {
            "name": "X-Twilio-Signature",
            "in": "header",
            "required": True,
            "schema": {"type": "string"},
            "description": "base64 HMAC-SHA1 of the URL and the sorted parameters",
        }
    ],
}


@router.post(
    "/twilio",
    status_code=201,
    response_model=CallOut,
    operation_id="receiveTwilioCall",
    responses=UNSIGNED,  # type: ignore[arg-type]
    openapi_extra=TWILIO_FORM,
)
async def receive_twilio_call(
    request: Request, runtime: RuntimeDep, settings: SettingsDep
) -> JSONResponse:
    """Twilio's status callback of a call that ended (`CallStatus` completed, busy,
    no-answer, failed or canceled), form-encoded and signed with `X-Twilio-Signature` (the
    account's auth token, `ORBIT_INTERACTIONS_TWILIO_AUTH_TOKEN`, over the callback URL
    `ORBIT_INTERACTIONS_TWILIO_WEBHOOK_URL`): taken as the generic call record it maps to,
    once per `CallSid`."""
    body = await request.body()
    params = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    token = settings.interactions_twilio_auth_token
    url = settings.interactions_twilio_webhook_url or str(request.url)
    signature = request.headers.get("x-twilio-signature")
    if token is None or not rules.twilio_valid(url, params, token.get_secret_value(), signature):
        raise Unauthorized("the status callback carries no valid X-Twilio-Signature")
    fields = dict(params)
    try:
        record = CallIn.model_validate(rules.twilio_call(fields))
    except rules.TwilioFormatError as exc:
        raise Invalid.field(exc.field, exc.message) from exc
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    call_sid = fields.get("CallSid", "").strip()
    if not call_sid:
        raise Invalid.field("CallSid", "is required")
    return await _receive(runtime, settings, _signed(request, body, TWILIO, call_sid), record)


@router.get("", response_model=Page[CallOut], operation_id="listCalls")
async def list_calls(
    caller: CallerDep,
    runtime: RuntimeDep,
    matched: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[CallOut]:
    """The call records, latest received first: `matched=true` those of the caller's
    clients, `matched=false` the unmatched ones (no client owns them yet: every manager,
    head and admin sees them, to assign them); both when omitted."""
    caller.require(*WRITERS)
    async with runtime.reads() as session:
        stmt = repo.scoped_calls(caller, matched)
        items, next_cursor = await repo.calls_page(session, stmt, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, call_out)


@router.post("/{call_id}/assign", response_model=CallOut, operation_id="assignCall")
async def assign_call(
    call_id: uuid.UUID,
    body: CallAssignIn,
    caller: CallerDep,
    runtime: RuntimeDep,
    settings: SettingsDep,
) -> JSONResponse:
    """An unmatched call is this client's (and contact's): acted on as a matched call
    (a missed inbound call opens its callback request, …). 404 for a client out of the
    caller's scope, 409 for a call matched already."""
    return await run_command(
        runtime.uow,
        lambda uow: handlers.assign_call(uow, caller, call_id, body, settings),
        call_out,
        caller_id=caller.id,
    )
