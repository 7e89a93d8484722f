"""One way to page a list in API v1: the shape of schemas.PageMeta, two queries (count and slice)
plus the caller's prefetches. Past the last page is 404 rather than an empty page, so a client
that computed a page number learns it is wrong; page 1 of an empty list is an empty page."""

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest


class PageNotFound(Exception):
    def __init__(self, page: int, pages: int):
        super().__init__(page, pages)
        self.page, self.pages = page, pages


def paginate(
    request: HttpRequest, queryset: QuerySet, page: int, page_size: int, *, paginator: Paginator | None = None
) -> dict:
    """A page in the shape of schemas.PageMeta: two queries (count, slice) plus the prefetches.
    Past the last page is 404 rather than an empty page, so a client that computed a page number
    learns it is wrong; page 1 of an empty list is an empty page. `paginator` replaces Django's
    (e.g. one that knows the count already)."""
    paginator = paginator or Paginator(queryset, page_size)
    if page > paginator.num_pages:
        raise PageNotFound(page, paginator.num_pages)

    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": paginator.count,
        "page": page,
        "page_size": page_size,
        "pages": paginator.num_pages,
        "next": link(page + 1) if page < paginator.num_pages else None,
        "previous": link(page - 1) if page > 1 else None,
        "results": list(paginator.page(page).object_list),
    }
