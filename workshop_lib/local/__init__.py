"""The local cloud: everything that exists only because there is no AWS account here.

One process on 127.0.0.1: moto's server for the control planes, DynamoDB, S3, IAM, STS, Logs and
CloudWatch, behind an edge router that sends Lambda Invoke, SageMaker InvokeEndpoint and API
Gateway stage requests to the kit's own data planes.
"""
