"""What every `catalog` command shares: consoles, one-line errors, the store, common options."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from catalog import render
from catalog.errors import CatalogError
from catalog.store import Store

err = Console(stderr=True, highlight=False, soft_wrap=True)
# A pipe gets wide lines rather than a table squeezed to 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)

P = ParamSpec("P")
R = TypeVar("R")


class _Settings:
    db: str | None = None
    debug: bool = False


settings = _Settings()


def fail(message: str, hint: str | None, code: int) -> None:
    err.print(Text("error: ", style="red").append(render.one_line(message), style=""))
    if hint:
        err.print(Text(f"hint: {render.one_line(hint)}"))
    raise typer.Exit(code)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a CatalogError into one red line and exit 1; anything else into one line and exit 2."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except CatalogError as error:
            if settings.debug:
                raise
            fail(str(error), error.hint, 1)
        except KeyboardInterrupt:
            fail("interrupted", None, 130)
        except Exception as error:  # a bug: still one line, the traceback behind --debug
            if settings.debug:
                raise
            fail(f"internal error: {type(error).__name__}: {error}", "run with --debug for the traceback", 2)
        raise AssertionError("unreachable")

    return wrapper


@contextmanager
def open_store() -> Iterator[Store]:
    with Store.open(settings.db) as store:
        yield store


DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="CATALOG_DATABASE_URL", help="Database URL (default: SQLite under $XDG_DATA_HOME/catalog/)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable JSON on stdout.")]
ServerOption = Annotated[str | None, typer.Option("--server", help="A server key, e.g. github:owner/repo.")]
SinceOption = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Registries: only servers updated after this (UTC)."),
]
ServersOnlyOption = Annotated[
    bool, typer.Option("--servers-only", help="Registries: list servers, crawl none of their tools.")
]
RegistryUrlOption = Annotated[
    str | None,
    typer.Option("--registry-url", envvar="CATALOG_REGISTRY_URL", help="Registries: base URL of a mirror or test server."),
]
RateOption = Annotated[
    float, typer.Option(envvar="CATALOG_REGISTRY_RATE", help="Registries: requests per second per host (0: no limit).")
]


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
