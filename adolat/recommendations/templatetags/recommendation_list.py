"""The rows of the list of recommendations and the values of its facets, rendered in Python.

A list page shows up to 100 rows, and Django's template engine spent about 230 µs on each (23 ms of
a 48 ms page at the largest size, at issue #5's scale): every `{{ }}` is a chain of lookups, every
`{% if %}` and `{% url %}` a node, and `get_FOO_display` rebuilds the field's choices each time.
Built here from escaped strings, a row costs a fraction of that. The markup is the one
recommendations/list.html had; the page's other parts stay in the template. The same holds for
the values of the facets (up to 15 each, some 60 a page)."""

import functools
import html

from django import template
from django.template.defaultfilters import urlencode
from django.urls import reverse
from django.utils import numberformat
from django.utils.formats import get_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext

from adolat.recommendations.models import Position, Status

register = template.Library()

# A row shows the beginning of the text; the rest is on the recommendation's page.
TEXT_CHARS = 420


def escape(value) -> str:
    """django.utils.html.escape's text (the same five characters), without its lazy-string wrapper
    and its SafeString: several hundred values a page."""
    return html.escape(str(value))


def _number_format():
    """django.utils.formats.localize for integers, its format settings looked up once."""
    language = get_language()
    return functools.partial(
        numberformat.format,
        decimal_sep=get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
        grouping=get_format("NUMBER_GROUPING", language, use_l10n=True),
        thousand_sep=get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
        use_l10n=True,
    )


def _beginning(text: str) -> str:
    # Truncator counts combining marks as taking no room: a text of at most TEXT_CHARS code points
    # is never cut, and most are shorter (Truncator walks each character).
    return text if len(text) <= TEXT_CHARS else Truncator(text).chars(TEXT_CHARS)


class _Words:
    """What every row says the same way, translated once per list."""

    def __init__(self):
        self.para = escape(gettext("para."))
        self.not_published = escape(gettext("not published"))
        self.not_translated = escape(gettext("Not yet translated into your language"))
        self.recommended_by = escape(gettext("Recommended by"))
        self.positions = {v: escape(label) for v, label in Position.choices}
        self.statuses = {v: escape(label) for v, label in Status.choices}


def _row(rec, back: str, w: _Words) -> str:
    """One row; every value escaped."""
    ref = [escape(rec.mechanism.code)]
    if rec.document:
        ref.append(escape(rec.document.symbol or rec.document.session))
    if rec.paragraph:
        ref.append(f"{w.para} {escape(rec.paragraph)}")
    if rec.year:
        ref.append(escape(rec.year))
    meta = [f'<span class="ref">{" · ".join(ref)}</span>']
    position, status = escape(rec.position), escape(rec.status)
    if rec.position != "not_applicable":
        meta.append(f'<span class="badge pos-{position}">{w.positions.get(rec.position, position)}</span>')
    meta.append(f'<span class="badge st-{status}">{w.statuses.get(rec.status, status)}</span>')
    if not rec.is_published:
        meta.append(f'<span class="badge draft">{w.not_published}</span>')
    text = rec.text
    href = f"{escape(reverse('recommendations:detail', args=[rec.pk]))}?back={escape(back)}"
    if text.is_fallback:
        language = escape(text.language)
        link = f'<a href="{href}" lang="{language}">{escape(_beginning(text.text))}</a>'
        link += f' <span class="fallback" title="{w.not_translated}">[{language}]</span>'
    else:
        link = f'<a href="{href}">{escape(_beginning(text.text))}</a>'
    out = [f'<li class="rec">\n<p class="meta">{" ".join(meta)}</p>\n<p class="text">{link}</p>']
    states = [escape(s.name) for s in rec.listed_states]
    if states:
        out.append(f'<p class="states">{w.recommended_by}: {", ".join(states)}</p>')
    themes = [f'<span class="tag">{escape(t.name)}</span>' for t in rec.listed_themes]
    if themes:
        out.append(f'<p class="tags">{"".join(themes)}</p>')
    out.append("</li>\n")
    return "\n".join(out)


@register.simple_tag
def recommendation_rows(recs, path: str) -> SafeString:
    """The `<li>` of each recommendation in `recs` (from selectors.recommendation_list, with their
    states and themes listed); each links to its page with `path` (the list's own address) to come
    back to."""
    back, words = urlencode(path), _Words()
    return mark_safe("".join(_row(rec, back, words) for rec in recs))  # noqa: S308 — every value escaped


@register.simple_tag
def facet_options(facet) -> SafeString:
    """The `<li>` of each value of `facet`: a checkbox, the value's name and its count."""
    name, localize = escape(facet.name), _number_format()
    return mark_safe(  # noqa: S308 — every value escaped
        "".join(
            f'<li><label><input type="checkbox" name="{name}" value="{escape(o.value)}"'
            f"{' checked' if o.selected else ''}>\n"
            f'{escape(o.label)} <span class="count">{escape(localize(o.count))}</span></label></li>\n'
            for o in facet.options
        )
    )
