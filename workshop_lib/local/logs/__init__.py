"""CloudWatch Logs in the local cloud: moto answers it; the kit adds AWS's rate limit on FilterLogEvents (timing
model). Lambda's log delivery delay lives where Lambda writes its logs (``awslambda/logs.py``)."""
