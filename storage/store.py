"""The store: the only package that writes SQL; it takes and returns the project's own types.

One class assembled from a mixin per concern, so each file stays small and reads on its own.
"""

from __future__ import annotations

from storage.articles import ArticlesMixin
from storage.budgets import BudgetsMixin
from storage.claims import ClaimsMixin
from storage.feeds import FeedsMixin
from storage.outbox import OutboxMixin
from storage.retention import RetentionMixin
from storage.search import SearchMixin
from storage.subscriptions import SubscriptionsMixin
from storage.summaries import SummariesMixin


class Store(FeedsMixin, ArticlesMixin, SummariesMixin, SubscriptionsMixin, OutboxMixin, ClaimsMixin,
            SearchMixin, BudgetsMixin, RetentionMixin):
    """One SQLite file (or ':memory:'), WAL mode, migrated on open."""
