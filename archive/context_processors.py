"""Template context every page needs: the header search box and the canonical URL."""

from django.http import HttpRequest

from archive.models import Language


def site(request: HttpRequest) -> dict:
    return {
        "header_q": request.GET.get("q", "")[:200]
        if request.resolver_match and request.resolver_match.url_name == "search"
        else "",
        "canonical_url": request.build_absolute_uri(request.path),
        "article_languages": dict(Language.choices),
    }
