"""The `catalog db`, `policy`, `classifier` and `site` command groups."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from catalog import render
from catalog.cli_support import (
    JsonOption,
    err,
    open_store,
    out,
    print_json,
    reports_errors,
    settings,
)
from catalog.paths import database_url

db_app = typer.Typer(help="The catalog database: migrations.", no_args_is_help=True)
policy_app = typer.Typer(help="Gateway policy files: validation.", no_args_is_help=True)
classifier_app = typer.Typer(help="The access classifier: train the model, measure it.", no_args_is_help=True)
site_app = typer.Typer(help="The static site: a page per tool, server and category.", no_args_is_help=True)


@policy_app.command("check")
@reports_errors
def policy_check(
    file: Annotated[Path, typer.Argument(help="A policy file: PolicyLayer JSON, Intercept YAML or Claude Code settings.")],
    format: Annotated[
        str | None, typer.Option("--format", help="policylayer, intercept or claude-code (default: guessed from the file).")
    ] = None,
) -> None:
    """Validate a policy file: one line per problem and exit 1 when it is invalid."""
    from catalog.policy import check_policy

    dialect, problems = check_policy(file, format)
    for problem in problems:
        err.print(Text(f"{file}: {problem}"))
    if problems:
        raise typer.Exit(1)
    sys.stdout.write(f"{file}: valid {dialect.value} policy\n")


@db_app.command("upgrade")
@reports_errors
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Bring the database schema to a revision (head by default)."""
    from catalog import migrate

    url = database_url(settings.db)
    migrate.upgrade(url, revision)
    err.print(f"database at {migrate.current(url)}")


@db_app.command("current")
@reports_errors
def db_current() -> None:
    """Print the database's schema revision."""
    from catalog import migrate

    sys.stdout.write(f"{migrate.current(database_url(settings.db)) or 'empty'}\n")


LabelsOption = Annotated[
    Path | None, typer.Option("--labels", help="Labelled data folder with hand/ and weak/ (default: the shipped data/labels).")
]
ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="Model folder (default: the shipped data/model).")
]


@classifier_app.command("train")
@reports_errors
def classifier_train(
    labels: LabelsOption = None,
    model_dir: ModelDirOption = None,
    repick: Annotated[
        bool,
        typer.Option(
            "--repick",
            help="Ignore the policy pinned in the labels folder's policy.toml: the search alone chooses.",
        ),
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Train the access model on the hand labels; write it (skops) with meta.json and CV metrics."""
    from catalog.paths import data_dir
    from classifier.train import train

    meta = train(labels or data_dir() / "labels", model_dir or data_dir() / "model", use_pin=not repick)
    if json_output:
        print_json(meta)
    else:
        cv = meta["cv"]
        err.print(
            f"trained on {meta['rows']} rows: CV macro-F1 {cv['macro_f1']:.3f}, "
            f"destructive recall {cv['destructive_recall']:.3f}, policy {meta['policy']}",
            markup=False,
        )
        err.print(policy_choice_line(cv["choice"]), markup=False)


def policy_choice_line(choice: dict[str, Any]) -> str:
    """How the training chose its policy, in one line."""
    best, chosen, pinned = choice["best"], choice["chosen"], choice["pinned"]

    def named(item: dict[str, Any]) -> str:
        return f"margin {item['rules_margin']:g} floor {item['destructive_floor']:g} (mean score {item['score']:.4f})"

    splits = f"over {choice['splits']} CV split{'s' if choice['splits'] != 1 else ''}"
    if pinned is None:
        return f"policy chosen by the search {splits}: {named(chosen)}; best {named(best)}"
    if choice["kept_pinned"] and (best["rules_margin"], best["destructive_floor"]) == (
        pinned["rules_margin"], pinned["destructive_floor"]
    ):
        return f"pinned policy kept: {named(pinned)}, which is also the search's best {splits}"
    if choice["kept_pinned"]:
        return (
            f"pinned policy kept: {named(pinned)}; the search's best, {named(best)}, is within the band "
            f"{choice['band']:.4f} {splits}"
        )
    return (
        f"pinned policy replaced: the search's best, {named(best)}, beats the pinned {named(pinned)} by more "
        f"than the band {choice['band']:.4f} {splits}; chosen {named(chosen)}; update policy.toml"
    )


@classifier_app.command("eval")
@reports_errors
def classifier_eval(
    labels: LabelsOption = None,
    model_dir: ModelDirOption = None,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Folds of the cross-validation on hand labels.")] = 5,
    worst: Annotated[int, typer.Option(min=0, help="How many worst mistakes to list.")] = 10,
    server: Annotated[
        list[str] | None,
        typer.Option("--server", metavar="NAME", help="Limit (b) and (b′) to this weak server's rows (repeatable)."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Measure the classifier: (a) CV on hand labels; (b) real servers' hints, hidden; (b′) reviewed."""
    from catalog.paths import data_dir
    from classifier.evaluate import evaluate, format_report

    report = evaluate(
        labels or data_dir() / "labels", model_dir or data_dir() / "model", folds=folds, worst=worst,
        servers=server or (),
    )
    if json_output:
        print_json(report)
    else:
        out.print(format_report(report), end="", markup=False)


@site_app.command("build")
@reports_errors
def site_build(
    out_dir: Annotated[Path, typer.Option("--out", envvar="CATALOG_SITE_OUT", help="Folder to build the site in.")],
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", envvar="CATALOG_SITE_BASE_URL",
                     help="Where the site will be served, e.g. https://catalog.example.org/ (absolute URLs, sitemap)."),
    ] = None,
    profile: Annotated[str, typer.Option(envvar="CATALOG_PROFILE", help="Built-in profile name or a .toml file.")] = "balanced",
) -> None:
    """Build the static site (HTML, search index, JSON API, feeds); rewrites only what changed."""
    from catalog.site import build_site, load_site_data

    with open_store() as store, render.progress(err, "reading the catalog") as progress:
        data = load_site_data(store, progress)
    with render.progress(err, "building the site") as progress:
        report = build_site(data, out_dir, base_url=base_url, profile=profile, progress=progress)
    err.print(f"{report.files} files in {out_dir}: {len(report.written)} written, {report.unchanged} unchanged, "
              f"{len(report.deleted)} removed ({report.seconds:.1f}s)")
