"""Where the catalog's shipped files live, in a source checkout and in an installed wheel."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _shipped(checkout_name: str, wheel_name: str) -> Path:
    # A source checkout (and an editable install) keeps the folder at the top level;
    # the wheel carries it inside the package (see pyproject's force-include).
    for candidate in (_PACKAGE_DIR.parent / checkout_name, _PACKAGE_DIR / wheel_name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the catalog's {checkout_name}/ folder is missing from this install")


def data_dir() -> Path:
    """The shipped data folder: lexicons, labels, the model, policy profiles."""
    return _shipped("data", "_data")


def migrations_dir() -> Path:
    """The Alembic scripts folder."""
    return _shipped("migrations", "_migrations")


def default_database_url() -> str:
    """SQLite under $XDG_DATA_HOME/catalog/ (else ~/.local/share/catalog/)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'catalog' / 'catalog.db'}"


def database_url(explicit: str | None = None) -> str:
    """The database to use: the --db value, else $CATALOG_DATABASE_URL, else the default SQLite file."""
    return explicit or os.environ.get("CATALOG_DATABASE_URL") or default_database_url()
