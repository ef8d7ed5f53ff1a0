"""lrtui: a keyboard-first terminal app for Microsoft Defender for Endpoint live response.

Nothing heavy is imported here: the package must stay cheap to import (startup budget).
"""

__version__ = "0.1.0"
__all__ = ["__version__"]
