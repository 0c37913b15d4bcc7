"""Fetches one feed source. Runs in a worker thread: requests is blocking network I/O."""

import os

import requests

FEED_BASE_URL = os.environ.get("NEWS_FEED_BASE_URL", "http://127.0.0.1:8765")
SOURCES = [f"{FEED_BASE_URL}/feed/{name}" for name in ("world", "tech", "science", "sports", "markets")]


def process_source(url: str) -> str:
    # One slow source holds its worker thread for up to 60 s.
    response = requests.get(url, timeout=60)
    response.raise_for_status()
    return response.text.strip()
