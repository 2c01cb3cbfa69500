"""convzoo.report: the tour, the seed regenerated as an HTML report (``convzoo tour``)."""

from .tour import build_tour, section_builders

__all__ = ["build_tour", "section_builders"]
