"""A faithful emulator of secuconnect's testing host and of the hosted Smart Checkout page.

Mount ``secu_marketplace.sandbox.urls`` (the demo mounts it at ``/sandbox/``) and point the app's
``API_URL`` at it. State lives in the database, so every process of a deployment shares it.

Every behaviour follows docs/provider.md, which names its public source for each (PHP-SDK,
JAVA-SDK, DEMO, RUBY, PRETIX, DOC:x). Where nothing public decides, the sandbox offers a switch
(``conf.py``; docs/provider.md, "Undecided") or documents its guess where it makes it. A clock
of its own (``clock.py``) lets tests let hours pass.
"""
