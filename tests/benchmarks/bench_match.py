"""Benchmark: entity matcher build time and throughput, and claim candidate selection per article.

Run: .venv/bin/python -m tests.benchmarks.bench_match [--articles 200]

Prints the time to build the matcher and its throughput (articles per second on ~5 KB generated
articles) with the bundled 17 entities and with 10,000 generated entities (three aliases and a
negative alias each), then the median time per article to select candidate claims with 10 and
with 10,000 claims (and their ratio), also for a watchlist where every claim shares one "hub"
entity that every article names.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from monitor.config_loader import load_config
from monitor.match import ClaimIndex, EntityMatcher, EntityMention
from monitor.settings import ClaimSettings, EntitySettings

SYLLABLES = str.split("ka lo mi ren tas vel dor pi nu sha gre bo lin ter za que fal mon rik sel")
FILLER = str.split(
    "the officials said on that with report talks government deal after week company shares "
    "meeting policy people year market since late regular contact call space technology war "
    "security election role platform negotiations trade border rocket launch plan"
)


def word(rng: random.Random, syllables: int) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(syllables)).capitalize()


def synthetic_entities(count: int, rng: random.Random) -> list[EntitySettings]:
    entities: list[EntitySettings] = []
    seen: set[str] = set()
    while len(entities) < count:
        first, last = word(rng, 2), word(rng, 4)
        if last in seen:
            continue
        seen.add(last)
        entities.append(
            EntitySettings(
                id=f"e{len(entities)}",
                name=f"{first} {last}",
                kind="person",
                aliases=(last, f"Minister {last}", f"{last}-{first}"),
                negative_aliases=(f"{last} Street",),
            )
        )
    return entities


def article(rng: random.Random, names: Sequence[str], size: int = 5000) -> str:
    parts: list[str] = []
    length = 0
    while length < size:
        words = [rng.choice(FILLER) for _ in range(rng.randint(8, 20))]
        words.insert(rng.randrange(len(words)), rng.choice(names))
        if rng.random() < 0.5:
            words.insert(rng.randrange(len(words)), rng.choice(names) + "'s")
        text = " ".join(words)
        sentence = text[0].upper() + text[1:] + ". "
        parts.append(sentence)
        length += len(sentence)
    return "".join(parts)


def median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_matcher(label: str, entities: Sequence[EntitySettings], texts: list[str]) -> None:
    started = time.perf_counter()
    matcher = EntityMatcher.from_settings(entities)
    built = time.perf_counter() - started
    started = time.perf_counter()
    mentions = sum(len(matcher.find(t)) for t in texts)
    elapsed = time.perf_counter() - started
    print(
        f"matcher, {label:>16}: build {built * 1000:8.1f} ms; "
        f"{len(texts) / elapsed:7.0f} articles/s on ~5 KB "
        f"({mentions / len(texts):.0f} mentions each)"
    )


def claims_for(
    rng: random.Random, entities: Sequence[EntitySettings], count: int, hub: str | None
) -> list[ClaimSettings]:
    claims = []
    for number in range(count):
        chosen = [e.id for e in rng.sample(list(entities), rng.randint(2, 4))]
        if hub is not None:
            chosen = [hub, *chosen[:1]]
        text = " ".join(rng.choice(FILLER) for _ in range(10))
        names = " and ".join(e.name for e in entities if e.id in chosen[:2])
        claims.append(ClaimSettings(id=f"c{number}", text=f"{names} {text}.", entities=chosen))
    return claims


def bench_candidates(label: str, rng: random.Random, hub: bool, articles: int) -> None:
    entities = synthetic_entities(10_000, rng)
    matcher = EntityMatcher.from_settings(entities)
    hub_id = entities[0].id if hub else None
    many = claims_for(rng, entities, 10_000, hub_id)
    few = many[:10]
    texts = []
    for number in range(articles):
        hot = few[number % len(few)]  # every article names one of the first ten claims' entities
        ids = {*hot.entities, *(e.id for e in rng.sample(entities, 20))}
        if hub_id:
            ids.add(hub_id)
        texts.append(article(rng, [e.name for e in entities if e.id in ids]))
    found: list[tuple[str, tuple[EntityMention, ...]]] = [(t, matcher.find(t)) for t in texts]
    results = {}
    for size, claims in (("10", few), ("10,000", many)):
        started = time.perf_counter()
        index = ClaimIndex.build(claims, matcher)
        built = time.perf_counter() - started
        per_article = median_seconds(lambda i=index: [i.candidates(t, m) for t, m in found], 3)
        selected = sum(len(index.candidates(t, m)) for t, m in found) / len(found)
        results[size] = per_article / len(found)
        print(
            f"candidates, {label}, {size:>6} claims: build {built * 1000:7.1f} ms; "
            f"{results[size] * 1e6:7.0f} µs per article ({selected:.1f} candidates each)"
        )
    print(
        f"candidates, {label}: 10,000 / 10 claims time ratio "
        f"{results['10,000'] / results['10']:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(7)
    settings = load_config(Path(__file__).parents[2] / "config" / "monitor.toml", env={}).settings
    bundled_names = [e.name for e in settings.entities] + ["Putin", "Musk", "Peskov", "X", "US"]
    bench_matcher(
        "17 entities",
        settings.entities,
        [article(rng, bundled_names) for _ in range(args.articles)],
    )
    many = synthetic_entities(10_000, rng)
    names = [e.name for e in many[:500]] + [e.aliases[0] for e in many[:500]]
    bench_matcher("10,000 entities", many, [article(rng, names) for _ in range(args.articles)])
    bench_candidates("random entities", rng, hub=False, articles=args.articles)
    bench_candidates("one hub entity", rng, hub=True, articles=args.articles)


if __name__ == "__main__":
    main()
