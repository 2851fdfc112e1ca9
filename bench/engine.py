"""Benchmark: the engine vs the organizers' naive method (and lm-evaluation-harness when installed),
and the trend statistics (trends.trend: 10 models x 10,000 examples, 1,000 bootstrap resamples).

Same model (SmolLM2-135M-Instruct, converted once from its GGUF) and data in one run:
  (a) 3-shot classification, four multi-token classes, ~400-token prompts;
  (b) sequence_prob;
  (c) logodds, prompts sharing an instruction prefix.
The naive reference (tests/engine/reference.py: batch 1, one full forward per prompt + class) and
lm-eval run on the first --ref-rows rows of each task (they are slow); examples/second compare
rates. Max |difference| is the largest gap between the engine's and the reference's per-row value.

  .venv/bin/python bench/engine.py [--rows 40] [--ref-rows 4] [--dtype float32|bfloat16] [--no-lm-eval]
  .venv/bin/python bench/engine.py --only-trends
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluation.engine.backends import load_backend  # noqa: E402
from evaluation.engine.backends.hf import HFBackend  # noqa: E402
from evaluation.engine.metrics import score_examples  # noqa: E402
from evaluation.engine.pretrained import smollm2_spec  # noqa: E402
from evaluation.engine.trends import trend  # noqa: E402
from evaluation.engine.types import ClassificationExample, LogoddsExample, SequenceProbExample  # noqa: E402
from tests.engine.reference import NaiveReference  # noqa: E402

WORDS = ["the", "cat", "dog", "bird", "farmer", "teacher", "doctor", "nurse", "engineer", "river", "city", "market", "house", "garden", "walked", "saw", "found", "carried", "painted", "built", "opened", "quiet", "red", "small", "old", "bright", "early", "late", "morning", "evening", "winter", "summer", "because", "after", "before", "while", "every", "some", "many"]
NAMES = ["Alice", "Bob", "Carol", "David", "Erin", "Frank", "Grace", "Henry", "Irene", "Jack"]
CLASSES = [" strongly agree", " somewhat agree", " somewhat disagree", " strongly disagree"]


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def passage(rng, n_words):
    out = []
    while sum(len(s.split()) for s in out) < n_words:
        out.append(sentence(rng, rng.randint(6, 14)))
    return " ".join(out)


def task_a(rows, rng):
    shots = "".join(f"Statement: {passage(rng, 70)}\nDo you agree?{rng.choice(CLASSES)}\n\n" for _ in range(3))
    head = "Read each statement and say how much you agree.\n\n" + shots
    return [ClassificationExample(i + 2, head + f"Statement: {passage(rng, 80)}\nDo you agree?",
                                  tuple(CLASSES), rng.randrange(4)) for i in range(rows)]


def task_b(rows, rng):
    head = "Continue the story in the same style. " + passage(rng, 40) + "\n\n"
    return [SequenceProbExample(i + 2, head + passage(rng, 30), " " + passage(rng, 15)) for i in range(rows)]


def task_c(rows, rng):
    head = ("You will read a short description of a person. Answer yes or no: is the person "
            "described likely to be good at their job? " + passage(rng, 100) + "\n\n")
    out = []
    for i in range(rows):
        job, name = rng.choice(["doctor", "nurse", "engineer", "teacher"]), rng.choice(NAMES)
        tail = f"{name} is a {job}. {sentence(rng, 8)} Is the {job} good at the job? Answer:"
        out.append(LogoddsExample(i + 2, head + tail.replace(name, "He"), head + tail.replace(name, "She"),
                                  (" yes", " no"), rng.randrange(2)))
    return out


def naive_values(ref: NaiveReference, metric, examples):
    vals = []
    for ex in examples:
        if metric == "classification":
            vals.append(ref.classification(ex)["value"])
        elif metric == "sequence_prob":
            vals.append(ref.sequence_prob(ex)["value"])
        else:
            lp = {(p, c): ref.logprob(p, c)[0] for p in (ex.prompt, ex.other_prompt) for c in ex.classes}
            a, b = ex.classes[ex.answer_index], ex.classes[1 - ex.answer_index]
            vals.append((lp[ex.prompt, a] - lp[ex.prompt, b]) - (lp[ex.other_prompt, a] - lp[ex.other_prompt, b]))
    return vals


LM_EVAL_RUNNER = r'''
import json, sys, time
from lm_eval import simple_evaluate
from lm_eval.models.huggingface import HFLM
from lm_eval.tasks import TaskManager
folder, task_dir, out, dtype = sys.argv[1:5]
lm = HFLM(pretrained=folder, dtype=dtype, batch_size=8, device="cpu")
res = {}
for name in sys.argv[5:]:
    t = time.time()
    r = simple_evaluate(model=lm, tasks=[name], task_manager=TaskManager(include_path=task_dir),
                        log_samples=True, num_fewshot=0)
    dt = time.time() - t
    samples = sorted(r["samples"][name], key=lambda s: s["doc_id"])
    res[name] = {"seconds": dt, "lls": [[x[0] for x in s["filtered_resps"]] for s in samples]}
json.dump(res, open(out, "w"))
'''

YAML = """task: {name}
dataset_path: csv
dataset_kwargs:
  data_files:
    test: {csv}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{prompt}}}}"
doc_to_choice: "{{{{classes}}}}"
doc_to_target: "{{{{answer_index}}}}"
target_delimiter: ""
metric_list:
  - metric: acc
