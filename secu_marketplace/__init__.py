"""secu-marketplace: split marketplace payments through secuconnect Smart Checkout."""

__version__ = "0.1.0.dev0"
