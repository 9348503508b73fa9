"""Write notebooks/*.ipynb from the cell sources below (outputs never committed).

    .venv/bin/python tools/build_notebooks.py

The notebooks are the product; this script keeps their structure uniform (title and goal,
a tagged parameters cell, steps that end with a visible check). Edit here, then rebuild.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

PARAMETERS = '''\
target: str = "local"  # "local": the kit's local cloud (no account needed); "aws": the account in your environment
region: str = "us-east-1"  # AWS region
prefix: str = ""  # participant prefix, e.g. "alice", when several people share one account
endpoint: str = ""  # an existing SageMaker endpoint to use (yours from section 6); "" deploys the kit's model'''

CONNECT = '''\
import workshop_lib as wl

conn = wl.connect(target, region, prefix, endpoint=endpoint)
conn.describe()'''

PREREQUISITES = """\
# What this notebook needs from the earlier ones. When something is missing, the table names the notebook
# that makes it, and the line to run that builds it all with those notebooks' own steps.
wl.check_prerequisites("{short}")"""


def md(text: str) -> dict:
    return new_markdown_cell(text.strip())


def code(text: str, *tags: str) -> dict:
    cell = new_code_cell(text.strip())
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def notebook(title: str, goal: str, *cells: dict) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    nb.cells = [md(f"# {title}\n\n{goal.strip()}"), code(PARAMETERS, "parameters"), code(CONNECT), *cells]
    return nb


SETUP = notebook(
    "00 · Setup: where the workshop runs",
    """
**Goal:** connect to the target (the local cloud by default, or a real AWS account), see which
identity and region you use, and the names of everything the workshop will create.

Every later notebook starts with the same three parameters. Run them all with the same values.
""",
    md("""
## What the local cloud is

With `target = "local"` the kit starts one process on this machine (127.0.0.1 only) that answers
the AWS APIs: moto for DynamoDB, S3, IAM, STS, CloudWatch Logs and the control planes, and the
kit's own data planes for what moto does not run without Docker: Lambda invocations (your deployed
zip runs in a worker process with the role's temporary credentials), the SageMaker endpoint (a real
model from the endpoint's artifact) and API Gateway stage URLs. IAM policies are enforced for every
identity except the admin you use here, so a missing permission fails as it does on AWS.

With `target = "aws"` the same cells make the same boto3 calls against your account.
"""),
    code("""
identity = conn.describe()
wl.check(conn.account_id and conn.identity_arn,
         f"connected to {identity['target']} as {identity['identity']} in {identity['region']}")
wl.record("account", conn.account_id)
"""),
    md("## The names the workshop uses\n\nThe seed's names, with your prefix when you set one."),
    code("""
names = conn.resource_names()
names
"""),
    code("""
wl.check(names["table"].endswith("InferenceMetadata") and names["function"].endswith("ml-inference-lambda"),
         "the table and function names are the workshop's")
"""),
    md("""
## Using a terminal too

The AWS CLI (or any SDK) reaches the same target with these standard variables
(`python -m workshop_lib env` prints them for a shell):
"""),
    code("""
conn.environment()
"""),
)

MODEL = notebook(
    "06 · The model endpoint (section 6, done for you)",
    """
**Goal:** have a SageMaker real-time endpoint that answers `{"text": "Hello AI!"}` with a real
prediction. Section 6 of the workshop builds it; here the kit trains a small sentiment model,
packages it as a SageMaker scikit-learn artifact, and deploys model → endpoint config → endpoint.
""",
    md("## Train the model\n\nA scikit-learn pipeline trained on the labelled corpus in `data/`; the held-out split measures it."),
    code("""
import pandas as pd

report = wl.train_model()
print(f"held-out accuracy: {report.accuracy:.3f} on {report.n_test} texts (trained on {report.n_train})")
pd.DataFrame(report.confusion, index=pd.Index(report.labels, name="true"),
             columns=pd.Index(report.labels, name="predicted"))
