"""`KIJI_LOG_FORMAT=json kiji run` as a real process: every line on stderr is one JSON object
(issue 12 row 13: every event used to be logged twice, once as text by the CLI's basicConfig).

Discord's API is a real HTTP server on 127.0.0.1 that refuses the token (401), so the process
logs its start-up, tries to log in, and exits with the one-line explanation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789_-"


class _Refuse(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"message": "401: Unauthorized", "code": 0}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def fake_discord() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v10"
    server.shutdown()
    server.server_close()


# The console script's own entry point, with discord.py's API base pointed at the local server.
RUN = """
import sys, discord.http
discord.http.Route.BASE = sys.argv[1]
from bot.cli import main
sys.exit(main(["run", "--db", sys.argv[2]]))
"""


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_kiji_run_logs_each_event_once(
    fake_discord: str, tmp_path: Path, bot_db: Path, log_format: str
) -> None:
    env = {
        **os.environ,
        "DISCORD_TOKEN": TOKEN,
        "KIJI_LOG_FORMAT": log_format,
        "KIJI_LOG_LEVEL": "INFO",
    }
    env.pop("KIJI_METRICS_PORT", None)
    proc = subprocess.run(
        [sys.executable, "-c", RUN, fake_discord, str(bot_db)],
        cwd=tmp_path,  # no .env from the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert lines[-1].startswith("kiji: Discord が DISCORD_TOKEN を拒否しました"), lines
    logged = lines[:-1]
    assert any("index reader opened" in ln for ln in logged), logged
    if log_format == "json":
        events = [json.loads(ln) for ln in logged]  # every line is one JSON object
        opened = [e for e in events if "index reader opened" in e["event"]]
        assert len(opened) == 1 and opened[0]["logger"] == "bot.worker"
        assert any(e["logger"].startswith("discord") for e in events)
    else:
        assert sum("index reader opened" in ln for ln in logged) == 1
    assert TOKEN not in proc.stderr
