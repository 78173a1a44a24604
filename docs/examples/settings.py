# settings.py, below what startproject wrote
import os

INSTALLED_APPS += [
    "secu_marketplace",
    "secu_marketplace.sandbox",  # the bundled emulator of secuconnect: leave it out in production
]

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")  # where secuconnect reaches the shop
SECU_MARKETPLACE = {
    # Out of the box: the bundled sandbox (mounted at /sandbox/ below) and its own credentials and
    # marketplace contract. For secuconnect's testing host set SECUCONNECT_API_URL to
    # https://connect-testing.secuconnect.com and the credentials and contract secupay gave you.
    "API_URL": os.environ.get("SECUCONNECT_API_URL", f"{SITE_URL}/sandbox"),
    "CLIENT_ID": os.environ.get("SECUCONNECT_CLIENT_ID", "00563697073442633035025909838580"),
    "CLIENT_SECRET": os.environ.get(
        "SECUCONNECT_CLIENT_SECRET",
        "3382456441636938321687549172178382320163695870914358804052148567",
    ),
    "CONTRACT_ID": os.environ.get("SECUCONNECT_CONTRACT_ID", "GCR_2MNKTWOFO6FPYI2DW7AM1LK21P1HJ2"),
    "IS_DEMO": True,  # test transactions; False only with production credentials
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
