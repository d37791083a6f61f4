"""The log's public key at a well-known address, for anyone who wants to check a receipt."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from onegrid.ledger import keys


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """``<origin>+<key id>+<base64(0x01 ‖ Ed25519 key)>``: the vkey ``onegrid ledger verify --key`` takes."""
    response = HttpResponse(keys.verifier().vkey + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response
