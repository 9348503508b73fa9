"""The local cloud's core: the HTTP server, the router and its guard chain, the wiring of services, cloud-wide
settings, the moto seam, the policy engine, AWS error rendering, and the process lifecycle (state file, command
line). Core imports no service package except in ``wiring.py``, where the cloud is built."""
