"""The figures are cached beside the trends (evaluation/figures.py): a page draws exactly what plots.py draws
from the same results, a second view reads them from the cache, and any change of what a figure reads (a
result's numbers, a model's name, the series' visibility) makes a new key, so it is drawn anew."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from evaluation import figures, plots, selectors
from evaluation.models import LanguageModel, ModelSeries, Result
from tests.reviews.conftest import Scene, scene  # noqa: F401 (the fixture)
from tests.reviews.test_public_results import store_results

pytestmark = pytest.mark.django_db


def whole_task(version):
    return selectors.results_of(version=version, series=list(ModelSeries.objects.all())).task


def test_a_cached_figure_is_the_figure_and_any_changed_input_draws_it_anew(scene: Scene):  # noqa: F811
    version = scene.a.current_version
    store_results(version, slope=0.1)
    task = whole_task(version)
    key = figures.figures_key(task, metric="classification")
    cache.delete(key)
    drawn = figures.figures_of(task, metric="classification")
    assert drawn == [plots.metric_figure(task, metric="classification"),
                     plots.accuracy_figure(task, metric="classification")]
    assert len(drawn) == 2 and cache.get(key) == drawn
    cache.set(key, [{"data": [], "layout": {"title": "kept"}}])  # what is cached under the key is what is shown
    assert figures.figures_of(whole_task(version), metric="classification") == [{"data": [], "layout": {"title": "kept"}}]
    keys = {key}
    Result.objects.filter(model_identity="tiny-3@test").update(mean=0.5)
    changed = whole_task(version)
    keys.add(figures.figures_key(changed, metric="classification"))
    assert [round(y, 4) for y in figures.figures_of(changed, metric="classification")[0]["data"][1]["y"]] == [
        0.7002, 0.8002, 0.5]
    LanguageModel.objects.filter(name="tiny-1").update(name="tiny-one")
    renamed = whole_task(version)
    keys.add(figures.figures_key(renamed, metric="classification"))
    assert figures.figures_of(renamed, metric="classification")[0]["data"][1]["text"] == ["tiny-one", "tiny-2", "tiny-3"]
    ModelSeries.objects.filter(name="tiny").update(visibility=ModelSeries.PRIVATE)
    hidden = whole_task(version)
    keys.add(figures.figures_key(hidden, metric="classification"))
    assert [t["name"] for t in figures.figures_of(hidden, metric="classification")[0]["data"]] == [
        "held-out (private)", "tiny (private)"]
    keys.add(figures.figures_key(hidden, metric="sequence_prob"))
    assert len(keys) == 5
    cache.delete_many(list(keys))


