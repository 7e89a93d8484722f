"""Importers: read a file of recommendations as an outside source publishes it and bring the
database in step with it through the recommendation services.

Every importer follows the same rules (see `base`): one transaction per file, nothing written when
any row is wrong (and every wrong row reported), re-importing the same file changes nothing, and
each record is recognised across imports by its natural key.
"""

from .base import ImporterError, ImportSummary
from .upr_info import import_upr_info

__all__ = ["ImportSummary", "ImporterError", "import_upr_info"]
