"""advokit: customer-advocacy analytics on a laptop, a warehouse or Spark."""

from ._version import __version__
from .errors import AdvokitError, DataError, InputError
from .workspace import CORE_KPIS, Workspace

__all__ = ["AdvokitError", "CORE_KPIS", "DataError", "InputError", "Workspace", "__version__"]
