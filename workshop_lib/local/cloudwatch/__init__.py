"""CloudWatch in the local cloud: moto answers the API; the kit adds metrics from logs and services, alarm
evaluation and DescribeAlarmHistory (``responses.py``)."""
