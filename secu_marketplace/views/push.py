"""``url_push``: secuconnect's notification that something about this attempt changed.

CSRF-exempt (server to server, no cookies, no session). The body is validated and then only used
as a hint: the attempt named by the URL's signed token is re-read through ``sync_attempt``. The
answer is 200 only once that result is committed, so secuconnect's retries (until 200, for 24
hours) cover a provider or database hiccup on our side.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from secu_marketplace.links import attempt_for
from secu_marketplace.services.pushes import MalformedPush, parse
from secu_marketplace.services.sync import sync_attempt
from secu_marketplace.statuses import Source

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def push(request: HttpRequest, token: str) -> HttpResponse:
    attempt = attempt_for(token)
    if attempt is None:
        return JsonResponse({"error": "unknown push URL"}, status=404)
    try:
        parse(request.body)
    except MalformedPush as error:
        logger.warning("malformed push for %s: %s", attempt, error)
        return JsonResponse({"error": str(error)}, status=400)
    result = sync_attempt(attempt, source=Source.PUSH)
    if not result.reachable:
        # Not 200: secuconnect will send it again.
        return JsonResponse({"error": "could not re-read the transaction; retry later"}, status=503)
    return HttpResponse("ok", content_type="text/plain")
