"""Server-side pagination shared by pages: page number and page size from the query string,
clamped rather than failing, and a short window of page links for the template."""

from django.conf import settings
from django.core.paginator import Page, Paginator


def page_size_from(params, default: int | None = None) -> int:
    sizes = settings.ADOLAT_PAGE_SIZES
    try:
        size = int(params.get("size") or (default or sizes[0]))
    except ValueError:
        size = sizes[0]
    return size if size in sizes else sizes[0]


def paginate(queryset, params, *, per_page: int) -> Page:
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(params.get("page"))


def page_window(page: Page, radius: int = 2) -> list[int | None]:
    """Page numbers to link, with None where a gap is shown: 1 … 4 5 [6] 7 8 … 20."""
    last = page.paginator.num_pages
    numbers = {1, last, *range(max(1, page.number - radius), min(last, page.number + radius) + 1)}
    out: list[int | None] = []
    previous = 0
    for n in sorted(numbers):
        if n - previous > 1:
            out.append(None)
        out.append(n)
        previous = n
    return out