"""),
    code("""
wl.check(report.accuracy >= 0.85, f"held-out accuracy {report.accuracy:.3f} >= 0.85")
wl.record("model_accuracy", report.accuracy)
"""),
    md("""
## Deploy the endpoint

The artifact goes to the kit's S3 bucket; then model, endpoint config, endpoint, and a wait for
`InService`. If you built your own endpoint in section 6, set `endpoint` in the parameters cell: it is
used as it is (it must be `InService`), and the kit deploys nothing.
"""),
    code("""
serving = wl.use_existing_endpoint(endpoint) if endpoint else wl.deploy_endpoint()
serving
"""),
    code("""
wl.check(serving.in_service and serving.name == conn.names.endpoint,
         f"endpoint {serving.name} is InService, serving {serving.model_data_url}")
"""),
    md("## Ask it something\n\nThe same `InvokeEndpoint` call the Lambda will make."),
    code("""
answer = wl.invoke_endpoint({"text": "Hello AI!"})
answer
"""),
    code("""
if endpoint:  # your own model: any JSON answer will do
    wl.check(answer is not None, f"your endpoint answers {answer}")
else:
    wl.check(answer.get("result") in report.labels and 0 <= answer.get("score", -1) <= 1,
             f"the endpoint answers {answer}")
"""),
)

LAMBDA_V1 = notebook(
    "07 · The inference Lambda and its API (section 7, done for you)",
    """
**Goal:** the pipeline as section 7 leaves it: a REST API (stage `prod`, `POST /inference`) calls the
inference Lambda, which calls the endpoint. This first version of the Lambda records nothing:
section 8.2 changes that.
""",
    md("## The execution role\n\nA role Lambda may assume, allowed to invoke the endpoint and to write its own logs, nothing more."),
    code("""
role_arn = wl.ensure_execution_role()
invoke_doc = wl.attach_policy(template="invoke-endpoint")
logs_doc = wl.attach_policy(template="logs")
print(role_arn)
invoke_doc
"""),
    code("""
wl.check(set(wl.role_policies()) >= {"InvokeSentimentEndpoint", "FunctionLogs"},
         "the role may invoke the endpoint and write its logs")
"""),
    md("## Deploy section 7's Lambda\n\n`lambda_section7/lambda_function.py`: parse the body, call the endpoint, return the prediction."),
    code("""
v1 = wl.deploy_lambda(sources="../lambda_section7")
wl.set_env_vars(ENDPOINT_NAME=conn.names.endpoint)
wl.describe_function()
"""),
    code("""
wl.check(wl.describe_function()["State"] == "Active", f"{v1.function_name} is deployed (CodeSha256 {v1.code_sha256})")
"""),
    md("## The REST API\n\nResource `/inference`, method `POST`, Lambda proxy integration, deployed to stage `prod`."),
    code("""
api = wl.create_rest_api()
print(api.invoke_url)
"""),
    code("""
response = wl.send_test_request(api.invoke_url, {"input": {"text": "Hello AI!"}})
print(response.status, f"{response.elapsed_ms:.0f} ms")
response.body
"""),
    code("""
wl.check(response.status == 200 and "prediction" in response.body,
         f"the API answers with a prediction: {response.body.get('prediction')}")
"""),
)

TABLE = notebook(
    "08.1 · The metadata table",
    """
**Goal:** create the DynamoDB table `InferenceMetadata` that will hold one item per prediction:
partition key `requestId` (S), on-demand capacity, as section 8.1 does, plus one thing the seed
lacks: an index for history by model.
""",
    md("""
## Why an index

The seed's table has only the `requestId` key. "What did model X answer in the last hour?" would
then need a **Scan**, which reads every item in the table. A global secondary index with partition key
`modelName` and sort key `timestamp` answers it with a **Query** that reads only the matching items
(`bench/history_query.py` measures the difference: see `docs/benchmarks.md`).
"""),
    code("""
