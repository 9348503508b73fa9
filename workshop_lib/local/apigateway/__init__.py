"""The local API Gateway (REST APIs): stages served as deployed, with Lambda proxy integrations.

- ``responses.py``: the service on the wire (stage requests, and the control-plane calls it completes);
- ``control_plane.py``: deployments frozen as they are made, and the binaryMediaTypes moto drops;
- ``models.py``: what a deployment froze, and routing; ``events.py``: the v1 proxy event;
- ``proxy.py``: the function's proxy response to HTTP; ``exceptions.py``: what a stage answers itself.
"""
