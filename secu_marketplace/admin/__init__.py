"""The staff's side: orders to review and act on, suppliers to manage."""

from secu_marketplace.admin.books import PayoutAdmin, PayoutLineAdmin
from secu_marketplace.admin.holds import HoldAdmin
from secu_marketplace.admin.orders import OrderAdmin
from secu_marketplace.admin.pushes import PushNotificationAdmin
from secu_marketplace.admin.suppliers import SupplierAdmin

__all__ = [
    "HoldAdmin",
    "OrderAdmin",
    "PayoutAdmin",
    "PayoutLineAdmin",
    "PushNotificationAdmin",
    "SupplierAdmin",
]
