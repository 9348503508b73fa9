"""The inference Lambda as section 7 of the workshop leaves it: API Gateway -> Lambda -> SageMaker.

It calls the model endpoint and returns the prediction, and records nothing. Section 8.2 replaces
it with ../lambda_function.py, which also writes every prediction's metadata to DynamoDB.
"""

import json
import os

import boto3

sagemaker = boto3.client("sagemaker-runtime")


def lambda_handler(event, context):
    body = event.get("body")
    body = json.loads(body) if isinstance(body, str) else (body or event)
    response = sagemaker.invoke_endpoint(
        EndpointName=os.environ["ENDPOINT_NAME"],
        ContentType="application/json",
        Body=json.dumps(body["input"]),
    )
    prediction = json.loads(response["Body"].read())
    return {"statusCode": 200, "body": json.dumps({"prediction": prediction})}
