"""{% review_cases review as cases %}: input (e)'s figures of requests and complaints for the
review's page (audits.review_cases.readable_cases): the snapshot's once submitted, the
records' while a draft (a constant number of queries), None for an old snapshot."""

from __future__ import annotations

from django import template

from ..review_cases import case_inputs, readable_cases

register = template.Library()


@register.simple_tag
def review_cases(review) -> dict | None:
    return readable_cases(case_inputs(review))
