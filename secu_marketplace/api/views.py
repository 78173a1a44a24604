"""The API's views: each parses, calls one public entry point of the app, and answers JSON.

Authorised like the buyer's HTML pages: by the order's public token in the URL, with no session
(so no CSRF token either). Errors are JSON with an ``error`` code and a ``detail`` sentence, and
a status code a front end can act on: 404 unknown order, 409 not payable (now), 400 a method or
basket the order cannot be paid with, 503 secuconnect not reachable (try again), 502 secuconnect
refused. Nothing here moves money.
"""

from __future__ import annotations

import logging
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from secu_marketplace.api import reading
from secu_marketplace.api.serializers import (
    CheckoutRequestSerializer,
    CheckoutSerializer,
    ErrorSerializer,
    MethodsSerializer,
    OrderSerializer,
)
from secu_marketplace.exceptions import (
    ApiError,
    AuthenticationError,
    BasketError,
    CheckoutError,
    ProviderUnavailable,
)
from secu_marketplace.models import Order
from secu_marketplace.served import following_server
from secu_marketplace.services.checkout import start_checkout
from secu_marketplace.services.supplier_contracts import accepted_methods, order_contracts
from secu_marketplace.services.sync import buyer_page

logger = logging.getLogger(__name__)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid, checkout_refused or basket"),
    404: OpenApiResponse(description="No order has this token."),
    409: OpenApiResponse(ErrorSerializer, description="not_payable: paid, under review..."),
    502: OpenApiResponse(ErrorSerializer, description="provider_refused"),
    503: OpenApiResponse(ErrorSerializer, description="provider_unavailable: try again"),
}


def described(**kwargs: Any) -> Any:
    """``extend_schema`` on drf-spectacular's own ``AutoSchema``, whatever the project's
    ``DEFAULT_SCHEMA_CLASS`` is: a shop's REST framework settings stay its own."""

    def decorator(method: Any) -> Any:
        method.schema = AutoSchema  # what extend_schema extends
        return extend_schema(**kwargs)(method)

    return decorator


def error(http_status: int, code: str, detail: str, **extra: Any) -> Response:
    return Response({"error": code, "detail": detail, **extra}, status=http_status)


class BuyerView(APIView):
    """Open to whoever holds the order's public token, as the order's HTML page is."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    schema = AutoSchema()

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        with following_server(request):
            return super().dispatch(request, *args, **kwargs)


class OrderView(BuyerView):
    @described(
        operation_id="order_read",
        summary="The order's payment state and the buyer's summary",
        description=(
            "What the buyer's payment page shows, as data: the state, what to transfer, what "
            "was refunded per supplier, what shipped. While a payment is in flight the app asks "
            "secuconnect first (at most every few seconds), as the page does."
        ),
        responses={200: OrderSerializer, 404: ERRORS[404]},
    )
    def get(self, request: Request, token: str) -> Response:
        order = get_object_or_404(Order, public_token=token)
        page = buyer_page(order)
        page_url = request.build_absolute_uri(order.get_status_url())
        return Response(OrderSerializer(reading.order_state(page, page_url)).data)


class CheckoutView(BuyerView):
    @described(
        operation_id="order_checkout",
        summary="Start or resume the checkout: where to send the buyer",
        description=(
            "Opens a Smart Transaction for the order, or resumes the open one (never a second "
            "for the same basket: double clicks and two tabs are safe), and answers Smart "
            "Checkout's URL. Send the buyer's browser there; secuconnect sends it back to the "
            "app's payment page."
        ),
        request=CheckoutRequestSerializer,
        responses={
            200: CheckoutSerializer,
            **{code: ERRORS[code] for code in (400, 404, 409, 502, 503)},
        },
    )
    def post(self, request: Request, token: str) -> Response:
        order = get_object_or_404(Order, public_token=token)
        given = CheckoutRequestSerializer(data=request.data)
        if not given.is_valid():
            return error(400, "invalid", str(given.errors), fields=given.errors)
        try:
            started = start_checkout(
                order,
                method=given.validated_data["method"],
                language=given.validated_data["language"],
            )
        except CheckoutError as refused:
            return self._refused(order, refused)
        except BasketError as wrong:
            logger.error("order %s cannot be paid: %s", order.reference, wrong)
            return error(400, "basket", str(wrong))
        except AuthenticationError as wrong:
            logger.critical("secuconnect refused the shop's credentials: %s", wrong)
            return error(503, "provider_unavailable", "Payment is not available right now.")
        except ProviderUnavailable:
            return error(503, "provider_unavailable", "secuconnect cannot be reached; try again.")
        except ApiError as wrong:
            logger.error("secuconnect refused the checkout of %s: %s", order.reference, wrong)
            return error(502, "provider_refused", "secuconnect refused the checkout.")
        answer = {"url": started.url, "reused": started.reused, "order": order.reference}
        return Response(CheckoutSerializer(answer).data)

    @staticmethod
    def _refused(order: Order, refused: CheckoutError) -> Response:
        order.refresh_from_db(fields=["status"])
        if not order.is_payable:
            return error(409, "not_payable", str(refused), status=order.status)
        return error(400, "checkout_refused", str(refused))


class MethodsView(BuyerView):
    @described(
        operation_id="order_methods",
        summary="The payment methods every supplier of the order accepts",
        responses={200: MethodsSerializer, **{code: ERRORS[code] for code in (404, 409, 503)}},
    )
    def get(self, request: Request, token: str) -> Response:
        order = get_object_or_404(Order, public_token=token)
        try:
            methods = accepted_methods(order_contracts(order))
        except CheckoutError as refused:
            return error(409, "not_payable", str(refused), status=order.status)
        except ProviderUnavailable:
            return error(503, "provider_unavailable", "secuconnect cannot be reached; try again.")
        return Response(MethodsSerializer({"methods": methods}).data)
