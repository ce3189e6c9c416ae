"""The workflow engine: how every record type moves through its states and is edited.

One folder holds it all:

- `specs`: what a record type declares (TransitionSpec, EditPolicy, Editable);
- `checks`: conditions and permissions written once as checks that return their reason;
- `versions`: what changed since the version an editor saw, and who changed it;
- `service`: the one service for every transition and every edit (lock, permission,
  conditions, version, trail);
- `forms`, `web`, `admin` (with `admin_transitions`), `api`: the generic pieces the web
  forms, the web UI, the admin and the REST API build on.

`checks` and `specs` import no model, so the models use them; import the other modules
by their full name (`from incidents.workflow.service import transition_record`).
"""

from .checks import condition, permission, permission_problem, unmet_conditions
from .specs import Editable, EditPolicy, TransitionSpec, specs

__all__ = [
    "EditPolicy", "Editable", "TransitionSpec", "condition", "permission", "permission_problem", "specs",
    "unmet_conditions",
]
