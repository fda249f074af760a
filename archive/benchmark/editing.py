"""An editor at work during a load phase: an article's title saved every few seconds."""

import time


def edit_titles(*, seconds: float, every: float, articles: int = 200) -> dict:
    """Save the title of one of the newest ``articles`` every ``every`` seconds for
    ``seconds``, as the admin does (each save queues the article for the indexer), then
    put every title back as it was; how many saves."""
    from archive.models import Article

    chosen = list(Article.objects.order_by("-pk")[:articles])
    if not chosen:
        return {"edits": 0}
    original = {article.pk: article.title for article in chosen}
    edits = 0
    stop_at = time.monotonic() + seconds
    while time.monotonic() < stop_at:
        article = chosen[edits % len(chosen)]
        article.title = f"{original[article.pk]} ({edits + 1})"
        article.save(update_fields=["title"])
        edits += 1
        time.sleep(every)
    for article in chosen[:edits]:
        article.title = original[article.pk]
        article.save(update_fields=["title"])
    return {"edits": edits, "every_s": every}
