"""End to end in real Chromium: a contestant logs in, uploads a valid task through the form, and
watches the evaluation on the public tiny series (a real Celery worker through Redis) until the
page, which polls the progress by itself, shows the scaling plots and the results table."""

from __future__ import annotations

import csv
import io
import re
import statistics

import pytest
from playwright.sync_api import expect

from tests import datasets, factories
from tests.e2e import test_browser
from tests.evaluation import conftest as evaluation_fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Shared fixtures: the Chromium page, the tiny real models registered as series, the worker.
page = test_browser.page
tiny_model_folders = evaluation_fixtures.tiny_model_folders
tiny_series = evaluation_fixtures.tiny_series
worker = evaluation_fixtures.worker

MODELS = ["tiny-1", "tiny-2", "tiny-3"]  # the public series "tiny": 1M, 2M and 4M parameters
EVALUATION = 90_000  # ms: three tiny models score 300 examples each on a busy two-core machine

# The rows of the progress table as the page shows them now: {model: (status, counts, bar classes, width)}.
PROGRESS_ROWS = """() => Object.fromEntries([...document.querySelectorAll('#evaluation-progress tbody tr')].map(
    row => [row.dataset.model, [row.querySelector('.status').firstChild.textContent.trim(),
                                row.querySelector('.counts').textContent,
                                row.querySelector('.progress-bar').className,
                                row.querySelector('.progress-bar').style.width]]))"""

# True once, in the document the contestant landed on, one model is done while another is not.
LIVE_UPDATE = """() => {
    if (window.landed !== true) return false;
    const statuses = [...document.querySelectorAll('#evaluation-progress tbody tr .status')]
        .map(cell => cell.firstChild.textContent.trim());
    return statuses.includes('done') && statuses.some(s => s === 'queued' || s === 'running');
}"""


@pytest.fixture
def alice(transactional_db):
    return factories.contestant(username="alice")


