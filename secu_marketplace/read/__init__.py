"""The read side: what an order and its parts come to (``balances``) and what the buyer's pages
show (``presentation``), read from the database as the app last synced it. It imports only the
models and the rules, never a service: reading never writes and never calls secuconnect."""

from secu_marketplace.read.balances import OrderBalance, PartBalance, order_balance

__all__ = ["OrderBalance", "PartBalance", "order_balance"]
