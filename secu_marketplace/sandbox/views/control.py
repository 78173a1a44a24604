"""The control API under ``<mount>/control/``: arm faults, read the call log, expire tokens,
send pending pushes, move the sandbox clock, set the switches, configure contracts (methods,
cloning, approval, mixed baskets). Not part of secuconnect.

It can make any payment succeed or fail, so it protects itself: off with
``SECU_SANDBOX["CONTROL_API"] = False``; otherwise it answers only when ``DEBUG`` is on (a
developer's machine), or to a request that carries ``SECU_SANDBOX["CONTROL_TOKEN"]`` in the
``X-Sandbox-Control-Token`` header. Once a token is set it is required on every call, DEBUG or
not."""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from secu_marketplace.sandbox import conf, control
from secu_marketplace.sandbox.errors import ProductError

Handler = Callable[..., HttpResponse]
TOKEN_HEADER = conf.CONTROL_HEADER


def allowed(request: HttpRequest) -> bool:
    """Whether ``request`` may use the control API (see the module docstring)."""
    token = conf.get("CONTROL_TOKEN")
    if token:
        return hmac.compare_digest(request.headers.get(TOKEN_HEADER, ""), str(token))
    return bool(settings.DEBUG)


def control_view(handler: Handler) -> Handler:
    @csrf_exempt
    @wraps(handler)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not conf.get("CONTROL_API"):
            raise Http404("control API disabled")
        if not allowed(request):
            if not conf.get("CONTROL_TOKEN"):
                raise Http404("control API: DEBUG is off and no CONTROL_TOKEN is set")
            return JsonResponse({"error": f"the {TOKEN_HEADER} header is required"}, status=403)
        try:
            return handler(request, *args, **kwargs)
        except KeyError as exc:
            return JsonResponse({"error": f"missing field {exc}"}, status=400)
        except LookupError as exc:
            return JsonResponse({"error": str(exc)}, status=404)
        except ProductError as exc:
            return JsonResponse({"error": exc.details}, status=exc.http_status)
        except (ValueError, TypeError) as exc:
            return JsonResponse({"error": str(exc)}, status=400)

    return wrapper


def _body(request: HttpRequest) -> dict[str, Any]:
    data = json.loads(request.body or b"{}")
    if not isinstance(data, dict):
        raise ValueError("a JSON object is required")
    return data


