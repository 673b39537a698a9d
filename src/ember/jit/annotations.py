"""torch.jit.annotations: the typing names TorchScript code imports from it."""

from typing import Any, Dict, List, Optional, Tuple, Union  # noqa: UP035 (torch's names)

from . import Future

__all__ = ["Any", "Dict", "Future", "List", "Optional", "Tuple", "Union"]
