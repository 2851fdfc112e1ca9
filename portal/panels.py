"""Sections that other apps add to the submission page, so the portal imports none of those apps.

An app registers a function in its AppConfig.ready(); the page calls each in order and shows what
it returns (HTML from a template, or None to show nothing):

    panels.register(evaluation_panel, order=10)   # def evaluation_panel(request, submission) -> str | None
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from .models import Submission

PanelRenderer = Callable[[HttpRequest, Submission], "str | None"]

_panels: list[tuple[int, PanelRenderer]] = []


def register(renderer: PanelRenderer, *, order: int) -> None:
    if all(existing is not renderer for _, existing in _panels):
        _panels.append((order, renderer))
        _panels.sort(key=lambda item: item[0])


def render_all(*, request: HttpRequest, submission: Submission) -> list[str]:
    """The HTML of every registered panel that has something to show, in order."""
    rendered = (renderer(request, submission) for _, renderer in _panels)
    return [html for html in rendered if html]
