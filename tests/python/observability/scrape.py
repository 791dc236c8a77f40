"""Scraping `/metrics` and reading samples with the Prometheus project's own parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One scrape: every sample, by name, with its labels."""

    def __init__(self, text: str):
        self.text = text
        families = list(text_string_to_metric_families(text))
        self.families = {f.name: f for f in families}
        # Every sample belongs to a declared family (none split off as `unknown`).
        assert len(self.families) == len(families), [f.name for f in families]
        assert all(f.type != "unknown" for f in families), [f.name for f in families if f.type == "unknown"]
        self.samples = [s for f in families for s in f.samples]

    def value(self, name: str, **labels) -> float:
        """The sum of the samples named `name` whose labels include `labels` (0 if none)."""
        return sum(
            s.value for s in self.samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def label_values(self) -> list[str]:
        return [v for s in self.samples for v in s.labels.values()]


def scrape(base_url: str, **headers) -> Scrape:
    response = httpx.get(base_url + "/metrics", headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.text)


def delta(before: Scrape, after: Scrape, name: str, **labels) -> float:
    return after.value(name, **labels) - before.value(name, **labels)
