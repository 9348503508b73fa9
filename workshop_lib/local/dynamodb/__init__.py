"""DynamoDB in the local cloud: moto answers it; with the timing model on (``core/timing.py``) the kit adds AWS's
timing: global secondary indexes that catch up a moment after a write (``indexes.py``) and tables that stay
DELETING for seconds after DeleteTable (``tables.py``), both through ``responses.py``."""
