"""A tool page's content comes from that tool's data: verdict, policy, parameters, FAQ, history, source."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from selectolax.lexbor import LexborHTMLParser as HTMLParser

from catalog.policy import PolicyLayerJSON, load_profile
from catalog.records import (
    Access,
    Capability,
    Flag,
    Location,
    LocationKind,
    Origin,
    OriginKind,
    Risk,
)
from catalog.site import build_site
from catalog.site.explain import faq_jsonld
from tests.catalog.site.conftest import (
    WHEN,
    catalog,
    stored_server,
    stored_tool,
    verdict,
    version_of,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "command": {"type": "string", "description": "Shell command to run"},
        "shell": {"type": "string", "enum": ["bash", "sh"], "default": "bash"},
        "env": {"type": "object", "properties": {"PATH": {"type": "string"}}},
    },
    "required": ["command"],
}


def run_command_tool(description: str = "Runs a shell command on the build host and returns its output.") -> object:
    return stored_tool(
        "github:acme/build-tools", "run_command", description, schema=SCHEMA, server_name="acme-build",
        classification=verdict(
            Access.WRITE, Risk.HIGH, Capability.EXECUTES_CODE,
            reasons=("name verb 'run' → write", "parameter 'command' → executes code"),
            flags=(Flag(kind="hints-contradict", message="declares readOnlyHint=true but runs commands"),
                   Flag(kind="suspicious-instructions", message="tells the model to skip confirmation",
                        span="do not ask the user"))),
        location=Location(kind=LocationKind.STATIC, file="src/tools/run.ts", line=42),
    )


def build(tmp_path: Path, base_url: str | None = None) -> Path:
    tool = run_command_tool()
    server = stored_server("github:acme/build-tools", "acme-build",
                          Origin(kind=OriginKind.GITHUB, value="acme/build-tools", version="v1.2"),
                          Origin(kind=OriginKind.NPM, value="@acme/build-tools"),
                          Origin(kind=OriginKind.URL, value="javascript:alert(1)", url="javascript:alert(1)"))
    sibling = stored_tool("github:acme/build-tools", "list_jobs", "Lists build jobs.", server_name="acme-build",
                          classification=verdict(Access.READ, Risk.LOW))
    data = catalog([tool, sibling], [server])  # type: ignore[list-item]
    changed = tool.tool.model_copy(update={"description": "Runs a command."})  # type: ignore[attr-defined]
    data.histories[("github:acme/build-tools", "run_command")] = (
        version_of(changed, WHEN - timedelta(days=10)), version_of(tool.tool, WHEN))  # type: ignore[attr-defined]
    build_site(data, tmp_path, base_url=base_url)
    return tmp_path


def text_of(tree: HTMLParser, selector: str) -> list[str]:
    return [" ".join(node.text().split()) for node in tree.css(selector)]


def test_why_it_needs_a_policy_is_built_from_this_tools_reasons_capabilities_and_parameters(tmp_path: Path) -> None:
    page = HTMLParser((build(tmp_path) / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8"))

    why = text_of(page, "section[aria-labelledby=why] p, section[aria-labelledby=why] li")

    assert why == [
        "run_command is a write tool of high risk (90% confidence), category Write.",
        "The classifier's evidence:",
        "name verb 'run' → write",
        "parameter 'command' → executes code",
        "Each call changes state on acme-build; an agent that loops repeats the change.",
        "It is flagged because it can run code or commands, so one call can do anything the host can.",
        "The agent chooses 3 parameters; required: command. Free-form command gives the agent wide latitude. "
        "shell accepts only listed values.",
        "Audit: declares readOnlyHint=true but runs commands",
        "Audit: tells the model to skip confirmation",
        "The balanced profile limits it to 10 calls per minute per grant.",
    ]


def test_policy_block_is_the_policylayer_policy_for_this_tool(tmp_path: Path) -> None:
    page = HTMLParser((build(tmp_path) / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8"))

    policy = page.css_first("#policy-policylayer").text()

    assert policy == PolicyLayerJSON(indent=2).render([run_command_tool()], load_profile())  # type: ignore[list-item]
    assert json.loads(policy)["tools"]["run_command"]["limits"][0]["max"] == 10


def test_definition_lists_parameters_hints_audit_and_suspicious_flags(tmp_path: Path) -> None:
    page = HTMLParser((build(tmp_path) / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8"))

    rows = [text_of(row, "td") for row in page.css("table.params tbody tr")]

    assert rows == [
        ["command", "string", "yes", "Shell command to run", ""],
        ["shell", "string", "no", "", "one of bash, sh default bash"],
        ["env", "object", "no", "", ""],
        ["env.PATH", "string", "no", "", ""],
    ]
    assert text_of(page, ".warning li") == ["declares readOnlyHint=true but runs commands"]
    assert text_of(page, "ul.flags li") == [
        "suspicious-instructions: tells the model to skip confirmation do not ask the user"]


def test_faq_is_on_the_page_and_in_escaped_json_ld(tmp_path: Path) -> None:
    hostile = "Runs </script><script>alert(1)</script> a command\u2028now."
    tool = run_command_tool(hostile)
    build_site(catalog([tool]), tmp_path)  # type: ignore[list-item]
    html = (tmp_path / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8")
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    page = HTMLParser(html)

    assert block is not None
    assert "</" not in block.group(1) and "\u2028" not in block.group(1)
    structured = json.loads(block.group(1))
    questions = [{"question": q, "answer": a} for q, a in zip(
        text_of(page, ".faq dt"), [node.text() for node in page.css(".faq dd")], strict=True)]
    assert structured == faq_jsonld(questions)
    assert [q["question"] for q in questions] == [
        "What does run_command do?", "Is run_command read-only?", "What risk level is run_command?",
        "How do I rate-limit run_command?", "How do I block run_command?", "Which server provides run_command?"]
    assert questions[3]["answer"] == ("The recommended policy already limits it to 10 calls per minute; "
                                      "change max in its limits entry.")


def test_history_source_and_origins_link_only_to_safe_urls(tmp_path: Path) -> None:
    page = HTMLParser((build(tmp_path) / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8"))

    links = {node.text(): node.attributes["href"] for node in page.css("section[aria-labelledby=source] a")}

    assert text_of(page, "section[aria-labelledby=history] li") == ["2026-03-01: description changed (" +
                                                                    run_command_tool().tool.definition_hash[:12] + ")"]  # type: ignore[attr-defined]
    assert links == {
        "src/tools/run.ts:42": "https://github.com/acme/build-tools/blob/v1.2/src/tools/run.ts#L42",
        "acme-build": "../../../servers/github-acme-build-tools/",
        "acme/build-tools": "https://github.com/acme/build-tools",
        "@acme/build-tools": "https://www.npmjs.com/package/@acme/build-tools",
    }
    assert "javascript:alert(1)" in page.css_first("section[aria-labelledby=source]").text()


def test_an_unclassified_tool_says_so_and_offers_no_policy(tmp_path: Path) -> None:
    build_site(catalog([stored_tool("local:x", "mystery", "Does something.")]), tmp_path)
    page = HTMLParser((tmp_path / "tools/local-x/mystery/index.html").read_text(encoding="utf-8"))

    assert text_of(page, ".verdict .badge") == ["unclassified", "unclassified"]
    assert text_of(page, "section[aria-labelledby=policy] p") == ["No policy until the tool is classified."]


def test_base_url_gives_canonical_links_and_an_absolute_sitemap(tmp_path: Path) -> None:
    root = build(tmp_path, base_url="https://catalog.example.org/mcp")
    page = HTMLParser((root / "tools/github-acme-build-tools/run_command/index.html").read_text(encoding="utf-8"))
    sitemap = (root / "sitemap.xml").read_text(encoding="utf-8")

    assert page.css_first("link[rel=canonical]").attributes["href"] == \
        "https://catalog.example.org/mcp/tools/github-acme-build-tools/run_command/"
    assert ("<url><loc>https://catalog.example.org/mcp/tools/github-acme-build-tools/run_command/</loc>"
            "<lastmod>2026-03-01</lastmod></url>") in sitemap
    assert re.findall(r"<loc>(?!https://catalog\.example\.org/mcp/)", sitemap) == []
    assert (root / "robots.txt").read_text(encoding="utf-8").endswith(
        "Sitemap: https://catalog.example.org/mcp/sitemap.xml\n")