table = wl.create_metadata_table()
{k: table[k] for k in ("TableName", "TableStatus", "KeySchema", "BillingModeSummary")}
"""),
    code("""
index = table["GlobalSecondaryIndexes"][0]
{k: index[k] for k in ("IndexName", "KeySchema", "Projection", "IndexStatus")}
"""),
    code("""
wl.check(table["TableStatus"] == "ACTIVE" and table["KeySchema"] == [{"AttributeName": "requestId", "KeyType": "HASH"}],
         f"table {table['TableName']} is ACTIVE with key requestId")
wl.check(index["IndexName"] == "modelName-timestamp-index", "the history-by-model index is there")
"""),
)

UPDATE = notebook(
    "08.2 · Update the Lambda to write every prediction to DynamoDB",
    """
**Goal:** the six steps of section 8.2. After them, every request through the API leaves an item
in `InferenceMetadata`: `requestId`, `timestamp`, `modelName`, `inputData`, `prediction`, `latencyMs`.
""",
    md("## Step 1 · Open the inference Lambda\n\nWhat the console's first page shows."),
    code("""
before = wl.describe_function()
before
"""),
    code("""
wl.check(before["State"] == "Active", f"{before['FunctionName']} exists and is Active")
"""),
    md("""
## Step 2 · Replace `lambda_function.py`

The new code is `lambda_function.py` at the root of the kit. First the difference between what is
deployed and the new file, then the deployment.
"""),
    code("""
print(wl.code_diff(source="../lambda_function.py")[:6000])
"""),
    code("""
deployed = wl.deploy_lambda(sources="../lambda_function.py")
print(f"CodeSha256: {deployed.previous_code_sha256} -> {deployed.code_sha256}")
"""),
    code("""
wl.check(deployed.code_sha256 != before["CodeSha256"] and wl.code_diff(source="../lambda_function.py") == "",
         "the deployed code is now lambda_function.py")
"""),
    md("## Step 3 · Environment variables\n\n`ENDPOINT_NAME` (the endpoint) and `DYNAMODB_TABLE` (the table)."),
    code("""
env = wl.set_env_vars(ENDPOINT_NAME=conn.names.endpoint, DYNAMODB_TABLE=conn.names.table)
{"before": env.before, "after": env.after}
"""),
    code("""
wl.check(env.after.get("DYNAMODB_TABLE") == conn.names.table and env.after.get("ENDPOINT_NAME") == conn.names.endpoint,
         "ENDPOINT_NAME and DYNAMODB_TABLE are set")
"""),
    md("""
## Step 4 · Permission to write the table

The seed's policy, least privilege: `dynamodb:PutItem` on this one table's ARN. (The seed also
granted `dynamodb:DescribeTable`; this Lambda never calls it, see `policies/README.md`.)
"""),
    code("""
policy = wl.attach_policy(template="metadata-write")
policy
"""),
    code("""
statement = policy["Statement"][0]
wl.check(statement["Action"] == ["dynamodb:PutItem"] and statement["Resource"].endswith(f":table/{conn.names.table}"),
         f"the role may PutItem on {statement['Resource']}")
"""),
    md("## Step 5 · Deploy and test\n\nThe seed's request through the API, then the equivalent `curl` command for a terminal."),
    code("""
url = wl.invoke_url()
response = wl.send_test_request(url, {"input": {"text": "Hello AI!"}})
print(response.status, f"{response.elapsed_ms:.0f} ms round trip (the first call after a deployment includes a cold start)")
response.body
"""),
    code("""
wl.check(response.status == 200 and {"requestId", "prediction", "latencyMs"} <= set(response.body),
         f"the response holds requestId, prediction and latencyMs: {response.body}")
request_id = response.body["requestId"]
wl.record("request_id", request_id)
print(wl.curl_command(url, {"input": {"text": "Hello AI!"}}))
"""),
    md("A small batch, so the table has some history to show."),
    code("""
from tqdm import tqdm

