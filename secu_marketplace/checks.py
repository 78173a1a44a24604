"""Django system checks for the ``SECU_MARKETPLACE`` setting (filled in with the app)."""
