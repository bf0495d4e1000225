"""Classify 100k varied tools with the shipped classifier; compare with a bare model predict.

    .venv/bin/python benchmarks/classify.py [--count 100000] [--labels DIR] [--model-dir DIR]
        [--workers N]

Tools are made from the labelled rows with perturbations (server prefixes, name styles,
reworded and extended descriptions, extra parameters), so almost every one is distinct and the
classifier's de-duplication does not flatter the figure. Prints tools/s for `classify_all` and
for `predict` of the bare pipeline on the same precomputed model inputs, their ratio, how many
processes shared the batch and how the workers started, and the CPU time all of them used.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalog.paths import data_dir
from catalog.records import ToolRecord
from classifier.base import distinct_definitions
from classifier.combined import CombinedClassifier
from classifier.dataset import load_labels
from classifier.model import model_inputs
from classifier.parallel import available_cpus, start_method
from classifier.rules import RulesClassifier
from classifier.signals import gather

PREFIXES = ("", "", "acme_", "github_", "cortex_", "mcp__srv__", "jira-", "aws.")
OPENERS = ("", "", "Use this tool to ", "This tool will ", "Allows you to ")
TAILS = (
    "",
    " Returns JSON.",
    " Requires an API token.",
    " Results are paginated.",
    " Works with the workspace configured at startup.",
    " Rate limited to 10 calls per minute.",
)
EXTRA_PARAMS = ("workspace_id", "limit", "cursor", "verbose", "region", "projectKey", "timeoutMs")


def perturb(record: ToolRecord, rng: random.Random, serial: int) -> ToolRecord:
    """A variant of a labelled tool: same meaning, different surface, a unique definition."""
    words = record.name.replace("-", "_").split("_")
    style = rng.randrange(3)
    if style == 1:
        name = words[0] + "".join(word.capitalize() for word in words[1:])
    elif style == 2:
        name = "-".join(words)
    else:
        name = "_".join(words)
    description = record.description
    opener = rng.choice(OPENERS)
    if opener and description:
        description = opener + description[0].lower() + description[1:]
    description += rng.choice(TAILS) + f" (variant {serial})"
    properties = dict(record.input_schema.get("properties", {}))
    for extra in rng.sample(EXTRA_PARAMS, rng.randrange(3)):
        properties[extra] = {"type": rng.choice(("string", "integer", "boolean")), "description": extra}
    return record.model_copy(
        update={
            "name": rng.choice(PREFIXES) + name,
            "description": description,
            "input_schema": {"type": "object", "properties": properties},
            "server_key": f"local:bench{serial % 997}",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--labels", type=Path, default=data_dir() / "labels" / "hand")
    parser.add_argument("--model-dir", type=Path, default=data_dir() / "model")
    parser.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per available CPU)"
    )
    args = parser.parse_args()

    rng = random.Random(7)
    rows = load_labels(args.labels)
    tools = [perturb(rows[index % len(rows)].record, rng, index) for index in range(args.count)]
    rules = RulesClassifier.from_data()
    meta = json.loads((args.model_dir / "meta.json").read_text(encoding="utf-8"))
    classifier = CombinedClassifier(rules, meta, model_dir=args.model_dir, workers=args.workers)
    classifier.classify_all(tools[:10])  # load the model outside the timed region

    processes, method = _processes(classifier, tools)
    cpu_start = _cpu_seconds()
    start = time.perf_counter()
    results = classifier.classify_all(tools)
    combined_seconds = time.perf_counter() - start
    cpu_seconds = _cpu_seconds() - cpu_start

    inputs = model_inputs([gather(rules, tool) for tool in tools])
    start = time.perf_counter()
    classifier.model.pipeline.predict(inputs)
    predict_seconds = time.perf_counter() - start

    by_model = sum(1 for result in results if result.reasons[0].startswith("model:"))
    print(f"tools                      {len(tools):>10}  ({by_model} decided by the model)")
    print(f"processes                  {processes:>10}  (workers started by {method})")
    print(f"classify_all               {combined_seconds:>9.2f}s  {len(tools) / combined_seconds:>10,.0f} tools/s")
    print(f"  CPU time, all processes  {cpu_seconds:>9.2f}s  {cpu_seconds / len(tools) * 1e6:>10.1f} µs/tool")
    print(f"bare pipeline predict      {predict_seconds:>9.2f}s  {len(tools) / predict_seconds:>10,.0f} tools/s")
    print(f"ratio classify_all/predict {combined_seconds / predict_seconds:>9.1f}x")


def _processes(classifier: CombinedClassifier, tools: list[ToolRecord]) -> tuple[int, str]:
    """How many processes `classify_all` will use on `tools`, and how its workers start."""
    distinct = len(distinct_definitions(tools)[0])
    extra = (classifier.workers or available_cpus()) - 1
    if extra < 1 or distinct < classifier.parallel_from:
        return 1, "none: one process"
    return 1 + extra, start_method()


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
