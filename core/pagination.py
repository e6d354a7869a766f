"""The API's page numbers (REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"]): DRF's, except that
`?page=` given empty or more than once is a 404 like any other page that is not a number,
as the schema says (`page` is an integer), rather than silently the first or the last."""

from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        return values[0] if len(values) == 1 else ""  # "" is no page: 404
