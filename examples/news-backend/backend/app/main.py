"""News backend: a small FastAPI app shaped like a real one, carrying the executor hang from MISSION.md."""

from fastapi import FastAPI

from app.api.routes import stream

app = FastAPI(title="News backend (demo)")
app.include_router(stream.router)


@app.get("/")
def root() -> dict[str, str]:
    return {"service": "news-backend", "status": "ok"}


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}