@control_view
def faults(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        data = _body(request)
        fault = control.inject(
            str(data["operation"]),
            str(data["kind"]),
            # "times": null arms the fault until it is cleared.
            times=None if data.get("times", 1) is None else int(data.get("times", 1)),
            latency_ms=int(data.get("latency_ms", 0)),
        )
        return JsonResponse({"id": fault.pk}, status=201)
    if request.method == "DELETE":
        control.clear_faults()
        return JsonResponse({"deleted": True})
    return JsonResponse({"faults": control.fault_rows(), "kinds": list(control.FAULT_KINDS)})


@control_view
def calls(request: HttpRequest) -> HttpResponse:
    if request.method == "DELETE":
        control.reset_calls()
        return JsonResponse({"deleted": True})
    rows = control.call_rows(request.GET.get("operation"), int(request.GET.get("since_id", 0)))
    return JsonResponse({"count": len(rows), "calls": rows})


@control_view
def expire_tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    data = _body(request)
    return JsonResponse({"expired": control.expire_tokens(data.get("client_id"))})


@control_view
def client_settings(request: HttpRequest, client_id: str) -> HttpResponse:
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    lifetime = _body(request).get("token_lifetime")
    control.set_token_lifetime(client_id, int(lifetime) if lifetime is not None else None)
    return JsonResponse({"client_id": client_id, "token_lifetime": lifetime})


@control_view
def pushes(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # {"due": true}: only what is due by the sandbox clock; otherwise everything pending.
        json_sent = request.content_type == "application/json" and request.body
        due = bool(_body(request).get("due")) if json_sent else False
        sent = control.deliver_due_pushes() if due else control.deliver_pushes(force=True)
        return JsonResponse({"sent": len(sent), "pushes": control.push_rows()})
    return JsonResponse({"pushes": control.push_rows()})


@control_view
def clock(request: HttpRequest) -> HttpResponse:
    """``GET``: the sandbox time; ``POST {"advance": seconds}`` or ``POST {"reset": true}``."""
    if request.method == "POST":
        data = _body(request)
        if data.get("reset"):
            return JsonResponse(control.reset_clock())
        seconds = data["advance"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError("advance: a number of seconds is required")
        return JsonResponse(control.advance_clock(float(seconds)))
    return JsonResponse(control.clock_state())


@control_view
def switches(request: HttpRequest) -> HttpResponse:
    """``GET``: every switch; ``POST {"NAME": value, ...}`` sets them (``null`` resets one);
    ``DELETE`` resets all."""
    if request.method == "POST":
        for name, value in _body(request).items():
            if value is None:
                control.reset_switches(name)
            else:
                control.set_switch(name, value)
    elif request.method == "DELETE":
        control.reset_switches()
    return JsonResponse({"switches": control.switches()})


@control_view
def contract_methods(request: HttpRequest, contract_id: str) -> HttpResponse:
    """``POST {"methods": [...]}``: the contract's payment methods (``[]`` or ``null``: all)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    methods = _body(request)["methods"]
    if methods is not None and not (
        isinstance(methods, list) and all(isinstance(m, str) for m in methods)
    ):
        raise ValueError("methods: a list of method names, or null")
    return JsonResponse(
        {"contract_id": contract_id, "methods": control.set_contract_methods(contract_id, methods)}
    )


def _flag(request: HttpRequest, contract_id: str, name: str) -> HttpResponse:
    """``POST {"<name>": true|false}`` on one of a contract's own switches."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    value = _body(request)[name]
    if not isinstance(value, bool):
        raise ValueError(f"{name}: true or false")
    setters: dict[str, Callable[[str, bool], None]] = {
        "allow_cloning": control.set_contract_cloning,
        "approved": control.approve_contract,
        "mixed_basket": control.set_contract_mixed_basket,
    }
    setters[name](contract_id, value)
    return JsonResponse({"contract_id": contract_id, name: value})


@control_view
def contract_cloning(request: HttpRequest, contract_id: str) -> HttpResponse:
    """``POST {"allow_cloning": true|false}``: allow or refuse requestId on the contract."""
    return _flag(request, contract_id, "allow_cloning")


@control_view
def contract_approval(request: HttpRequest, contract_id: str) -> HttpResponse:
    """``POST {"approved": true|false}``: secupay approves the contract (or withdraws it)."""
    return _flag(request, contract_id, "approved")


@control_view
def contract_mixed_basket(request: HttpRequest, contract_id: str) -> HttpResponse:
    """``POST {"mixed_basket": true|false}``: off, a mixed basket is refused with code 4028."""
    return _flag(request, contract_id, "mixed_basket")


@control_view
def money_back(request: HttpRequest, pci_id: str) -> HttpResponse:
    """``POST``: the buyer's money for the Payment Transaction comes back (simple status 4)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return JsonResponse(control.money_back(pci_id))


@control_view
def issue_resolved(request: HttpRequest, pci_id: str) -> HttpResponse:
    """``POST``: the issue on the Payment Transaction is resolved (simple status 6)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    return JsonResponse(control.issue_resolved(pci_id))


@control_view
def payouts(request: HttpRequest) -> HttpResponse:
    """``POST {"contracts": [...]}`` (optional): a payout run; answers the records made."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    json_sent = request.content_type == "application/json" and request.body
    named = _body(request).get("contracts") if json_sent else None
    if named is not None and not (
        isinstance(named, list) and all(isinstance(c, str) for c in named)
    ):
        raise ValueError("contracts: a list of contract ids, or null for all")
    made = control.pay_out(named)
    return JsonResponse({"count": len(made), "payouts": made})


@control_view
def contract_payout_push(request: HttpRequest, contract_id: str) -> HttpResponse:
    """``POST {"url": "https://..."}``: where the contract's payout pushes go ("" resets)."""
    if request.method != "POST":
        return JsonResponse({"error": "POST only"}, status=405)
    url = _body(request)["url"]
    if not isinstance(url, str):
        raise ValueError("url: a string")
    control.set_payout_push_url(contract_id, url)
    return JsonResponse({"contract_id": contract_id, "payout_push_url": url})
