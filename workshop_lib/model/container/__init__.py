"""AWS's SageMaker scikit-learn container (image 1.2-1) serving a model.tar.gz, reproduced in this Python.

What the image does, read from its public code (aws/sagemaker-scikit-learn-container, branch 1.2-1, on
sagemaker-containers 2.8.6.post2) and checked against it by tests/local_cloud/sagemaker/test_container_conformance.py:

1. SageMaker extracts model.tar.gz into /opt/ml/model when the endpoint is created or updated (``layout.py``).
2. The server copies ``SAGEMAKER_SUBMIT_DIRECTORY`` (default /opt/ml/code) to /opt/ml/code, pip-installs it with its
   requirements.txt, and imports the script named by ``SAGEMAKER_PROGRAM`` as a top-level module (``script.py``).
3. Each gunicorn worker, at its first request (SageMaker's first /ping), takes the script's ``model_fn``,
   ``input_fn``, ``predict_fn`` and ``output_fn`` (or ``transform_fn``), the image's defaults for the missing ones
   (``defaults.py``), and calls ``model_fn("/opt/ml/model")``. If that fails, /ping answers 500 (if the import
   failed, the server exits), and CreateEndpoint / UpdateEndpoint fail the health check.
4. Each /invocations request: ``input_fn(body, content_type)`` -> ``predict_fn`` -> ``output_fn(prediction,
   accept)``, and what its Flask 1.1.1 / Werkzeug 2.0.3 worker makes of the result (``responses.py``).

Used by the local cloud's SageMaker runtime (workshop_lib/local/sagemaker/) and by ``check_artifact``; both run
the script in this Python, where the container has Python 3.9, numpy 1.24.1 and scikit-learn 1.2.1. Where this
deliberately differs from the container (one process, nothing pip-installed), ``script.py`` says so.
"""

from .layout import ArtifactError, extract_artifact, unmet_requirements
from .responses import Outcome, invoke
from .script import LoadedScript, ScriptError, load_script

__all__ = [
    "ArtifactError",
    "LoadedScript",
    "Outcome",
    "ScriptError",
    "extract_artifact",
    "invoke",
    "load_script",
    "unmet_requirements",
]
