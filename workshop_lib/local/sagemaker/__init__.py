"""The local SageMaker runtime: InvokeEndpoint runs the endpoint's real model artifact, as the scikit-learn
container does (``responses.py``: the API on the wire; ``models.py``: loading a model; ``container.py``: one
request through the script; ``exceptions.py``: the runtime's errors)."""
