"""A local stand-in for the RSS sources the news backend fetches: every request answers after a delay.

Standard library only. Binds 127.0.0.1. The first line on stdout is the bound port (`FEED_PORT=NNNN`), so a
caller can ask for a free port with `--port 0` and read back the one the OS chose.

    python feed_server.py --port 8765 --delay 20
    curl 'http://127.0.0.1:8765/feed/world'            # answers after 20 s
    curl 'http://127.0.0.1:8765/feed/world?delay=0.5'  # per-request override
"""

from __future__ import annotations

import argparse
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HEADLINES = {
    "world": "World: leaders meet for climate summit",
    "tech": "Tech: new open-source editor release",
    "science": "Science: probe reaches outer planet",
    "sports": "Sports: underdogs win the final",
    "markets": "Markets: indices close higher",
}


class FeedServer(ThreadingHTTPServer):
    # Requests sleep for the configured delay; daemon threads let the process exit without waiting for them.
    daemon_threads = True
    # Many slow requests at once (5 per stream, several streams) must not be refused.
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], delay: float) -> None:
        super().__init__(address, FeedHandler)
        self.delay = delay


class FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        if parts.path == "/health":
            self._send(200, "ok")
            return
        if not parts.path.startswith("/feed/"):
            self._send(404, "not found")
            return
        name = parts.path[len("/feed/") :]
        delay = self.server.delay
        query = parse_qs(parts.query)
        if "delay" in query:
            try:
                delay = max(0.0, float(query["delay"][0]))
            except ValueError:
                self._send(400, "delay must be a number of seconds")
                return
        time.sleep(delay)
        headline = HEADLINES.get(name, f"{name.capitalize()}: no news is good news")
        self._send(200, headline)

    def _send(self, status: int, text: str) -> None:
        body = (text + "\n").encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up while we slept (e.g. a cancelled fetch); nothing to answer.
            pass

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (signature from the base class)
        sys.stderr.write("feed_server: %s\n" % (format % args))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Slow local feed server for the news-backend demo.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds every /feed/<name> request waits")
    parser.add_argument("--quiet", action="store_true", help="do not log requests on stderr")
    args = parser.parse_args(argv)
    server = FeedServer(("127.0.0.1", args.port), max(0.0, args.delay))
    if args.quiet:
        FeedHandler.log_message = lambda *_a, **_k: None  # type: ignore[method-assign]
    print(f"FEED_PORT={server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
