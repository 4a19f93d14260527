"""advokit: customer-advocacy analytics on a laptop, a warehouse or Spark."""

from .errors import AdvokitError, DataError, InputError
from .workspace import CORE_KPIS, Workspace

__version__ = "0.1.0"
__all__ = ["AdvokitError", "CORE_KPIS", "DataError", "InputError", "Workspace", "__version__"]