"""


def run_lm_eval(folder, a_rows, c_rows, dtype):
    py = ROOT / ".venv-bench" / "bin" / "python"
    if not py.exists():
        return None
    import csv
    tmp = Path(tempfile.mkdtemp(prefix="bench-lmeval-"))
    with open(tmp / "a.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["prompt", "classes", "answer_index"])
        for ex in a_rows:
            w.writerow([ex.prompt, repr(list(ex.classes)), ex.answer_index])
    with open(tmp / "c.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["prompt", "classes", "answer_index"])
        for ex in c_rows:
            for p in (ex.prompt, ex.other_prompt):
                w.writerow([p, repr(list(ex.classes)), ex.answer_index])
    for name in ("a", "c"):
        (tmp / f"bench_{name}.yaml").write_text(YAML.format(name=f"bench_{name}", csv=tmp / f"{name}.csv"))
    (tmp / "runner.py").write_text(LM_EVAL_RUNNER)
    out = tmp / "out.json"
    env = dict(os.environ, HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    with open(tmp / "stderr.txt", "w") as stderr:
        subprocess.run([str(py), str(tmp / "runner.py"), str(folder), str(tmp), str(out), dtype,
                        "bench_a", "bench_c"], check=True, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    return json.loads(out.read_text())


def bench_trends(models: int = 10, examples: int = 10_000, resamples: int = 1000, repeat: int = 5):
    import numpy as np

    rng = np.random.default_rng(0)
    sizes = np.logspace(7, 10, models)
    values = [rng.normal(0.05 * i, 1.0, examples) for i in range(models)]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        got = trend(sizes, values, worse=1, resamples=resamples)
        times.append(time.perf_counter() - t)
    print(f"trend(): {models} models x {examples:,} examples, {resamples} resamples: best {min(times):.3f} s, "
          f"first {times[0]:.3f} s over {repeat} runs ({got.label}, slope {got.slope:.4f})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=40)
    ap.add_argument("--ref-rows", type=int, default=4)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--no-lm-eval", action="store_true")
    ap.add_argument("--only-trends", action="store_true", help="time trends.trend only (no model)")
    args = ap.parse_args()
    bench_trends()
    if args.only_trends:
        return
    rng = random.Random(0)
    tasks = {"a": ("classification", task_a(args.rows, rng)),
             "b": ("sequence_prob", task_b(args.rows, rng)),
             "c": ("logodds", task_c(args.rows, rng))}
    loaded = load_backend(smollm2_spec(), device="cpu", dtype=args.dtype)
    model, tok = loaded.model, loaded.tokenizer
    print(f"model {loaded.identity} dtype {args.dtype} threads {__import__('torch').get_num_threads()} "
          f"rows {args.rows} reference rows {args.ref_rows}")
    ref = NaiveReference(model, tok, loaded.max_length) if args.dtype == "float32" else None
    fp32_ref = ref
    if ref is None:  # reference stays fp32: compare the bf16 engine with fp32 numbers
        import copy
        fp32_ref = NaiveReference(copy.deepcopy(model).float(), tok, loaded.max_length)
    lm = None
    if not args.no_lm_eval:
        lm = run_lm_eval(loaded.loaded_from, tasks["a"][1][:args.ref_rows], tasks["c"][1][:args.ref_rows],
                         args.dtype)
    for key, (metric, examples) in tasks.items():
        backend = HFBackend(model, tok, identity=loaded.identity)
        t = time.perf_counter()
        got = score_examples(examples, metric=metric, backend=backend)
        t_engine = time.perf_counter() - t
        st = backend.stats
        sub = examples[:args.ref_rows]
        t = time.perf_counter()
        want = naive_values(fp32_ref, metric, sub)
        t_ref = time.perf_counter() - t
        diff = max(abs(g.value - w) for g, w in zip(got.examples, want))
        eng_rate, ref_rate = len(examples) / t_engine, len(sub) / t_ref
        print(f"({key}) {metric}: engine {eng_rate:.2f} ex/s ({len(examples)} rows, {t_engine:.1f} s) | "
              f"naive {ref_rate:.3f} ex/s ({len(sub)} rows, {t_ref:.1f} s) | ratio {eng_rate / ref_rate:.1f}x | "
              f"tokens fed {st['fed_with_padding']} / tree minimum {st['tree_minimum']} = "
              f"{st['fed_with_padding'] / st['tree_minimum']:.3f} (naive {st['naive_tokens']}, "
              f"{st['naive_tokens'] / st['tree_minimum']:.1f}x) | max |diff| vs reference {diff:.2e}")
        if lm and key in ("a", "c"):
            print_lm_eval(lm[f"bench_{key}"], key, sub, got, eng_rate)


def print_lm_eval(r, key, sub, got, eng_rate):
    lm_rate = len(sub) / r["seconds"]
    if key == "a":
        lm_vals = [math.log(sum(math.exp(x) for x in lls)) - lls[ex.answer_index] for lls, ex in zip(r["lls"], sub)]
    else:
        lm_vals = []
        for i, ex in enumerate(sub):
            p, o = r["lls"][2 * i], r["lls"][2 * i + 1]
            a, b = ex.answer_index, 1 - ex.answer_index
            lm_vals.append((p[a] - p[b]) - (o[a] - o[b]))
    ldiff = max(abs(g.value - v) for g, v in zip(got.examples, lm_vals))
    print(f"    lm-eval 0.4.13 HFLM batch 8: {lm_rate:.3f} ex/s ({len(sub)} rows, {r['seconds']:.1f} s) | "
          f"engine / lm-eval {eng_rate / lm_rate:.1f}x | max |diff| engine vs lm-eval {ldiff:.2e}")


if __name__ == "__main__":
    main()
