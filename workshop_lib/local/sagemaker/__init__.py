"""The local SageMaker: endpoints deploy their real model artifact when created or updated, and InvokeEndpoint runs
it as the scikit-learn container does (``control_plane.py``: CreateEndpoint / UpdateEndpoint / DescribeEndpoint /
ListEndpoints / DeleteEndpoint; ``endpoint_states.py``: Creating / Updating / Deleting, timed by the timing model;
``models.py``: deploying a model; ``responses.py``: InvokeEndpoint on the wire; ``exceptions.py``: the errors and
FailureReasons; ``role_check.py``: a new execution role refused while it propagates). The container's own behaviour
is in workshop_lib/model/container/."""
