"""The app's models, one module per concern; import them from here."""

from .attempts import CheckoutAttempt, PaymentTransaction
from .claims import InFlight
from .events import StatusEvent
from .orders import LineItem, Order, SubBasket
from .pushes import PushNotification
from .refunds import Refund
from .suppliers import Supplier

__all__ = [
    "CheckoutAttempt",
    "InFlight",
    "LineItem",
    "Order",
    "PaymentTransaction",
    "PushNotification",
    "Refund",
    "StatusEvent",
    "SubBasket",
    "Supplier",
]
