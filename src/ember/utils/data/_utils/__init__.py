"""torch.utils.data._utils's place: `collate` (default_collate's table-driven collation, the
module torch's docs name for customising it) and `worker` (get_worker_info)."""

from .. import worker
from . import collate

__all__ = ["collate", "worker"]
