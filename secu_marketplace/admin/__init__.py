"""The staff's side: orders to review and act on, suppliers to manage."""

from .orders import OrderAdmin
from .pushes import PushNotificationAdmin
from .suppliers import SupplierAdmin

__all__ = ["OrderAdmin", "PushNotificationAdmin", "SupplierAdmin"]
