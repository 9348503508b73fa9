"""The local Lambda service: Invoke on worker processes (no Docker), what moto's control plane lacks, the
function resource-policy check, the Runtime API, the runtime client, and the functions' CloudWatch logs.

- ``responses.py``: the Invoke API on the wire; ``control_plane.py``: GetFunction's downloadable Code.Location;
- ``invoke.py``: the data plane (the Invoke API's checks, then a run; ``may_invoke`` for API Gateway);
- ``pool.py``, ``worker.py``, ``environment.py``: worker processes; ``runtime_api.py``: their Runtime API;
- ``runtime_client/``: the kit's portable runtime client (run by path inside a worker, standard library only);
- ``logs.py``: START/END/REPORT lines and the workers' output as CloudWatch Logs events;
- ``models.py``, ``exceptions.py``: what it works with, and the Lambda API's errors.
"""
