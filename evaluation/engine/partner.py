"""`isp-eval partner`: the partner's side of remote evaluation, run on the partner's own GPU host with
no Django, database or Redis: it polls the portal's partner API, claims a waiting run of a model it
maps to a local spec, downloads the run's files (anonymised: task.csv, task-PART1.csv, ...), scores
them with the engine, beats while it scores, uploads the per-example results, and loops.

    isp-eval partner --portal https://portal.example --token TOKEN \\
        --model acme-7b=/models/acme-7b --model acme-70b=openai:http://gpu:8000/v1#acme-70b [--once]

NAME is the model's registered name (what GET /api/partner/runs/ lists), SPEC anything the engine
loads (a hub id, a folder, FOLDER::FILE.gguf, openai:URL#MODEL). `--once` stops when nothing waits.
Ctrl-C stops at once: the claimed run's lease then runs out and the portal retries it. A file the
model cannot score is uploaded as that file's error; any other failure is reported (POST .../fail/)
and the portal's bounded attempts decide what follows.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import threading
import time
from dataclasses import dataclass, field

from .console import Console, Problem

DEFAULT_POLL_SECONDS = 30.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--portal", required=True, help="the portal's address, e.g. https://portal.example")
    parser.add_argument("--token", required=True, help="your partner token (manage.py partner_token NAME)")
    parser.add_argument("--model", action="append", required=True, dest="models", metavar="NAME=SPEC",
                        help="a registered model name and the local spec that scores it; repeat for more")
    parser.add_argument("--once", action="store_true", help="stop when no run of your models waits")
    parser.add_argument("--poll", type=float, default=DEFAULT_POLL_SECONDS, metavar="SECONDS",
                        help=f"how long to wait between polls when nothing waits (default {DEFAULT_POLL_SECONDS:g})")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, auto (default: cuda if there is one)")
    parser.add_argument("--dtype", default=None, help="float32, bfloat16, float16")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def parse_models(pairs: list[str]) -> dict[str, str]:
    models = {}
    for pair in pairs:
        name, sep, spec = pair.partition("=")
        if not sep or not name.strip() or not spec.strip():
            raise Problem(f"--model {pair!r}: write NAME=SPEC (the registered model name, then the local spec).")
        models[name.strip()] = spec.strip()
    return models


class PortalError(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class Portal:
    """The partner API over HTTP (httpx)."""

    def __init__(self, url: str, token: str, *, timeout: float = 120.0):
        import httpx

        self.http = httpx.Client(base_url=url.rstrip("/"), timeout=timeout,
                                 headers={"Authorization": f"Bearer {token}", "User-Agent": "isp-eval-partner"})

    def _answer(self, response):
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text[:500]
            raise PortalError(response.status_code, str(detail))
        return response

    def get(self, path: str):
        return self._answer(self.http.get(path))

    def post(self, path: str, body: dict | None = None):
        return self._answer(self.http.post(path, json=body or {})).json()

    def close(self) -> None:
        self.http.close()


@dataclass
class _Beat:
    """The run's progress, beaten to the portal by a thread every `every` seconds (and on progress,
    at most once a second) until `stop` is set."""

    portal: Portal
    run_id: int
    lease: str
    total: int
    every: float
    done: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    lost: str | None = None
    _last: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self) -> None:
        with self._lock:
            self._last = time.monotonic()
            try:
                self.portal.post(f"/api/partner/runs/{self.run_id}/heartbeat/",
                                 {"done": self.done, "total": self.total, "lease": self.lease})
            except PortalError as exc:
                if exc.status == 409:
                    self.lost = exc.detail
            except Exception:
                pass

    def progress(self, done: int) -> None:
        self.done = done
        if time.monotonic() - self._last >= 1.0:
            self.send()

    def loop(self) -> None:
        while not self.stop.wait(self.every):
            self.send()


def _file_bytes(portal: Portal, entry: dict) -> bytes:
    data = portal.get(entry["url"]).content
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise RuntimeError(f"{entry['name']}: the downloaded bytes do not have the listed sha256.")
    return data


def read_files(portal: Portal, claimed: dict) -> list:
    """The run's files as the engine's TaskFiles, in the listed order (few-shot variants made here
    from their source, as the portal's workers make them, and checked against the listed sha256)."""
    from .fewshot import few_shot_variant
    from .taskfile import read_task_csv

    files, by_name = [], {}
    for entry in claimed["files"]:
        if entry["shots"]:
            task_file = few_shot_variant(by_name[entry["source"]], k=entry["shots"], metric=claimed["metric"])
            if task_file.sha256 != entry["sha256"]:
                raise RuntimeError(f"{entry['name']}: the variant made here differs from the portal's.")
        else:
            task_file, errors, _ = read_task_csv(entry["name"], _file_bytes(portal, entry), metric=claimed["metric"],
                                                 kind=entry["kind"], index=entry["index"])
            if task_file is None or errors:
                raise RuntimeError(f"{entry['name']} does not read: {'; '.join(e.as_text() for e in errors[:3])}")
            task_file.sha256 = entry["sha256"]
        by_name[entry["name"]] = task_file
        files.append((entry, task_file))
    return files


def _number(x):
    return x if x is None or isinstance(x, bool) or math.isfinite(x) else float(x)


def upload_body(outcomes, entries: list[dict], identity: str) -> dict:
    """The results JSON: one entry per file, its examples keyed by the portal's per-example CSV columns."""
    files = []
    for entry, outcome in zip(entries, outcomes):
        if outcome.error is not None:
            files.append({"name": entry["name"], "sha256": entry["sha256"], "error": outcome.error})
            continue
        files.append({"name": entry["name"], "sha256": entry["sha256"], "warnings": list(outcome.scores.warnings),
                      "examples": [{"line": e.line, "value": e.value, "correct": e.correct, "predicted": e.predicted,
                                    "total_logprob": e.total_logprob} for e in outcome.scores.examples]})
    return {"files": files, "model_identity": identity}


class Scorer:
    """Scores claimed runs, keeping the last model loaded until another is needed."""

    def __init__(self, models: dict[str, str], *, device: str | None, dtype: str | None, progress: bool,
                 console: Console):
        self.models, self.device, self.dtype, self.progress, self.console = models, device, dtype, progress, console
        self.spec, self.backend = None, None

    def load(self, spec: str):
        from .backends import load_backend

        if self.spec != spec:
            self.close()
            self.console.err(f"loading {spec}")
            self.backend, self.spec = load_backend(spec, device=self.device, dtype=self.dtype), spec
        return self.backend

    def close(self) -> None:
        if self.backend is not None:
            self.backend.close()
        self.spec, self.backend = None, None

    def score(self, portal: Portal, claimed: dict) -> dict:
        from .metrics import get_metric
        from .scoring import score_report
        from .types import TaskReport

        run_id = claimed["id"]
        pairs = read_files(portal, claimed)
        entries, files = [p[0] for p in pairs], [p[1] for p in pairs]
        total = sum(len(f.examples) for f in files)
        beat = _Beat(portal, run_id, claimed["lease"], total, every=max(1.0, claimed["heartbeat_seconds"] / 2))
        thread = threading.Thread(target=beat.loop, daemon=True, name=f"heartbeat-run-{run_id}")
        thread.start()
        bar = None
        try:
            backend = self.load(self.models[claimed["model"]])
            if self.progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=total, unit="ex", desc=f"run {run_id} {claimed['model']}")

            def progress(done: int, _total: int) -> None:
                beat.progress(done)
                if bar is not None:
                    bar.update(done - bar.n)

            outcomes = score_report(TaskReport(files=files), metric=get_metric(claimed["metric"]), backend=backend,
                                    progress=progress)
        finally:
            beat.stop.set()
            if bar is not None:
                bar.close()
        if beat.lost:
            raise PortalError(409, beat.lost)
        body = upload_body(outcomes, entries, backend.identity)
        body["lease"] = claimed["lease"]
        return portal.post(f"/api/partner/runs/{run_id}/results/", body)