texts = ["I love this product", "This is terrible", "What a great day", "The service was awful",
         "Absolutely fantastic work", "I am disappointed", "Thanks, that helped a lot", "Never again"]
batch = [wl.send_test_request(url, {"input": {"text": t}}) for t in tqdm(texts, desc="requests")]
wl.check(all(r.status == 200 for r in batch), f"all {len(batch)} requests answered 200")
wl.record("batch_request_ids", [r.body["requestId"] for r in batch])
"""),
    md("## Step 6 · Check the table\n\nThe items, laid out like the seed's table, newest first."),
    code("""
history = wl.query_inferences(model=conn.names.endpoint)
history[wl.SEED_COLUMNS].head(10)
"""),
    code("""
row = history[history["requestId"] == request_id]
wl.check(len(row) == 1 and row[wl.SEED_COLUMNS].notna().all(axis=None),
         f"the row of step 5 ({request_id}) is in the table with all six attributes")
wl.check(len(history) >= len(batch) + 1, f"{len(history)} predictions recorded")
wl.record("rows_in_table", len(history))
"""),
    code("""
ordered = history.sort_values("timestamp").reset_index(drop=True)
ax = ordered["latencyMs"].plot.bar(title="Endpoint latency per request, oldest first", xlabel="request",
                                   ylabel="latencyMs (ms)", rot=0)
ax.figure.tight_layout()
"""),
    md("The function's log lines for the request of step 5 (the same `requestId`):"),
    code("""
lines = wl.request_log_lines(request_id)
print("\\n".join(lines))
wl.check(lines, f"{len(lines)} log lines carry the requestId")
"""),
)

TROUBLE = notebook(
    "08.2 · Troubleshooting: the seed's warning box, reproduced and repaired",
    """
**Goal:** see each failure the warning box names, as a learner would meet it, and repair it:
*"If nothing is written, check the Lambda's IAM permissions, the table name and the environment
variables, and read the CloudWatch Logs."* `wl.diagnose()` makes those checks in one call.
""",
    code("""
url = wl.invoke_url()
wl.check(wl.diagnose().ok, "the pipeline is healthy before we break it")
"""),
    md("""
## 1 · The policy is missing

Detach the table policy. The request is still answered (the caller gets the prediction), but the
write is denied; the Lambda logs the complete record, marked for replay, so nothing is lost.
"""),
    code("""
wl.detach_policy(template="metadata-write")
denied = wl.send_test_request(url, {"input": {"text": "Written while the policy was missing"}})
print(denied.status, denied.body)
wl.check(denied.status == 200, "the caller still got the prediction")
"""),
    code("""
denied_id = denied.body["requestId"]
lines = wl.request_log_lines(denied_id)
print("\\n".join(lines))
wl.check(any("AccessDenied" in line for line in lines), "the AccessDenied error is in the function's logs")
wl.check(wl.query_inferences(model=conn.names.endpoint).query("requestId == @denied_id").empty,
         "and no row was written")
"""),
    code("""
diagnosis = wl.diagnose()
print(diagnosis)
wl.check(not diagnosis.ok and any("PutItem" in p.name for p in diagnosis.problems),
         "diagnose() names the missing permission")
"""),
    md("Repair: attach the policy again, then replay what the logs kept."),
    code("""
wl.attach_policy(template="metadata-write")
replay = wl.replay_unrecorded(since_minutes=30)
replay
"""),
    code("""
wl.check(denied_id in replay.written_ids, f"the record of {denied_id} was replayed into the table")
wl.check(not wl.query_inferences(model=conn.names.endpoint).query("requestId == @denied_id").empty, "the row is there now")
wl.check(wl.replay_unrecorded(since_minutes=30).written == 0, "a second replay writes nothing")
"""),
    md("## 2 · A wrong `DYNAMODB_TABLE`"),
    code("""
