"""The public release of the benchmark (reviews/release.py): refused before an announcement, then exactly the
accepted tasks of the announced rounds, loadable with `datasets`, runnable with lm-eval (in process, on a tiny
model, against the engine), one licence everywhere, and nothing private anywhere in the zip.

Everyone's username and email, the reviews, the meta-review's summary, the validators, a task that was not
accepted and a task of an unannounced round are planted as distinctive strings, and looked for in every file.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from evaluation.engine.intervals import wilson_interval
from evaluation.engine.types import ClassificationExample, LogoddsExample, SequenceProbExample
from portal import services as portal_services
from portal.services import AuthorData
from reviews import annotations, outcome, release, services, validation
from reviews.models import AuditEntry, Cause, ValidationAnswer, Validator
from tests import datasets, factories
from tests.reviews.conftest import Scene, acknowledging_every_gap, each, open_round_two, submit

pytestmark = pytest.mark.django_db

REFUSAL = ("No round of Inverse Scaling Prize has announced its awards yet, and the public release holds only the "
           "accepted tasks of announced rounds; announce a round's awards first (its Awards and feedback page).")
DINA = AuthorData("Dina Okafor", "dina.okafor@belief-lab.test", "Belief Lab")
ENZO = AuthorData("Enzo Marchetti", "enzo@last-word.test")
FRED = AuthorData("Fred Dropped", "fred@dropped-z5.test")
LATE = AuthorData("Lena Late", "lena@late-r2.test")


def logodds_zip() -> bytes:
    """belief-shift: 300 logodds rows whose classes are several tokens each, answer 0 and 1 in turn."""
    rows = datasets.logodds_rows(n=300, seed=3)
    for i, row in enumerate(rows):
        row["classes"] = str([" yes indeed", " no way"] if i % 2 == 0 else [" no way", " yes indeed"])
        row["answer_index"] = i % 2
    return datasets.make_zip({"belief-shift.csv": datasets.to_csv_bytes(rows)})


def sequence_zip() -> bytes:
    return datasets.make_zip({"last-word.csv": datasets.to_csv_bytes(datasets.lambada_sequence_prob_rows(n=300, seed=4))})


def classification_zip(task_name: str, seed: int) -> bytes:
    return datasets.make_zip({f"{task_name}.csv": datasets.to_csv_bytes(
        datasets.syllogism_classification_rows(n=300, seed=seed))})


def new_task(s: Scene, *, owner: str, task_name: str, metric: str, author: AuthorData, zipped: bytes, **fields):
    user = factories.contestant(username=owner, email=f"{owner}@owners.test")
    return portal_services.create_submission(user=user, contest=s.contest, zip_file=zipped, data=factories.submission_data(
        task_name=task_name, metric=metric, authors=(author,), **fields))


@pytest.fixture
def announced(scene) -> Scene:
    """Round 1 announced: a (second prize; validated, a cause, a published example, a meta-review), b (third),
    belief-shift (logodds, third), last-word (sequence_prob, accepted with no prize); dropped-task-z5 not accepted.
    Then round 2 opens with late-task-r2, accepted by its review but not announced."""
    s = scene
    s.c = new_task(s, owner="owner_cleo_q9", task_name="belief-shift", metric="logodds", author=DINA, zipped=logodds_zip(),
                   what_it_tests="Whether one changed premise moves the answer's odds (ask dina.okafor@belief-lab.test).")
    s.d = new_task(s, owner="owner_dan_q10", task_name="last-word", metric="sequence_prob", author=ENZO,
                   zipped=sequence_zip(), what_it_tests="Whether models recall a word named earlier.")
    s.dropped = new_task(s, owner="owner_fay_q11", task_name="dropped-task-z5", metric="classification", author=FRED,
                         zipped=classification_zip("dropped-task-z5", 7), what_it_tests="DROPPED-SECRET-z5 text.")
    submit(s.rita_a, s.rita, each("grand"), to_authors="REVIEW-TO-AUTHORS-k4", to_organizers="ORG-ONLY-q3")
    submit(s.remy_a, s.remy, each("grand"), to_authors="REVIEW-TO-AUTHORS-k5")
    submit(s.rita_b, s.rita, each("accepted"), to_authors="REVIEW-TO-AUTHORS-k6")
    for submission, level in ((s.c, "accepted"), (s.d, "accepted"), (s.dropped, "no_prize")):
        submit(services.assign(submission=submission, reviewer=s.rita, by=s.organizer), s.rita, each(level))
    outcome.confirm_awards(round=s.round, by=s.organizer, acknowledged=acknowledging_every_gap(s.round))
    annotations.write_meta_review(submission=s.a, by=s.organizer, summary="META-SUMMARY-FOR-AUTHORS-m1",
                                  why_it_won="Models trust a plausible conclusion (rev_rita_x1 and val_vera_z1 agree).")
    annotations.write_meta_review(submission=s.d, by=s.organizer, summary="META-SUMMARY-FOR-AUTHORS-m2",
                                  why_it_won="WHY-OF-A-NON-WINNER-m3")  # written while d had an award, then taken away
    outcome.override_award(round=s.round, submission=s.d, tier="none", reason="Accepted, not a winner.", by=s.organizer)
    annotations.tag_causes(submission=s.a, causes=[Cause.objects.get(name="Strong Prior")], by=s.organizer)
    annotations.tag_causes(submission=s.c, causes=[], new_cause="Premise Blindness", by=s.organizer)
    # PART1's first row carries Ada's email: the published example is redacted
    annotations.publish_example(submission=s.a, by=s.organizer, file_name="syllogism-test-PART1.csv", row=0)
    validate(s)
    outcome.release_feedback(round=s.round, by=s.organizer)
    outcome.announce_awards(round=s.round, by=s.organizer)
    open_round_two(s)
    s.late = new_task(s, owner="owner_gus_q12", task_name="late-task-r2", metric="classification", author=LATE,
                      zipped=classification_zip("late-task-r2", 8), what_it_tests="LATE-SECRET-r2 text.")
    submit(services.assign(submission=s.late, reviewer=s.remy, by=s.organizer), s.remy, each("grand"))
    return s


def validate(s: Scene) -> None:
    """Two validators answer a's two sampled examples: 3 of the 4 answers agree with the labels (Vic's answer to the
    second example does not), so one example's majority confirms its label and the other is a tie."""
    started = validation.start_validation(submission=s.a, by=s.organizer,
                                          settings=validation.Settings(sample_size=2, seed=0))
    s.vera = factories.validator(username="val_vera_z1", email="vera@validators-one.test")
    s.vic = factories.validator(username="val_vic_z2", email="vic@validators-two.test")
    validation.name_validators(validation=started, users=[s.vera, s.vic], by=s.organizer)
    for seat in Validator.objects.filter(validation=started).order_by("number"):
        for given in ValidationAnswer.objects.filter(validator=seat).select_related("example").order_by(
                "example__position"):
            label = given.example.label
            wrong = seat.user == s.vic and given.example.position == 2
            validation.answer(seat=seat, user=seat.user, answer_id=given.pk, choice=1 - label if wrong else label)