def _one_round(portal: Portal, scorer: Scorer, console: Console) -> bool:
    """Claim and score one waiting run of a mapped model; False when none waits."""
    waiting = [r for r in portal.get("/api/partner/runs/").json() if r["model"] in scorer.models]
    for listed in waiting:
        try:
            claimed = portal.post(f"/api/partner/runs/{listed['id']}/claim/")
        except PortalError as exc:
            if exc.status in (404, 409):  # claimed by another process of ours meanwhile, or gone
                continue
            raise
        console.err(f"claimed run {claimed['id']} on {claimed['model']} (attempt {claimed['attempt']})")
        try:
            answer = scorer.score(portal, claimed)
        except KeyboardInterrupt:
            raise
        except PortalError as exc:
            console.err(f"run {claimed['id']}: the portal refused: {exc.detail}")
            if exc.status == 400:
                _fail(portal, claimed, f"the portal refused the upload: {exc.detail}", console)
            return True
        except Exception as exc:
            _fail(portal, claimed, f"{type(exc).__name__}: {exc}", console)
            return True
        console.err(f"run {claimed['id']}: {answer['status']} ({answer['done']}/{answer['total']} examples)")
        return True
    return False


def _fail(portal: Portal, claimed: dict, message: str, console: Console) -> None:
    console.err(f"run {claimed['id']} failed: {message}")
    try:
        answer = portal.post(f"/api/partner/runs/{claimed['id']}/fail/",
                             {"message": message[:1000], "lease": claimed["lease"]})
        console.err(f"run {claimed['id']} is now {answer['status']}")
    except PortalError as exc:
        console.err(f"run {claimed['id']}: could not report the failure: {exc.detail}")


def run(args: argparse.Namespace, console: Console) -> int:
    models = parse_models(args.models)
    portal = Portal(args.portal, args.token)
    scorer = Scorer(models, device=args.device, dtype=args.dtype, progress=not args.no_progress, console=console)
    try:
        while True:
            try:
                worked = _one_round(portal, scorer, console)
            except PortalError as exc:
                if exc.status in (401, 403):
                    raise Problem(f"the portal refused the token: {exc.detail}") from None
                raise Problem(f"the portal answered {exc.status}: {exc.detail}") from None
            if not worked:
                if args.once:
                    console.err("no run of your models waits; stopping (--once).")
                    return 0
                time.sleep(args.poll)
    except KeyboardInterrupt:
        console.err("interrupted: a claimed run's lease will run out and the portal will retry it.")
        return 130
    finally:
        scorer.close()
        portal.close()
