"""Server-sent news stream. The event generator fans out to the feed sources on a thread pool."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from app.services.rss_ingestion import SOURCES, process_source

router = APIRouter()


@router.get("/news/stream")
async def news_stream(request: Request) -> EventSourceResponse:
    async def event_generator():
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(max_workers=5) as executor:
            futures = [loop.run_in_executor(executor, process_source, s) for s in SOURCES]
            for fut in asyncio.as_completed(futures):
                if await request.is_disconnected():
                    break
                yield {"event": "news", "data": await fut}

    return EventSourceResponse(event_generator())
