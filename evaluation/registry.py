"""Model series files (YAML) as organizers write them: checked whole, then registered in place.

    series:
      - name: demo
        visibility: public          # or private
        x_axis: params              # or flops
        partner: Acme Labs          # optional: a partner scores this series over its API (created if new)
        models:
          - name: smollm2-135m
            spec: "pretrained:smollm2-135m"   # exactly what evaluate_submission --model accepts
            params: 135000000
            flops: null
            queue: cpu

`parse_series_file` turns the text into `SeriesEntry` values or raises `SeriesFileError` listing
every problem with its place in the file; `register` writes them (services.register_series).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import yaml

from .models import ModelSeries

SERIES_KEYS = {"name", "visibility", "x_axis", "models", "enabled", "partner"}
MODEL_KEYS = {"name", "spec", "params", "flops", "queue", "enabled"}


@dataclass(frozen=True)
class ModelEntry:
    name: str
    spec: str
    params: int | None
    flops: float | None
    queue: str
    enabled: bool = True


@dataclass(frozen=True)
class SeriesEntry:
    name: str
    visibility: str
    x_axis: str
    models: tuple[ModelEntry, ...]
    enabled: bool = True
    partner: str | None = None  # the partner that scores it over its API; None: the Celery workers


class SeriesFileError(Exception):
    """The file cannot be registered; `problems` says where and what to fix, one line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def text(self, where: str, mapping: dict, key: str, *, choices: tuple[str, ...] | None = None,
             default: str | None = None) -> str:
        value = mapping.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.problems.append(f"{where}: '{key}' must be a non-empty string.")
            return ""
        if choices and value not in choices:
            self.problems.append(f"{where}: '{key}' is {value!r}; use one of {', '.join(choices)}.")
        return value.strip()

    def number(self, where: str, mapping: dict, key: str, kind: type) -> Any:
        value = mapping.get(key)
        if value is None:
            return None
        if isinstance(value, str):  # YAML 1.1 reads 1.5e21 (no sign in the exponent) as a string
            with contextlib.suppress(ValueError):
                value = float(value.replace("_", ""))
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            self.problems.append(f"{where}: '{key}' is {value!r}; give a positive number or null.")
            return None
        if kind is int and float(value) != int(value):
            self.problems.append(f"{where}: '{key}' is {value!r}; a parameter count is a whole number.")
            return None
        return kind(value)

    def flag(self, where: str, mapping: dict, key: str) -> bool:
        value = mapping.get(key, True)
        if not isinstance(value, bool):
            self.problems.append(f"{where}: '{key}' is {value!r}; write true or false.")
            return True
        return value

    def keys(self, where: str, mapping: dict, allowed: set[str]) -> None:
        unknown = sorted(set(mapping) - allowed)
        if unknown:
            self.problems.append(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}.")


def _model(check: _Checker, where: str, raw: Any, x_axis: str) -> ModelEntry | None:
    if not isinstance(raw, dict):
        check.problems.append(f"{where}: a model is a mapping with name, spec, params, flops and queue.")
        return None
    check.keys(where, raw, MODEL_KEYS)
    entry = ModelEntry(name=check.text(where, raw, "name"), spec=check.text(where, raw, "spec"),
                       params=check.number(where, raw, "params", int), flops=check.number(where, raw, "flops", float),
                       queue=check.text(where, raw, "queue", default="cpu"), enabled=check.flag(where, raw, "enabled"))
    size = entry.flops if x_axis == ModelSeries.FLOPS else entry.params
    if size is None and x_axis:
        check.problems.append(f"{where}: the series is plotted by {x_axis}, so give this model's '{x_axis}'.")
    return entry


def _series(check: _Checker, where: str, raw: Any) -> SeriesEntry | None:
    if not isinstance(raw, dict):
        check.problems.append(f"{where}: a series is a mapping with name, visibility, x_axis and models.")
        return None
    check.keys(where, raw, SERIES_KEYS)
    name = check.text(where, raw, "name")
    visibility = check.text(where, raw, "visibility", choices=(ModelSeries.PUBLIC, ModelSeries.PRIVATE))
    x_axis = check.text(where, raw, "x_axis", choices=(ModelSeries.PARAMS, ModelSeries.FLOPS), default="params")
    partner = check.text(where, raw, "partner") if raw.get("partner") is not None else None
    raw_models = raw.get("models")
    if not isinstance(raw_models, list) or not raw_models:
        check.problems.append(f"{where}: 'models' must be a list of at least one model.")
        raw_models = []
    models = [_model(check, f"{where}.models[{i}]", m, x_axis) for i, m in enumerate(raw_models)]
    return SeriesEntry(name=name, visibility=visibility, x_axis=x_axis, enabled=check.flag(where, raw, "enabled"),
                       models=tuple(m for m in models if m is not None), partner=partner)


def _unique(check: _Checker, what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            check.problems.append(f"The {what} name {name!r} appears twice; names must be unique.")
        seen.add(name)


def parse_series_file(text: str) -> list[SeriesEntry]:
    """Every series of the file, or SeriesFileError with every problem found."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise SeriesFileError([f"{where}the file is not valid YAML ({getattr(exc, 'problem', exc)})."]) from None
    if not isinstance(document, dict) or not isinstance(document.get("series"), list):
        raise SeriesFileError(["The file must have a top-level 'series:' list."])
    check = _Checker()
    entries = [_series(check, f"series[{i}]", raw) for i, raw in enumerate(document["series"])]
    entries = [e for e in entries if e is not None]
    _unique(check, "series", [e.name for e in entries])
    _unique(check, "model", [m.name for e in entries for m in e.models])
    if check.problems:
        raise SeriesFileError(check.problems)
    return entries