def log_in(page, *, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("button[type=submit]:has-text('Log in')")
    expect(page.locator("#whoami")).to_have_text(f"{username} (contestant)")


def plot_traces(page, plot_id: str) -> list[dict]:
    """The traces Plotly drew in one plot: name, x and y."""
    return page.evaluate("id => document.getElementById(id).data.map(t => ({name: t.name, x: t.x, y: t.y}))",
                         plot_id)


def download_examples(page, link, *, file_name: str) -> list[dict]:
    """Click a table's CSV link: the per-example results download under its own file name."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == file_name
    with open(download.path(), encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def watch_the_bars_advance(page, submission_url: str) -> None:
    """Without any reload, the bars fill as the worker scores; then the page reloads itself once."""
    page.evaluate("window.landed = true")  # gone after any reload
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    page.wait_for_function(LIVE_UPDATE, timeout=EVALUATION, polling=100)
    live = page.evaluate(PROGRESS_ROWS)
    done = [m for m, row in live.items() if row[0] == "done"]
    assert sorted(live) == MODELS and 1 <= len(done) < 3, live
    for model in done:
        assert live[model] == ["done", "300 / 300 examples", "progress-bar bg-success", "100%"]

    expect(page.locator("#evaluation .plot.js-plotly-plot")).to_have_count(2, timeout=EVALUATION)  # drawn, once
    assert navigations == [submission_url]  # the page's own reload once every run was done
    assert page.evaluate("window.landed") is None
    expect(page.locator("#evaluation")).not_to_have_attribute("data-unfinished", "1")
    assert page.evaluate(PROGRESS_ROWS) == {
        m: ["done", "300 / 300 examples", "progress-bar bg-success", "100%"] for m in MODELS}


def record_starts(csv_bytes: bytes) -> list[int]:
    """The physical line where each row of a CSV starts (the prompts span several lines)."""
    reader = csv.reader(io.StringIO(csv_bytes.decode("utf-8"), newline=""))
    next(reader)
    starts, end = [], reader.line_num
    for _ in reader:
        starts.append(end + 1)
        end = reader.line_num
    return starts


def check_file_card(page, *, label: str, title: str, record_lines: list[int] | None) -> str:
    """A file's card: the loss and accuracy plots (one line, three points), and a table whose
    numbers are the plotted ones and, where a CSV is linked, the means of its examples. Returns
    the loss plot's id."""
    card = page.locator(f'#evaluation .evaluation-file[data-file="{label}"]')
    expect(card.locator("h3")).to_have_text(title)
    loss_id, accuracy_id = card.locator(".plot").evaluate_all("plots => plots.map(p => p.id)")
    for plot_id in (loss_id, accuracy_id):
        plot = page.locator(f"#{plot_id}")
        expect(plot.locator(".scatterlayer .trace")).to_have_count(1)  # one line: the series "tiny"
        expect(plot.locator(".scatterlayer .point")).to_have_count(3)  # one point per model
        expect(plot.locator(".xtick text")).to_contain_text(["1M", "2M", "4M"])
    for plot_id, title in ((loss_id, f"{label}: loss (−log p of the answer, normalised over classes)"),
                           (accuracy_id, f"{label}: accuracy (the answer gets the highest probability among the classes)")):
        expect(page.locator(f"#{plot_id} .errorbar")).to_have_count(3)  # 95% bars on both plots
        lines = page.locator(f"#{plot_id} .gtitle tspan.line")
        expect(lines).to_have_count(2)  # wrapped ...
        assert " ".join(lines.all_text_contents()) == title
        # ... so that the whole title lies within the figure
        left, right, width = page.evaluate("""id => {const box = document.querySelector('#' + id + ' .gtitle').getBBox();
            return [box.x, box.x + box.width, document.getElementById(id)._fullLayout.width]}""", plot_id)
        assert 0 <= left < right <= width, (left, right, width)
    assert page.evaluate("id => document.getElementById(id)._fullLayout.yaxis.range", accuracy_id) == [0, 1]
    # drawn with the page's shared template (plotly_white): a white plot area
    assert page.evaluate("id => document.getElementById(id)._fullLayout.plot_bgcolor", loss_id) == "white"

    [loss] = plot_traces(page, loss_id)
    [accuracy] = plot_traces(page, accuracy_id)
    assert (loss["name"], loss["x"]) == (accuracy["name"], accuracy["x"]) == ("tiny", [1_000_000, 2_000_000, 4_000_000])
    rows = card.locator(".results-table tbody tr")
    expect(rows).to_have_count(3)
    for i, (model, size) in enumerate(zip(MODELS, ["1M", "2M", "4M"])):
        cells = rows.nth(i).locator("td")
        expect(cells.nth(0)).to_have_text("tiny")
        expect(cells.nth(1)).to_have_text(model)
        expect(cells.nth(2)).to_have_text(size)
        expect(cells.nth(3)).to_have_text("300")
        expect(cells.nth(4)).to_have_text(f"{loss['y'][i]:.4f}")
        expect(cells.nth(6)).to_have_text(f"{accuracy['y'][i]:.4f}")
        if record_lines:
            examples = download_examples(page, cells.nth(9).locator("a"), file_name=f"syllogism-live__{model}.csv")
            assert sorted(int(e["line"]) for e in examples) == record_lines  # every row once
            assert statistics.fmean(float(e["value"]) for e in examples) == pytest.approx(loss["y"][i], rel=1e-9)
            assert sum(e["correct"] == "true" for e in examples) / 300 == pytest.approx(accuracy["y"][i], abs=1e-12)
    return loss_id


def hover(page, plot_id: str, point: int):
    """Move the mouse onto a point of a plot; the hover label that Plotly shows."""
    box = page.locator(f"#{plot_id} .scatterlayer .point").nth(point).bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    label = page.locator(f"#{plot_id} .hoverlayer .hovertext")
    expect(label).to_have_count(1)
    return label


def test_a_contestant_uploads_a_task_and_watches_it_scored_until_the_plots_appear(
        live_server, contest_tx, tiny_series, worker, alice, page, tmp_path):
    rows = datasets.to_csv_bytes(datasets.syllogism_classification_rows(n=300, seed=31))
    task = tmp_path / "syllogism-live.zip"
    task.write_bytes(datasets.make_zip({"syllogism-live.csv": rows}))
    log_in(page, base_url=live_server.url, username="alice")
    page.goto(f"{live_server.url}/contests/{contest_tx.slug}/submit/")
    test_browser.fill_submission(page, task_name="syllogism-live", zip_path=task)
    expect(page.locator("h1")).to_contain_text("syllogism-live")
    expect(page.locator("#files tbody tr")).to_have_text("syllogism-live.csvmain300prompt, classes, answer_index")
    expect(page.locator("#evaluation-progress tbody tr td:nth-child(2)")).to_have_text(MODELS)
    expect(page.locator("#evaluation")).to_have_attribute("data-unfinished", "1")

    watch_the_bars_advance(page, page.url)

    # a task in one file shows its plots once: no "whole task" card repeats them
    expect(page.locator('#evaluation .evaluation-file[data-file="whole task"]')).to_have_count(0)
    loss_id = check_file_card(page, label="syllogism-live.csv", title="syllogism-live.csv main",
                              record_lines=record_starts(rows))
    [loss] = plot_traces(page, loss_id)
    label = hover(page, loss_id, 1)
    expect(label.locator("text.name")).to_have_text("tiny")
    expect(label.locator("text.nums tspan.line")).to_have_text(["tiny-2", "2.00M", f"{loss['y'][1]:.4f}"])


def test_the_bar_says_loading_model_while_the_worker_loads_it_and_updates_without_a_reload(
        live_server, contest_tx, tiny_series, alice, page):
    from evaluation import lifecycle
    from evaluation.models import Run

    submission = evaluation_fixtures.submit(contest=contest_tx, owner=alice, task_name="loading")  # no worker
    run = Run.objects.get(version=submission.current_version, model__name="tiny-1")
    lifecycle.claim(run_id=run.pk, holder="w")
    lifecycle.set_phase(run_id=run.pk, holder="w", phase=lifecycle.LOADING)  # as a worker does before loading
    log_in(page, base_url=live_server.url, username="alice")
    page.goto(f"{live_server.url}/submissions/{submission.pk}/")
    page.evaluate("window.landed = true")
    row = page.locator('#evaluation-progress tr[data-model="tiny-1"]')
    expect(row.locator(".phase")).to_have_text("loading model")
    expect(row.locator(".progress-bar")).to_have_class(re.compile(r"\bprogress-bar-animated\b"))
    expect(page.locator('#evaluation-progress tr[data-model="tiny-2"] .phase')).to_have_text("")

    lifecycle.set_phase(run_id=run.pk, holder="w", phase=lifecycle.SCORING)  # loaded: the page polls and says so
    expect(row.locator(".phase")).to_have_text("scoring", timeout=15_000)
    expect(row.locator(".progress-bar")).not_to_have_class(re.compile(r"\bprogress-bar-animated\b"))
    assert page.evaluate("window.landed") is True  # updated in place, not reloaded
