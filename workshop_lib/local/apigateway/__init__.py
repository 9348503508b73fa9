"""The local API Gateway (REST APIs): stages served as deployed, with Lambda proxy integrations.

- ``service.py``: the stage requests and the service's entry point; ``control_plane.py``: deployments frozen as
  they are made, and the binaryMediaTypes moto drops;
- ``models.py``: what a deployment froze, and routing; ``events.py``: the v1 proxy event;
- ``responses.py``: the proxy response to HTTP; ``exceptions.py``: what a stage answers itself.
"""
