"""One exception tree for the whole catalog; cli.py translates it once into a one-line error.

    CatalogError
    ├── ConfigError      bad arguments, targets, profiles, environment
    ├── CrawlError       a source could not be read (network, archive, extraction)
    │   └── RateLimited  the remote API refused for now; carries when to try again
    ├── ClassifierError  model missing, wrong version, bad labels
    └── StoreError       database unreachable, schema trouble, unknown tool or server
"""

from __future__ import annotations


class CatalogError(Exception):
    """Base of every error the catalog reports to a user; the message is one line."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(CatalogError):
    """The user asked for something that cannot be: a bad target, flag, file or setting."""


class CrawlError(CatalogError):
    """A source could not be crawled."""


class RateLimited(CrawlError):
    """A remote API refused because a rate limit is exhausted."""


class ClassifierError(CatalogError):
    """The classifier cannot run: no model, a model of another version, bad training data."""


class StoreError(CatalogError):
    """The store cannot do what was asked."""


class NotFound(StoreError):
    """An unknown tool or server."""
