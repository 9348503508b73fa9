# ruff: noqa
# The seed's lambda_function.py, kept verbatim as the baseline of bench/handler_cost.py.
# Source: workshop "Building an End-to-End Machine Learning Pipeline on AWS", section 8.2
# "Cập nhật Lambda để ghi dữ liệu vào DynamoDB" (../shared/seed/000_0a3e2a5e408c24f6.vi.md);
# the code is the seed authors', with its Vietnamese comments. Not used by the kit: see lambda_function.py.
import json
import boto3
import os
import time
import uuid
from datetime import datetime

sagemaker = boto3.client('sagemaker-runtime')
dynamodb = boto3.client('dynamodb')

ENDPOINT_NAME = os.environ['ENDPOINT_NAME']
TABLE_NAME = os.environ['DYNAMODB_TABLE']

def lambda_handler(event, context):
    # Parse input từ API Gateway
    body = json.loads(event['body'])
    input_data = body['input']

    # Gọi SageMaker endpoint
    start_time = time.time()
    response = sagemaker.invoke_endpoint(
        EndpointName=ENDPOINT_NAME,
        ContentType='application/json',
        Body=json.dumps(input_data)
    )
    prediction = json.loads(response['Body'].read())
    latency_ms = int((time.time() - start_time) * 1000)

    # Ghi metadata vào DynamoDB
    request_id = str(uuid.uuid4())
    timestamp = datetime.utcnow().isoformat()

    dynamodb.put_item(
        TableName=TABLE_NAME,
        Item={
            'requestId': {'S': request_id},
            'timestamp': {'S': timestamp},
            'modelName': {'S': ENDPOINT_NAME},
            'inputData': {'S': json.dumps(input_data)},
            'prediction': {'S': json.dumps(prediction)},
            'latencyMs': {'N': str(latency_ms)}
        }
    )

    # Trả về kết quả inference
    return {
        'statusCode': 200,
        'body': json.dumps({
            'requestId': request_id,
            'prediction': prediction,
            'latencyMs': latency_ms
        })
    }
