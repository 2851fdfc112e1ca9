"""The contest's own metrics for lm-evaluation-harness (written for lm-eval 0.4.13), beside lm-eval's accuracy.

The portal copies this file into a contest's public release as lm_eval/utils.py, under a line naming the
release's licence; each task's YAML names one of its classes (`class: !function utils.ClassificationTask`). The
portal itself never imports it. Each class is lm-eval's own ConfigurableTask, so lm-eval builds the requests,
runs the model and computes `acc` as it does for any multiple-choice task (argmax of the log-likelihoods, ties to
the first choice); the classes add the contest's numbers, computed from the same log-likelihoods, exactly as the
portal's evaluation engine computes them (evaluation/engine/metrics.py):

    lp(x | p) = lm-eval's log-likelihood of the request (p, x): the sum of the log-probabilities of x's tokens
                given p (x keeps its own leading space: the YAMLs set target_delimiter to "")

    classification     multiple_choice over prompt and classes. acc: lm-eval's.
                       loss = logsumexp_k lp(class_k | prompt) - lp(classes[answer_index] | prompt)
                       (minus the log of the answer's probability normalised over the classes)
    sequence_prob      loglikelihood of (prompt, completion). loss = -lp(completion | prompt)
    logodds            multiple_choice over other_prompt and the two classes, so acc (lm-eval's) is measured on
                       other_prompt, as the portal's accuracy is; two more requests score the classes after
                       prompt. With a = classes[answer_index] and b the other class,
                       logodds = [lp(a | prompt) - lp(b | prompt)] - [lp(a | other_prompt) - lp(b | other_prompt)]
    absolute_logodds   as logodds; absolute_logodds = |logodds|

Each metric is aggregated by lm-eval's `mean`, with its standard error (sample sd / sqrt(n)), as the portal's
mean and sem are. `loss`, `logodds` and `absolute_logodds` below are the metrics the YAMLs' metric_list names:
pass-through functions, the way lm-eval declares a metric that process_results computes.
"""

from __future__ import annotations

import math

from lm_eval.api.instance import Instance
from lm_eval.api.task import ConfigurableTask


def _logsumexp(xs: list[float]) -> float:
    top = max(xs)
    if top == -math.inf:
        return -math.inf
    return top + math.log(sum(math.exp(x - top) for x in xs))


def loss(items):
    """The per-example values of `loss`, passed through to the aggregation."""
    return items


def logodds(items):
    """The per-example values of `logodds`, passed through to the aggregation."""
    return items


def absolute_logodds(items):
    """The per-example values of `absolute_logodds`, passed through to the aggregation."""
    return items


class _ContestTask(ConfigurableTask):
    """A task built from its YAML, whose `class` key lm-eval passes on with the rest of the config."""

    def __init__(self, config: dict | None = None, **kwargs) -> None:
        super().__init__(config={k: v for k, v in (config or {}).items() if k != "class"}, **kwargs)


class ClassificationTask(_ContestTask):
    def process_results(self, doc: dict, results: list) -> dict:
        out = super().process_results(doc, results)
        lls = [ll for ll, _ in results]
        out["loss"] = _logsumexp(lls) - lls[doc["answer_index"]]
        return out


class SequenceProbTask(_ContestTask):
    def process_results(self, doc: dict, results: list) -> dict:
        ((ll, _),) = results
        return {"loss": -ll}


class LogoddsTask(_ContestTask):
    """lm-eval's requests (other_prompt, each class) first, then (prompt, each class)."""

    absolute = False

    def construct_requests(self, doc: dict, ctx, **kwargs):
        if kwargs.get("apply_chat_template"):
            raise ValueError(f"{self.config.task} compares two plain prompts; run it without --apply_chat_template.")
        requests = super().construct_requests(doc, ctx, **kwargs)
        kwargs.pop("apply_chat_template", None)
        kwargs.pop("chat_template", None)
        other = self.doc_to_text(doc)
        if not isinstance(ctx, str) or not ctx.endswith(other):
            raise ValueError(f"{self.config.task}: the context does not end with other_prompt; the task cannot "
                             "put prompt in its place.")
        context = ctx[:len(ctx) - len(other)] + doc["prompt"]  # any few-shot examples, then prompt
        for choice in self.doc_to_choice(doc):
            requests.append(Instance(request_type="loglikelihood", doc=doc, idx=len(requests),
                                     arguments=(context, f"{self.config.target_delimiter}{choice}"), **kwargs))
        return requests

    def process_results(self, doc: dict, results: list) -> dict:
        n = len(self.doc_to_choice(doc))
        out = super().process_results(doc, results[:n])  # lm-eval's acc, on other_prompt
        other = [ll for ll, _ in results[:n]]
        prompt = [ll for ll, _ in results[n:]]
        a = doc["answer_index"]
        b = 1 - a
        d = (prompt[a] - prompt[b]) - (other[a] - other[b])
        out["absolute_logodds" if self.absolute else "logodds"] = abs(d) if self.absolute else d
        return out


class AbsoluteLogoddsTask(LogoddsTask):
    absolute = True
