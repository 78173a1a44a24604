"""The staff's side: orders to review and act on, suppliers to manage."""

from secu_marketplace.admin.orders import OrderAdmin
from secu_marketplace.admin.pushes import PushNotificationAdmin
from secu_marketplace.admin.suppliers import SupplierAdmin

__all__ = ["OrderAdmin", "PushNotificationAdmin", "SupplierAdmin"]
