"""The scikit-learn image's ``serve`` command for one model, as the conformance suite's oracle runs it.

Run with the oracle's Python (3.9, the image's packages) by tests/local_cloud/sagemaker/test_container_conformance.py,
never by the kit. The fixture sets what SageMaker and the image set: ``SAGEMAKER_BASE_DIR`` (the container's
/opt/ml, with the artifact already extracted into model/), the model's Environment (``SAGEMAKER_PROGRAM``,
``SAGEMAKER_SUBMIT_DIRECTORY`` moved under SAGEMAKER_BASE_DIR), ``SAGEMAKER_USE_NGINX=false``,
``SAGEMAKER_BIND_TO_PORT`` and ``SAGEMAKER_SERVING_MODULE=sklearn_serving:main`` (the image sets
``sagemaker_sklearn_container.serving:main``; ``sklearn_serving.py`` beside this file is the driver's own
account of it).

What runs is sagemaker-containers' own server start: it copies the submit directory to code/, writes a setup.py,
pip-installs it (with code/requirements.txt), imports the script, and runs gunicorn (gevent workers, one per CPU unless
SAGEMAKER_MODEL_SERVER_WORKERS says otherwise) on the serving module. Without nginx gunicorn listens on the port itself.
The one change: gunicorn is bound to ORACLE_BIND_HOST (127.0.0.1) where the image binds 0.0.0.0, so the oracle is
reachable from this machine only.
"""

import logging
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # gunicorn's --pythonpath is this sys.path

from sagemaker_containers.beta.framework import env, server

_popen = subprocess.Popen


def _gunicorn_on_loopback(args, *rest, **kwargs):
    """subprocess.Popen, with gunicorn's ``-b 0.0.0.0:PORT`` replaced by ORACLE_BIND_HOST's address."""
    host = os.environ.get("ORACLE_BIND_HOST")
    if host and isinstance(args, list) and args and args[0] == "gunicorn" and "-b" in args:
        at = args.index("-b") + 1
        args = [*args[:at], host + ":" + args[at].rsplit(":", 1)[-1], *args[at + 1 :]]
    return _popen(args, *rest, **kwargs)


subprocess.Popen = _gunicorn_on_loopback
logging.basicConfig(format="%(asctime)s %(levelname)s - %(name)s - %(message)s", level=logging.INFO)

if __name__ == "__main__":
    server.start(env.ServingEnv().framework_module)
