"""IAM in the local cloud: the guard that enforces identity-based policies on every signed call
(``enforcement.py``, with ``actions.py`` naming what a call needs), SimulatePrincipalPolicy (``simulation.py``),
and IAM's refusals in each service's shape (``exceptions.py``). Both decide with ``core/policy.py``."""
