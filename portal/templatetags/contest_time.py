from django import template

from portal.deadlines import format_aoe

register = template.Library()


@register.filter
def aoe(moment):
    """Show a stored UTC time Anywhere on Earth, e.g. '2022-08-27 23:59 AoE'."""
    return format_aoe(moment)
