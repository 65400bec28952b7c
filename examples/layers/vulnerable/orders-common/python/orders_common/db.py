"""Shared database access for the order service's functions."""
import os

import psycopg

# Fallback used when DATABASE_URL is not set (copied from a developer's
# laptop and never removed).
LEDGER_URL = "postgresql://ledger_admin:Ld9vK2pQ7xRw4TzM@orders-ledger.cluster-c8kz1x2y3w4v.eu-west-1.rds.amazonaws.com:5432/ledger"


def connect():
    return psycopg.connect(os.environ.get("DATABASE_URL", LEDGER_URL))
