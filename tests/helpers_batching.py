"""What the batching tests (test_batching.py, test_template_signal.py) share: a page of a site made into an
article as a fetch shard makes it, and a corpus loaded batch by batch, each batch one fetch run and one load."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from types import SimpleNamespace

from newsmon.clean import BoilerplateMemory
from newsmon.config import Paths, Settings
from newsmon.dedupe import content_hash
from newsmon.models import Article
from newsmon.warehouse import load_pending, stage_batch


def site_article(url: str, source: str, title: str, cleaned, when: datetime, **fields) -> Article:
    """The cleaned page (`cleaned.text`, `cleaned.removed`) of `url` as an article of the feed "harbour", fetched
    and published at `when`, then tagged as a fetch shard tags it; `fields` are further Article fields."""
    from newsmon.pipeline import _tag, _tagger

    article = Article(
        article_id=content_hash(url)[:16],
        url=url,
        canonical_url=url,
        guid=None,
        feed="harbour",
        source=source,
        title=title,
        text=cleaned.text,
        text_source="page",
        published_at=when,
        published_from="page",
        fetched_at=when,
        removed=dict(cleaned.removed),
        **fields,
    )
    _tag(article, SimpleNamespace(tagger=_tagger(), settings=Settings()))
    return article


def load_in_batches(
    paths: Paths,
    batches: Iterable[list],
    make: Callable[[object, BoilerplateMemory], Article],
    second_look: Callable[[list[Article], BoilerplateMemory], None],
    publish_each: bool = False,
) -> Paths:
    """Each batch as one fetch run and one load: its items made into articles by `make` with the saved
    boilerplate memory, `second_look` within the run, the memory saved, the batch staged; then loaded with the
    revision of learned boilerplate (`load_and_publish` as a whole with publish_each)."""
    from newsmon.pipeline import load_and_publish, revise_learned_boilerplate

    for n, batch in enumerate(batches):
        memory = BoilerplateMemory(paths.state / "boilerplate")
        articles = [make(item, memory) for item in batch]
        second_look(articles, memory)
        memory.save()
        stage_batch(paths.staging, f"b{n:04d}", articles)
        if publish_each:
            load_and_publish(data_dir=paths.data_dir)
        else:
            load_pending(paths)
            revise_learned_boilerplate(paths)
    return paths
