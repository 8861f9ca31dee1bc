"""Cross-cutting protections: the client address for rate limits, X-Robots-Tag, robots.txt."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The client's address for rate limits (settings.RATELIMIT_IP_META_KEY points here).

    REMOTE_ADDR, unless CLIENT_IP_HEADER names the header a trusted reverse proxy
    sets: X-Real-IP (one address), or X-Forwarded-For, of which the last entry is
    the one the proxy appended (earlier entries come from the client and can be
    forged). An empty or malformed header falls back to REMOTE_ADDR.
    """
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    if header:
        raw = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        entries = [part for part in raw.split(",") if part.strip()]
        if entries and (address := _address(entries[-1])):
            return address
    return _address(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"


def rate_limited(request: HttpRequest, *, group: str, rate: str | None) -> bool:
    """Count this request of the client's network in `group`; True when it is over `rate` ("10/m").

    An empty rate turns the limit off.
    """
    if not rate:
        return False
    try:
        return is_ratelimited(request, group=group, key="ip", rate=rate, increment=True)
    except (RedisError, OSError):
        # The counters' cache is down: serve the customer rather than fail the survey.
        logger.warning("rate limit %s not checked: its cache is unavailable", group, exc_info=True)
        return False


class RobotsTagMiddleware:
    """X-Robots-Tag: noindex, nofollow on every response but the public survey pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        public = response.status_code == 200 and request.path_info.startswith(settings.INDEXABLE_PATH_PREFIXES)
        if not public:
            response.setdefault("X-Robots-Tag", "noindex, nofollow")
        return response


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    lines += [f"Allow: {prefix}" for prefix in settings.INDEXABLE_PATH_PREFIXES]
    lines += ["Disallow: /", ""]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
