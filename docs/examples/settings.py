# settings.py, below what startproject wrote
import os

# One switch: "sandbox" (the bundled emulator, the default here), "testing" (secuconnect's test
# host) or "production". On the sandbox, empty credentials mean its public test ones.
SECU_ENVIRONMENT = os.environ.get("SECUCONNECT_ENVIRONMENT", "sandbox")
# startproject's DEBUG = True is for your machine: off unless on the sandbox or DEBUG=1 says so
# (production with DEBUG on refuses to start: E024).
DEBUG = os.environ.get("DEBUG", "1" if SECU_ENVIRONMENT == "sandbox" else "0") == "1"

INSTALLED_APPS += ["secu_marketplace"]
if SECU_ENVIRONMENT == "sandbox":
    INSTALLED_APPS += ["secu_marketplace.sandbox"]  # only while the shop talks to it

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")  # where secuconnect reaches the shop
SECU_MARKETPLACE = {
    "ENVIRONMENT": SECU_ENVIRONMENT,
    # From secupay, for "testing" and "production"; never in the code.
    "CLIENT_ID": os.environ.get("SECUCONNECT_CLIENT_ID", ""),
    "CLIENT_SECRET": os.environ.get("SECUCONNECT_CLIENT_SECRET", ""),
    "CONTRACT_ID": os.environ.get("SECUCONNECT_CONTRACT_ID", ""),
    "IS_DEMO": SECU_ENVIRONMENT != "production",  # test transactions, except in production
    "SITE_URL": SITE_URL,  # absolute base of the return and push URLs
    "CART_URL": "/",  # URL name or path of your cart, for "back to cart" after an abort
}

# SQLite: the sandbox's pushes and the buyer's pages write from several threads. The app begins
# its transactions IMMEDIATE by itself when you choose no mode (SQLITE_IMMEDIATE); these options
# also wait longer for the lock and let readers read during writes (PostgreSQL needs none of it).
DATABASES["default"]["OPTIONS"] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
}
