"""`/ui`: the operators' web page (docs/ui.md). Static files from `api/ui/`, served as they
are (no build step), with no credential: they hold no data. The page signs in with a bearer
token and calls the API like any client, so it shows only what that credential may see.

The files served are a fixed set, read at start from the package (`actionpool.api`'s `ui/`
folder): a request names one of them or gets a 404, so no path reaches anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from actionpool.api.deps import SettingsDep

router = APIRouter(tags=["ui"])

MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}
ASSET_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\.(?:html|js|css)")
INDEX = "index.html"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # revalidated: a new release's page is seen at once
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


def load_assets() -> dict[str, Asset]:
    """Every file of the page, by name: read once, so the set served never changes."""
    folder = resources.files("actionpool.api") / "ui"
    assets: dict[str, Asset] = {}
    for entry in folder.iterdir():
        if entry.is_file() and ASSET_NAME.fullmatch(entry.name):
            suffix = entry.name[entry.name.rindex(".") :]
            assets[entry.name] = Asset(entry.read_bytes(), MEDIA_TYPES[suffix])
    return assets


ASSETS = load_assets()


def serve(name: str) -> Response:
    asset = ASSETS.get(name)
    if asset is None:
        raise HTTPException(status_code=404, detail="Not Found")
    return Response(asset.body, media_type=asset.media_type, headers=HEADERS)


@router.get("/ui", include_in_schema=False)
async def ui_root() -> Response:
    """To `/ui/`, relatively (`ui/`), so that the page's relative URLs hold behind a proxy
    that serves the API under a prefix."""
    return Response(status_code=307, headers={**HEADERS, "Location": "ui/"})


@router.get("/ui/", include_in_schema=False)
async def ui_index() -> Response:
    return serve(INDEX)


@router.get("/ui/config.json", include_in_schema=False)
async def ui_config(settings: SettingsDep) -> Response:
    """What the page needs from the settings (no secret: the page is served to anyone)."""
    return JSONResponse({"traceUrlTemplate": settings.trace_url_template}, headers=HEADERS)


@router.get("/ui/{asset}", include_in_schema=False)
async def ui_asset(asset: str) -> Response:
    return serve(asset)
