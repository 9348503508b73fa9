"""AWS's scikit-learn inference image, the one the workshop's SageMaker model runs in, per region.

The framework version is pinned to ``FRAMEWORK_VERSION``. On the local cloud the image is recorded
but not pulled (see workshop_lib/local/sagemaker_runtime.py).
"""

from __future__ import annotations

from .errors import InvalidInput
from .i18n import _

# scikit-learn 1.2.1 on Python 3.9: the newest version the SageMaker Python SDK's image table lists
# for every region below. The artifact holds no pickle, so the version only has to run the script.
FRAMEWORK_VERSION = "1.2-1"
IMAGE_REPOSITORY = "sagemaker-scikit-learn"
# Account of AWS's registry for the scikit-learn images, per region
# (sagemaker-python-sdk, src/sagemaker/image_uri_config/sklearn.json; same for 0.23-1 .. 1.2-1).
SKLEARN_REGISTRIES: dict[str, str] = {
    "af-south-1": "510948584623",
    "ap-east-1": "651117190479",
    "ap-northeast-1": "354813040037",
    "ap-northeast-2": "366743142698",
    "ap-northeast-3": "867004704886",
    "ap-south-1": "720646828776",
    "ap-south-2": "628508329040",
    "ap-southeast-1": "121021644041",
    "ap-southeast-2": "783357654285",
    "ap-southeast-3": "951798379941",
    "ap-southeast-4": "106583098589",
    "ca-central-1": "341280168497",
    "eu-central-1": "492215442770",
    "eu-central-2": "680994064768",
    "eu-north-1": "662702820516",
    "eu-south-1": "978288397137",
    "eu-south-2": "104374241257",
    "eu-west-1": "141502667606",
    "eu-west-2": "764974769150",
    "eu-west-3": "659782779980",
    "me-central-1": "272398656194",
    "me-south-1": "801668240914",
    "sa-east-1": "737474898029",
    "us-east-1": "683313688378",
    "us-east-2": "257758044811",
    "us-west-1": "746614075791",
    "us-west-2": "246618743249",
}


def sklearn_image_uri(region: str, framework_version: str = FRAMEWORK_VERSION) -> str:
    """AWS's scikit-learn inference image for a region.

    For us-east-1: ``683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3``.
    """
    account = SKLEARN_REGISTRIES.get(region)
    if account is None:
        raise InvalidInput(
            _("no SageMaker scikit-learn image is known for region {region!r}").format(region=region),
            resource="region",
            fix=_("use one of {value}").format(value=", ".join(sorted(SKLEARN_REGISTRIES))),
        )
    return f"{account}.dkr.ecr.{region}.amazonaws.com/{IMAGE_REPOSITORY}:{framework_version}-cpu-py3"