wl.set_env_vars(DYNAMODB_TABLE="InferenceMetadataTypo")
wrong_table = wl.send_test_request(url, {"input": {"text": "Written to a table that does not exist"}})
lines = wl.request_log_lines(wrong_table.body["requestId"])
print("\\n".join(lines))
wl.check(wrong_table.status == 200 and any("InferenceMetadataTypo" in line for line in lines),
         "the answer came, and the logs name the wrong table")
print(wl.diagnose())
"""),
    code("""
wl.set_env_vars(DYNAMODB_TABLE=conn.names.table)
replayed = wl.replay_unrecorded(since_minutes=30, table=conn.names.table)
wl.check(wrong_table.body["requestId"] in replayed.written_ids, "fixed, and the lost record replayed")
"""),
    md("## 3 · A wrong `ENDPOINT_NAME`\n\nNo prediction is possible: the caller gets a 502 with the endpoint's message, and the failure is recorded as an error row."),
    code("""
wl.set_env_vars(ENDPOINT_NAME="ml-endpoint-typo")
bad_endpoint = wl.send_test_request(url, {"input": {"text": "Sent to an endpoint that does not exist"}})
print(bad_endpoint.status, bad_endpoint.body)
wl.check(bad_endpoint.status == 502, "the caller gets a 502 naming the endpoint problem")
"""),
    code("""
errors = wl.query_inferences(model="ml-endpoint-typo")
errors[[*wl.SEED_COLUMNS, "status"]]
"""),
    code("""
wl.check((errors["status"] == "error").all() and len(errors) >= 1, "the failed request is recorded as an error row")
wl.set_env_vars(ENDPOINT_NAME=conn.names.endpoint)
fixed = wl.send_test_request(url, {"input": {"text": "Hello again"}})
wl.check(fixed.status == 200, "repaired: predictions flow again")
final = wl.diagnose()
print(final)
wl.check(final.ok or all(p.name == "recent log errors" for p in final.problems), "diagnose() finds the pipeline healthy")
"""),
)

CLEANUP = notebook(
    "09 · Clean up",
    """
**Goal:** delete what the workshop created, and only that: every resource carrying the tag
`workshop-kit=inference-metadata` (and your participant prefix, if you set one). Other projects'
resources, and other participants', are never touched.
""",
    code("""
import pandas as pd

found = wl.kit_resources()
pd.DataFrame([(r.kind, r.name) for r in found], columns=["kind", "name"])
"""),
    code("""
deleted = wl.cleanup()
print(f"deleted {len(deleted)} resources")
"""),
    code("""
left = wl.kit_resources()
wl.check(not left, "nothing the kit created is left", f"still there: {left}")
"""),
)

NOTEBOOK_FILES = {
    "00_setup.ipynb": SETUP,
    "06_model_endpoint.ipynb": MODEL,
    "07_inference_lambda_and_api.ipynb": LAMBDA_V1,
    "08_1_metadata_table.ipynb": TABLE,
    "08_2a_update_lambda.ipynb": UPDATE,
    "08_2b_troubleshooting.ipynb": TROUBLE,
    "09_cleanup.ipynb": CLEANUP,
}


def prerequisites_cell(name: str) -> dict:
    """The check right after connect; its id is its own, so the other cells keep theirs."""
    stem = Path(name).stem
    parts = stem.split("_")
    cell = code(PREREQUISITES.format(short="_".join(parts[:2]) if parts[0] == "08" else parts[0]))
    cell["id"] = f"{stem.replace('_', '-')}-prerequisites"
    return cell


def main() -> None:
    NOTEBOOKS.mkdir(exist_ok=True)
    for name, nb in NOTEBOOK_FILES.items():
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{Path(name).stem.replace('_', '-')}-{i:02d}"
        nb.cells.insert(3, prerequisites_cell(name))  # after title, parameters and connect
        nbformat.validate(nb)
        nbformat.write(nb, NOTEBOOKS / name)
        print(f"wrote notebooks/{name} ({len(nb.cells)} cells)")


if __name__ == "__main__":
    main()
