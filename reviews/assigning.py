"""Automatic assignment of reviewers to submissions (plain Python, no Django).

    plan = plan_assignments(submissions=[1, 2], reviewers=["ann", "bob", "cy"], per_submission=2, cap=1,
                            load={}, assigned={}, conflicts={(1, "ann")})
    plan.pairs       # [(1, "cy"), (2, "ann"), (2, "bob")]  what to add
    plan.short       # {1: "it has 1 of 2 reviewers; already reviewing it: cy; conflict of interest: ann;
                     #      at the cap of 1: bob."}         why a submission stays short of per_submission

A minimum-cost maximum flow (networkx): as many of the missing slots as possible are filled, never
across a conflict, never twice on one submission, never above the cap; among those, the one whose
costs are lowest, where a reviewer's k-th new assignment costs their load + k and a submission's
j-th new reviewer costs its reviewers so far + j. The costs grow with the load, so the loads come
out as even as the conflicts allow, and a shortage of reviewers spreads over the submissions
instead of leaving some with none. Equal choices go to reviewers earlier in the given order.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import networkx as nx


@dataclass
class Plan:
    pairs: list[tuple[Hashable, Hashable]] = field(default_factory=list)
    short: dict[Hashable, str] = field(default_factory=dict)


def _network(submissions, reviewers, per_submission, cap, load, on, conflicts) -> nx.DiGraph:
    graph = nx.DiGraph()
    scale = len(reviewers) + 1  # the reviewer order only breaks ties between equal loads
    for s in submissions:
        have = len(on[s])
        for j in range(1, per_submission - have + 1):
            graph.add_edge("source", ("slot", s, j), capacity=1, weight=scale * (have + j))
            graph.add_edge(("slot", s, j), ("submission", s), capacity=1, weight=0)
        for r in reviewers:
            if r not in on[s] and (s, r) not in conflicts:
                graph.add_edge(("submission", s), ("reviewer", r), capacity=1, weight=0)
    for i, r in enumerate(reviewers):
        for k in range(1, cap - load[r] + 1):
            graph.add_edge(("reviewer", r), ("load", r, k), capacity=1, weight=scale * (load[r] + k) + i)
            graph.add_edge(("load", r, k), "sink", capacity=1, weight=0)
    graph.add_nodes_from(["source", "sink"])
    return graph


def plan_assignments(*, submissions: Sequence[Hashable], reviewers: Sequence[Hashable], per_submission: int,
                     cap: int, load: Mapping[Hashable, int], assigned: Mapping[Hashable, set],
                     conflicts: set[tuple[Hashable, Hashable]]) -> Plan:
    """What to add so each submission has `per_submission` reviewers, and why any stays short."""
    load = {r: load.get(r, 0) for r in reviewers}
    on = {s: set(assigned.get(s, ())) for s in submissions}
    flow = nx.max_flow_min_cost(_network(submissions, reviewers, per_submission, cap, load, on, conflicts),
                                "source", "sink")
    plan = Plan()
    for s in submissions:
        for r in reviewers:
            if flow.get(("submission", s), {}).get(("reviewer", r), 0):
                plan.pairs.append((s, r))
                on[s].add(r)
                load[r] += 1
    for s in submissions:
        if len(on[s]) < per_submission:
            plan.short[s] = explain_shortfall(
                have=len(on[s]), per_submission=per_submission, reviewers=reviewers, on=on[s], cap=cap, load=load,
                conflicted=[r for r in reviewers if (s, r) in conflicts])
    return plan


def explain_shortfall(*, have: int, per_submission: int, reviewers: Sequence[Hashable], on: set,
                      conflicted: Sequence[Hashable], cap: int, load: Mapping[Hashable, int]) -> str:
    """Why no further reviewer can take this submission, naming each reviewer's reason. (With a maximum
    flow, every reviewer not on a short submission is conflicted with it or at the cap.)"""
    reasons = [f"it has {have} of {per_submission} reviewers"]
    if len(reviewers) < per_submission:
        reasons.append(f"the panel has only {len(reviewers)} reviewer{'s' if len(reviewers) != 1 else ''}")
    conflicted_set = set(conflicted)
    groups = [
        ("already reviewing it", [r for r in reviewers if r in on]),
        ("conflict of interest", [r for r in reviewers if r not in on and r in conflicted_set]),
        (f"at the cap of {cap}", [r for r in reviewers if r not in on and r not in conflicted_set
                                  and load.get(r, 0) >= cap]),
    ]
    reasons += [f"{why}: {', '.join(str(r) for r in who)}" for why, who in groups if who]
    return "; ".join(reasons) + "."
