"""The PWA's entry points. The service worker and the manifest live at stable root-scope URLs; the
app's scripts and styles are static files. No page carries an inline script: a strict
Content-Security-Policy applies to every page served here."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template import Context, Engine, Template
from django.views.decorators.http import require_safe

APP_DIR = Path(__file__).resolve().parent / "app"

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "manifest-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


@lru_cache(maxsize=8)
def _read(name: str) -> bytes:
    return (APP_DIR / name).read_bytes()


@lru_cache(maxsize=1)
def _index() -> Template:
    # The shell's only values from the server, as data attributes (no inline script): the
    # emergency number the "call your care team now" card offers. Escaped as any template value.
    return Engine(dirs=[str(APP_DIR)], autoescape=True).get_template("index.html")


def _file(name: str, content_type: str, *, cache: str = "no-cache",
          body: bytes | str | None = None) -> HttpResponse:
    response = HttpResponse(_read(name) if body is None else body, content_type=content_type)
    response["Cache-Control"] = cache
    response["Content-Security-Policy"] = CSP
    return response


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    page = _index().render(Context({"emergency_number": settings.TEND_EMERGENCY_NUMBER}))
    return _file("index.html", "text/html; charset=utf-8", body=page)


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    return _file("offline.html", "text/html; charset=utf-8")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    # Never cached by HTTP: a new deployment's worker must be seen at the next check.
    return _file("sw.js", "text/javascript; charset=utf-8", cache="no-cache, max-age=0")


@require_safe
def manifest(request: HttpRequest) -> HttpResponse:
    return _file("manifest.webmanifest", "application/manifest+json")
