"""A faithful emulator of secuconnect's testing host and of the hosted Smart Checkout page.

Mount ``secu_marketplace.sandbox.urls`` (the demo mounts it at ``/sandbox/``) and point the app's
``API_URL`` at it. State lives in the database, so every process of a deployment shares it.
"""
