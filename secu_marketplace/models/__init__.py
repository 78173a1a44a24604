"""The app's models, one module per concern; import them from here."""

from secu_marketplace.models.attempts import CheckoutAttempt, PaymentTransaction
from secu_marketplace.models.books import Hold, Payout, PayoutLine
from secu_marketplace.models.claims import InFlight
from secu_marketplace.models.events import StatusEvent
from secu_marketplace.models.orders import LineItem, Order, SubBasket, load_parts
from secu_marketplace.models.pushes import PushNotification
from secu_marketplace.models.refunds import Refund
from secu_marketplace.models.suppliers import Supplier

__all__ = [
    "CheckoutAttempt",
    "Hold",
    "InFlight",
    "LineItem",
    "Order",
    "PaymentTransaction",
    "Payout",
    "PayoutLine",
    "PushNotification",
    "Refund",
    "StatusEvent",
    "SubBasket",
    "Supplier",
    "load_parts",
]
