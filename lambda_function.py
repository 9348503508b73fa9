"""Section 8.2's inference Lambda: call the SageMaker endpoint, answer, and write the inference to DynamoDB.

The workshop's flow: parse the body, invoke the endpoint, build the item, put_item, return the response.
What keeps it safe (request checks, error answers, size limits, log and metric lines, the clients'
timeouts) is in inference_support.py, deployed beside this file. The contract: docs/lambda-function.md.
"""

import json
import time
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from inference_support import (
    Refusal,
    RequestLog,
    client,
    endpoint_failure,
    fit_texts,
    item_details,
    json_text,
    put_outcome,
    read_config,
    request_body,
    respond,
)


def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
    log = RequestLog(event, context)  # requestId: API Gateway's (else Lambda's), so a row joins its log lines
    try:
        return handle(event, log)
    except Exception as exc:  # the last guard: a bug still gets a JSON 500, and is logged
        return log.unexpected_error(exc)


def handle(event: Any, log: RequestLog) -> dict[str, Any]:
    # Parse the input. A bad request (400, 405) or a missing variable (500) stops here: nothing is called or stored.
    try:
        endpoint_name, table_name, ttl_days = read_config()  # ENDPOINT_NAME, DYNAMODB_TABLE, RECORD_TTL_DAYS
        body = request_body(event)  # API Gateway's body, or the event itself from the console's test button
        input_data = body["input"]
        input_text = json_text(input_data)
    except Refusal as refusal:
        return log.refused(refusal)

    # Call the SageMaker endpoint; the latency is measured with a monotonic clock.
    failure = None
    start_time = time.perf_counter()
    try:
        response = client("sagemaker-runtime").invoke_endpoint(
            EndpointName=endpoint_name, ContentType="application/json", Accept="application/json", Body=input_text
        )
        prediction = json.loads(response["Body"].read())
    except Exception as exc:  # an AWS error, a timeout, an answer that is not JSON: answered 502 or 503 below
        prediction, failure = None, endpoint_failure(endpoint_name, exc)
    latency_ms = round((time.perf_counter() - start_time) * 1000)
    log.note(inputBytes=len(input_text), latencyMs=latency_ms)

    # Write the metadata to DynamoDB: the seed's six attributes, then the kit's (status, sizes, error, TTL).
    prediction_text = json.dumps(prediction)
    input_kept, prediction_kept = fit_texts(input_text, prediction_text)  # 100 KB at most, cut texts flagged
    item = {
        "requestId": {"S": log.request_id},
        "timestamp": {"S": log.timestamp},  # arrival, UTC ISO-8601 with milliseconds and Z
        "modelName": {"S": endpoint_name},
        "inputData": {"S": input_kept},
        "prediction": {"S": prediction_kept},
        "latencyMs": {"N": str(latency_ms)},
    }
    item |= item_details(item, input_text, prediction_text, failure, ttl_days, log)
    try:
        client("dynamodb").put_item(
            TableName=table_name,
            Item=item,
            ConditionExpression="attribute_not_exists(requestId)",  # never overwrite an existing item
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        recorded, record_error = "written", None
    except (ClientError, BotoCoreError) as exc:  # not written: the answer is still sent, the item logged
        recorded, record_error = put_outcome(exc, item)
    log.inference(failure, recorded, record_error, table_name, item)  # log and metric lines, with an unwritten item

    # Return the inference result.
    if failure:
        return failure.response(log.request_id)
    return respond(200, {"requestId": log.request_id, "prediction": prediction, "latencyMs": latency_ms})