def unpacked(data: bytes, root: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(root)
    return root / "isp-benchmark"


def read_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write(contest) -> bytes:
    target = io.BytesIO()
    release.write_release(contest, target)
    return target.getvalue()


# --- before an announcement -----------------------------------------------------------------------------------


def test_before_an_announcement_the_command_exits_1_and_the_button_refuses_with_the_same_message(scene, client, tmp_path):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "release.zip"
    with pytest.raises(CommandError) as refused:
        call_command("export_release", "--contest", "isp", "--out", str(out))
    assert (str(refused.value), refused.value.returncode) == (REFUSAL, 1)  # manage.py prints it and exits 1
    assert list(out.parent.iterdir()) == []

    client.force_login(scene.organizer)
    page = client.get("/reviews/contests/isp/")
    assert '<a class="btn btn-outline-primary" id="export-release" href="/reviews/contests/isp/export/release.zip">' \
           in page.content.decode()
    response = client.get("/reviews/contests/isp/export/release.zip")
    assert (response.status_code, response.context["message"]) == (409, REFUSAL)
    assert not AuditEntry.objects.filter(action="exported").exists()


def test_an_announced_round_without_an_accepted_task_has_nothing_to_release(scene, tmp_path):
    submit(scene.rita_a, scene.rita, each("no_prize"))
    outcome.release_feedback(round=scene.round, by=scene.organizer)
    outcome.announce_awards(round=scene.round, by=scene.organizer)
    with pytest.raises(CommandError, match=r"^The announced rounds of Inverse Scaling Prize \(Round 1\) hold no "
                                           r"accepted task; there is nothing to release\.$"):
        call_command("export_release", "--contest", "isp", "--out", str(tmp_path / "r.zip"))


# --- what it holds --------------------------------------------------------------------------------------------


def test_the_release_holds_the_accepted_tasks_of_the_announced_rounds_and_only_what_was_published(announced, client):
    s = announced
    client.force_login(s.organizer)
    response = client.get("/reviews/contests/isp/export/release.zip")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="isp-release-')
    members = read_members(b"".join(response.streaming_content))
    assert list(members) == [f"isp-benchmark/{name}" for name in (
        "README.md", "metadata.json", "data/belief-shift.jsonl", "data/last-word.jsonl", "data/negation-task.jsonl",
        "data/syllogism-test.jsonl", "lm_eval/isp.yaml", "lm_eval/isp_belief-shift.yaml", "lm_eval/isp_last-word.yaml",
        "lm_eval/isp_negation-task.yaml", "lm_eval/isp_syllogism-test.yaml", "lm_eval/utils.py", "SHA256SUMS")]
    assert AuditEntry.objects.get(action="exported").message == "Exported the public release (4 tasks)."

    rows = [json.loads(line) for line in members["isp-benchmark/data/syllogism-test.jsonl"].decode().splitlines()]
    assert len(rows) == 300  # both parts, not the control file
    assert rows[0] == {"prompt": rows[0]["prompt"], "classes": [" Yes", " No"], "answer_index": rows[0]["answer_index"],
                       "part": 1}
    assert rows[0]["prompt"].startswith("As Ada Lovelace ([redacted]) noted:\n")  # the email, not the name
    assert (rows[149]["part"], rows[150]["part"]) == (1, 2)
    logodds = [json.loads(line) for line in members["isp-benchmark/data/belief-shift.jsonl"].decode().splitlines()]
    assert list(logodds[1]) == ["prompt", "other_prompt", "classes", "answer_index", "part"]
    assert (logodds[1]["classes"], logodds[1]["answer_index"], logodds[1]["part"]) == ([" no way", " yes indeed"], 1, None)
    last = json.loads(members["isp-benchmark/data/last-word.jsonl"].decode().splitlines()[0])
    assert list(last) == ["prompt", "completion", "part"] and last["completion"].startswith(" ")

    meta = json.loads(members["isp-benchmark/metadata.json"])
    assert (meta["name"], meta["contest"], meta["licence"]["spdx"]) == ("Inverse Scaling Prize benchmark", "isp", "CC-BY-4.0")
    assert [r["number"] for r in meta["rounds"]] == [1]
    assert meta["lm_eval"] == {"group": "isp", "include_path": "lm_eval/",
                               "tested_with": {"lm_eval": "0.4.13", "datasets": "5.2.0"}}
    tasks = {t["name"]: t for t in meta["tasks"]}
    assert list(tasks) == ["belief-shift", "last-word", "negation-task", "syllogism-test"]
    a = tasks["syllogism-test"]
    assert a["authors"] == ["Ada Lovelace", "Charles Babbage"]
    assert (a["config"], a["data_file"], a["lm_eval_task"], a["metric"], a["round"], a["version"], a["examples"]) == (
        "syllogism-test", "data/syllogism-test.jsonl", "isp_syllogism-test", "classification", 1, 1, 300)
    assert a["prize"] == {"tier": "second", "round": 1}
    assert a["why_it_won"] == "Models trust a plausible conclusion ([redacted] and [redacted] agree)."
    assert a["causes"] == ["Strong Prior"]
    low, high = wilson_interval(3, 4)
    assert a["human_validation"] == {
        "version": 1, "examples": 2, "validators": 2, "answers": 4, "agreeing": 3, "agreement": 0.75,
        "interval_95": [low, high], "examples_answered": 2, "majority_agreeing": 1, "ties": 1, "human_agreement": 0.5,
        "human_interval_95": list(wilson_interval(1, 2)), "skips": 0, "complete": True}
    released_row = {k: rows[0][k] for k in ("prompt", "classes", "answer_index")}  # redacted alike
    assert a["published_example"] == {"version": 1, "file": "syllogism-test-PART1.csv", "line": 2,
                                      "example": released_row}
    assert a["description"]["why_it_matters"] == "Asked on the forum by [redacted]."
    assert a["description"]["what_it_tests"] == ("Whether models judge syllogisms by logic. Ada Lovelace and Charles "
                                                  "Babbage (see lovelace's notes) built it; write to [redacted].")
    assert (a["changed_examples"], a["results"], a["missing"]) == ([0], None, ["results"])  # no series registered
    assert tasks["last-word"]["prize"] is None and tasks["last-word"]["why_it_won"] is None  # a non-winner's is not published
    assert tasks["last-word"]["missing"] == ["results", "human_validation", "causes", "published_example"]
    assert tasks["belief-shift"]["missing"] == ["results", "human_validation", "published_example", "why_it_won"]
    assert tasks["belief-shift"]["causes"] == ["Premise Blindness"]
    assert tasks["belief-shift"]["description"]["what_it_tests"] == (
        "Whether one changed premise moves the answer's odds (ask [redacted]).")

    card = members["isp-benchmark/README.md"].decode()
    front = yaml.safe_load(card.split("---\n")[1])
    assert front == {
        "license": "cc-by-4.0", "size_categories": ["1K<n<10K"], "task_categories": ["multiple-choice", "text-generation"],
        "pretty_name": "Inverse Scaling Prize benchmark", "tags": ["inverse-scaling", "lm-evaluation-harness"],
        "configs": [{"config_name": name, "data_files": [{"split": "test", "path": f"data/{name}.jsonl"}]}
                    for name in ("belief-shift", "last-word", "negation-task", "syllogism-test")]}
    assert ("| syllogism-test | classification | 300 | 1 | second (round 1) | 75.0% of 4 answers (95% CI "
            f"{100 * low:.1f}–{100 * high:.1f}%); the majority confirms 1 of 2 examples (1 ties) | Strong Prior | "
            "results |") in card
    assert ("| last-word | sequence_prob | 300 | 1 | accepted | missing | missing | results, human_validation, causes, "
            "published_example |") in card
    assert "Log-odds tasks in this release: belief-shift.\n" in card
    assert "For the log-odds tasks, lm-eval's `acc` is measured on `other_prompt` alone" in card

    sums = members["isp-benchmark/SHA256SUMS"].decode().splitlines()
    assert len(sums) == len(members) - 1
    for line in sums:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(members[f"isp-benchmark/{name}"]).hexdigest() == digest


def test_no_email_username_review_validator_or_unreleased_task_is_anywhere_in_the_zip(announced):
    s = announced
    members = read_members(write(s.contest))
    text = "\n".join([*members, *(body.decode("utf-8") for body in members.values())]).lower()
    users = [s.organizer, s.alice, s.bob, s.rita, s.remy, s.cora, s.uma, s.vera, s.vic, s.c.owner, s.d.owner,
             s.dropped.owner, s.late.owner]
    planted = [*(u.username for u in users), *(u.email for u in users),
               "ada.lovelace@analytical-engines.org", "charles@difference-engines.org", DINA.email, ENZO.email,
               "Analytical Engines Society", "Belief Lab",  # affiliations are not released
               "REVIEW-TO-AUTHORS-k4", "REVIEW-TO-AUTHORS-k5", "REVIEW-TO-AUTHORS-k6", "ORG-ONLY-q3",
               "META-SUMMARY-FOR-AUTHORS-m1", "META-SUMMARY-FOR-AUTHORS-m2", "WHY-OF-A-NON-WINNER-m3",
               "Validator 1", "dropped-task-z5", "DROPPED-SECRET-z5", FRED.name,
               "late-task-r2", "LATE-SECRET-r2", LATE.name, "Round 2"]
    assert [p for p in planted if p.lower() in text] == []
    assert "@" not in text.replace("@misc{", "").replace("@article{", "")  # no email address of anyone
    for name in ("Ada Lovelace", "Charles Babbage", "Grace Hopper", DINA.name, ENZO.name):  # the authors are credited
        assert name.lower() in text


def test_one_licence_is_named_by_the_card_every_file_header_and_the_metadata(announced):
    annotations.choose_licence(contest=announced.contest, licence="CC-BY-SA-4.0", by=announced.organizer)
    members = read_members(write(announced.contest))
    header = ("# Part of the Inverse Scaling Prize benchmark, released under Creative Commons Attribution Share Alike "
              "4.0 International (CC-BY-SA-4.0, https://creativecommons.org/licenses/by-sa/4.0/).\n")
    headed = [name for name in members if name.endswith((".yaml", ".py"))]
    assert len(headed) == 6
    for name in headed:
        assert members[name].decode().startswith(header), name
    card = members["isp-benchmark/README.md"].decode()
    assert yaml.safe_load(card.split("---\n")[1])["license"] == "cc-by-sa-4.0"
    assert ("Released under [Creative Commons Attribution Share Alike 4.0 International]"
            "(https://creativecommons.org/licenses/by-sa/4.0/)\n(CC-BY-SA-4.0)") in card
    assert "CC-BY-4.0" not in card and "cc-by-4.0" not in card
    assert json.loads(members["isp-benchmark/metadata.json"])["licence"] == {
        "spdx": "CC-BY-SA-4.0", "name": "Creative Commons Attribution Share Alike 4.0 International",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/", "hub": "cc-by-sa-4.0"}


def test_the_command_writes_the_release_and_records_it(announced, tmp_path):
    out = tmp_path / "release.zip"
    stdout = io.StringIO()
    call_command("export_release", "--contest", "isp", "--out", str(out), "--by", "org_olga_q1", stdout=stdout)
    assert stdout.getvalue().strip() == (f"Wrote {out}: 4 accepted tasks of the announced rounds: belief-shift, "
                                         "last-word, negation-task, syllogism-test.")
    assert len(zipfile.ZipFile(out).namelist()) == 13
    entry = AuditEntry.objects.get(action="exported")
    assert (entry.actor.username, entry.message) == (
        "org_olga_q1", "Exported the public release (4 tasks) to release.zip from the command line.")


def test_a_damaged_stored_task_fails_the_release_by_name_and_leaves_no_file(announced, tmp_path, _private_storage):
    stored = _private_storage / announced.b.current_version.zip_file.name
    stored.write_bytes(stored.read_bytes()[:-40])
    (tmp_path / "out").mkdir()
    with pytest.raises(CommandError, match=r"^The stored zip of negation-task \(version 1\) could not be read"):
        call_command("export_release", "--contest", "isp", "--out", str(tmp_path / "out" / "release.zip"))
    assert list((tmp_path / "out").iterdir()) == []


# --- datasets and lm-eval -------------------------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Hugging Face libraries offline, with their caches in the test's folder."""
    import datasets as hf_datasets

    for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"):
        monkeypatch.setenv(name, "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(hf_datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    monkeypatch.setattr(hf_datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf" / "datasets")
    return hf_datasets


def test_each_task_loads_as_a_config_with_datasets(announced, tmp_path, offline):
    folder = unpacked(write(announced.contest), tmp_path)
    assert offline.get_dataset_config_names(str(folder)) == ["belief-shift", "last-word", "negation-task",
                                                            "syllogism-test"]
    shapes = {}
    for config in ("belief-shift", "last-word", "negation-task", "syllogism-test"):
        loaded = offline.load_dataset(str(folder), config, split="test")
        shapes[config] = (loaded.num_rows, loaded.column_names)
        if "classes" in loaded.column_names:
            assert isinstance(loaded[0]["classes"], list)
    assert shapes == {
        "belief-shift": (300, ["prompt", "other_prompt", "classes", "answer_index", "part"]),
        "last-word": (300, ["prompt", "completion", "part"]),
        "negation-task": (300, ["prompt", "classes", "answer_index", "part"]),
        "syllogism-test": (300, ["prompt", "classes", "answer_index", "part"])}
    assert offline.load_dataset(str(folder), "belief-shift", split="test")[1]["classes"] == [" no way", " yes indeed"]


LIMIT = 6  # examples per task: lm-eval's --limit
EXAMPLES = {  # a released row as the engine's example (its line: the row's index)
    "classification": lambda i, r: ClassificationExample(i, r["prompt"], tuple(r["classes"]), r["answer_index"]),
    "sequence_prob": lambda i, r: SequenceProbExample(i, r["prompt"], r["completion"]),
    "logodds": lambda i, r: LogoddsExample(i, r["prompt"], r["other_prompt"], tuple(r["classes"]), r["answer_index"])}


def test_lm_eval_runs_the_release_in_process_and_its_numbers_are_the_engines(announced, tmp_path, offline, monkeypatch):
    """lm-eval's accuracy and utils.py's values, per example, equal the engine's on the same examples of the released
    files, scored on the same tiny model (1e-4); the first LIMIT examples of each task."""
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    from evaluation.engine.backends import load_backend
    from evaluation.engine.metrics import score_examples
    from tests.engine.tiny_models import save

    folder = unpacked(write(announced.contest), tmp_path)
    model = save("gpt2", "xs", tmp_path / "tiny", window=256, seed=0)
    monkeypatch.chdir(folder)  # the tasks read data/ by a relative path, as the card says
    out = simple_evaluate(model="hf", model_args={"pretrained": str(model), "dtype": "float32"}, tasks=["isp"],
                          task_manager=TaskManager(include_path=str(folder / "lm_eval"), include_defaults=False), limit=LIMIT,
                          log_samples=True, device="cpu", batch_size=8,
                          random_seed=None, numpy_random_seed=None, torch_random_seed=None)  # leave the process's RNGs
    backend = load_backend(str(model))
    metrics = json.loads((folder / "metadata.json").read_text())["tasks"]
    for task in metrics:
        rows = [json.loads(line) for line in (folder / task["data_file"]).read_text().splitlines()[:LIMIT]]
        examples = [EXAMPLES[task["metric"]](i, r) for i, r in enumerate(rows)]
        engine = score_examples(examples, metric=task["metric"], backend=backend)
        samples = sorted(out["samples"][task["lm_eval_task"]], key=lambda sample: sample["doc_id"])
        value = {"classification": "loss", "sequence_prob": "loss", "logodds": "logodds"}[task["metric"]]
        assert len(samples) == LIMIT
        for sample, mine in zip(samples, engine.examples):
            assert math.isclose(sample[value], mine.value, abs_tol=1e-4), (task["name"], sample["doc_id"])
            if mine.correct is not None:
                assert sample["acc"] == float(mine.correct), (task["name"], sample["doc_id"])
        summary = out["results"][task["lm_eval_task"]]
        assert math.isclose(summary[f"{value},none"], engine.aggregate.mean, abs_tol=1e-4)
        if engine.aggregate.accuracy is not None:
            assert math.isclose(summary["acc,none"], engine.aggregate.accuracy, abs_tol=1e-9)
        else:
            assert "acc,none" not in summary
    assert sorted(out["results"]) == ["isp", "isp_belief-shift", "isp_last-word", "isp_negation-task",
                                      "isp_syllogism-test"]


def test_the_task_yamls_are_lm_evals_multiple_choice_over_the_released_fields(announced):
    members = read_members(write(announced.contest))
    task = yaml.load(members["isp-benchmark/lm_eval/isp_belief-shift.yaml"], Loader=_FunctionLoader)
    assert task == {"task": "isp_belief-shift", "class": "!function utils.LogoddsTask", "dataset_path": "json",
                    "dataset_kwargs": {"data_files": {"test": "data/belief-shift.jsonl"}}, "test_split": "test",
                    "output_type": "multiple_choice", "doc_to_text": "other_prompt", "doc_to_choice": "classes",
                    "doc_to_target": "answer_index", "target_delimiter": "",
                    "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True},
                                    {"metric": "!function utils.logodds", "aggregation": "mean", "higher_is_better": False}],
                    "metadata": {"version": 1}}
    group = yaml.safe_load(members["isp-benchmark/lm_eval/isp.yaml"])
    assert group == {"group": "isp", "task": ["isp_belief-shift", "isp_last-word", "isp_negation-task",
                                              "isp_syllogism-test"], "metadata": {"version": 1}}
    utils = members["isp-benchmark/lm_eval/utils.py"].decode()
    assert utils.split("\n", 1)[1] == Path(release.UTILS).read_text()


class _FunctionLoader(yaml.SafeLoader):
    """Reads lm-eval's `!function` tag as its text."""


_FunctionLoader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def test_a_second_round_announced_joins_the_release(announced):
    s = announced
    round2 = s.late.round
    outcome.confirm_awards(round=round2, by=s.organizer, acknowledged=acknowledging_every_gap(round2))
    outcome.release_feedback(round=round2, by=s.organizer)
    outcome.announce_awards(round=round2, by=s.organizer)
    meta = json.loads(read_members(write(s.contest))["isp-benchmark/metadata.json"])
    assert [r["number"] for r in meta["rounds"]] == [1, 2]
    assert [(t["name"], t["round"]) for t in meta["tasks"]] == [
        ("belief-shift", 1), ("last-word", 1), ("negation-task", 1), ("syllogism-test", 1), ("late-task-r2", 2)]

