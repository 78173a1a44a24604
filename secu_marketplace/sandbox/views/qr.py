"""``girocode_url``: the EPC ("GiroCode") QR code for a prepaid or invoice transfer."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from secu_marketplace.girocode import epc_svg
from secu_marketplace.sandbox.models import SmartTransaction


@require_GET
def epc(request: HttpRequest) -> HttpResponse:
    stx = SmartTransaction.objects.filter(stx_id=request.GET.get("stx", "")).first()
    if stx is None or not stx.payment_instructions:
        raise Http404("no payment instructions for this transaction")
    info = stx.payment_instructions
    svg = epc_svg(
        name=info["owner"],
        iban=info["iban"],
        bic=info.get("bic", ""),
        amount=int(stx.basket_info["sum"]),
        currency=stx.basket_info.get("currency", "EUR"),
        purpose=info["purpose"],
    )
    return HttpResponse(svg, content_type="image/svg+xml")
