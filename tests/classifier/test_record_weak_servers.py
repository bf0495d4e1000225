"""The launch table of scripts/labels/record_weak.py: entries, and `{here}` for files kept beside it."""

from __future__ import annotations

from pathlib import Path

from scripts.labels.record_weak import SERVERS_FILE, load_servers


def test_here_in_arguments_and_environment_is_the_folder_of_the_table(tmp_path: Path) -> None:
    table = tmp_path / "servers.toml"
    table.write_text(
        '[[server]]\npackage = "npm:kube-tool@1.0.0"\nname = "kube"\nbin = "kube-tool"\n'
        'args = ["--config", "{here}/cfg.yaml"]\nenv = { KUBECONFIG = "{here}/cfg.yaml", MODE = "x" }\n',
        encoding="utf-8",
    )
    (server,) = load_servers(table)
    assert server.args == ("--config", f"{tmp_path.resolve()}/cfg.yaml")
    assert server.env == {"KUBECONFIG": f"{tmp_path.resolve()}/cfg.yaml", "MODE": "x"}


def test_every_file_the_shipped_table_points_at_is_beside_it_and_holds_no_secret() -> None:
    servers = load_servers()
    here = str(SERVERS_FILE.resolve().parent)
    pointed = {
        Path(value)
        for server in servers
        for value in (*server.args, *server.env.values())
        if value.startswith(here)
    }
    assert pointed, "the table points at its placeholder kubeconfig"
    for path in pointed:
        assert path.is_file(), path
        assert "placeholder" in path.read_text(encoding="utf-8")
    # No entry points at a scratch path of one machine (the table is read as written).
    assert "/tmp/" not in SERVERS_FILE.read_text(encoding="utf-8")
