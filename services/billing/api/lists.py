"""The billing lists' sorting, counting and exports: the one convention of every service's
lists (``shared.lists``)."""

from shared.lists import ListDep, ListQuery, each, sorted_list

__all__ = ["ListDep", "ListQuery", "each", "sorted_list"]
