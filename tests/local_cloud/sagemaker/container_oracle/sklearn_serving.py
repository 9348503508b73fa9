"""The scikit-learn image's serving module (``SAGEMAKER_SERVING_MODULE``), for the conformance suite's oracle.

This is the driver's own account of what sagemaker_sklearn_container.serving (branch 1.2-1 of
aws/sagemaker-scikit-learn-container) does on top of sagemaker-containers, written from reading it: on the first
request a gunicorn worker gets (SageMaker's first /ping), import the user's script as the top-level module named by
SAGEMAKER_PROGRAM (installing it if the import fails), take its model_fn / input_fn / predict_fn / output_fn or
transform_fn, fill the missing ones with the image's scikit-learn defaults, call model_fn(model_dir), and serve
/ping and /invocations with sagemaker-containers' Flask worker. Until that succeeds every request, /ping included,
raises, and gunicorn answers 500. Runs under Python 3.9.
"""

import importlib

import numpy as np
from sagemaker_containers.beta.framework import content_types, encoders, env, modules, transformer, worker


def _sklearn_input_fn(input_data, content_type):
    """The image's default: decode JSON, CSV or NPY to an array; text types as float32."""
    array = encoders.decode(input_data, content_type)
    if content_type in content_types.UTF8_TYPES:
        return array.astype(np.float32)
    return array


def _sklearn_predict_fn(input_data, model):
    return model.predict(input_data)


def _sklearn_output_fn(prediction, accept):
    return worker.Response(encoders.encode(prediction, accept), mimetype=accept)


def _transformer_for(module):
    found = {name: getattr(module, name, None) for name in ("input_fn", "predict_fn", "output_fn", "transform_fn")}
    model_fn = getattr(module, "model_fn", None) or transformer.default_model_fn
    if found["transform_fn"] is not None:
        if found["input_fn"] or found["predict_fn"] or found["output_fn"]:
            raise ValueError("Cannot use transform_fn implementation with input_fn, predict_fn, and/or output_fn")
        return transformer.Transformer(model_fn=model_fn, transform_fn=found["transform_fn"])
    return transformer.Transformer(
        model_fn=model_fn,
        input_fn=found["input_fn"] or _sklearn_input_fn,
        predict_fn=found["predict_fn"] or _sklearn_predict_fn,
        output_fn=found["output_fn"] or _sklearn_output_fn,
    )


def _build_app():
    serving_env = env.ServingEnv()
    name = serving_env.module_name
    try:
        module = importlib.import_module(name)
    except ImportError:
        module = modules.import_module(serving_env.module_dir, name)
    model_transformer = _transformer_for(module)
    model_transformer.initialize()  # model_fn(model_dir), once in each gunicorn worker
    return worker.Worker(
        transform_fn=model_transformer.transform,
        module_name=name,
        execution_parameters_fn=getattr(module, "execution_parameters_fn", None),
    )


_app = None


def main(environ, start_response):
    """The WSGI application gunicorn serves."""
    global _app
    if _app is None:
        _app = _build_app()
    return _app(environ, start_response)
