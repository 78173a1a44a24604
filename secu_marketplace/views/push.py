"""``url_push``: secuconnect's notification that something about this attempt changed.

CSRF-exempt (server to server, no cookies, no session); the work is ``services.pushes.receive``.
With background tasks on, the view enqueues the read the push claimed (``tasks.py``: imported
only then, since it needs the optional django-tasks on Django 5.2).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from secu_marketplace.links import follow_push, follows_payout_push
from secu_marketplace.served import follow_server
from secu_marketplace.services.payouts import receive_push
from secu_marketplace.services.pushes import receive


@csrf_exempt
@require_POST
@follow_server  # the sandbox on this development server reached the push URL: reach it back
def push(request: HttpRequest, token: str) -> HttpResponse:
    attempt = follow_push(token)
    if attempt is None:
        return JsonResponse({"error": "unknown push URL"}, status=404)
    answer = receive(attempt, request.body)
    if answer.payouts:
        from secu_marketplace.tasks import enqueue_books_upkeep

        enqueue_books_upkeep()
    if answer.read_in is not None:
        from secu_marketplace.tasks import enqueue_pushes

        enqueue_pushes(attempt.pk, after=answer.read_in)
    if answer.status == 200:
        return HttpResponse(answer.message, content_type="text/plain")
    return JsonResponse({"error": answer.message}, status=answer.status)


@csrf_exempt
@require_POST
@follow_server
def payout_push(request: HttpRequest, token: str) -> HttpResponse:
    """``payment.payouts`` pushes (docs/books.md): a hint to read the payouts again."""
    if not follows_payout_push(token):
        return JsonResponse({"error": "unknown push URL"}, status=404)
    answer = receive_push(request.body)
    if answer.enqueue:
        from secu_marketplace.tasks import enqueue_books_upkeep

        enqueue_books_upkeep()
    if answer.status == 200:
        return HttpResponse(answer.message, content_type="text/plain")
    return JsonResponse({"error": answer.message}, status=answer.status)
