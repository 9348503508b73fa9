"""The container's directories: model.tar.gz extracted into /opt/ml/model, the code directory at /opt/ml/code.

SageMaker extracts the artifact before the container starts; an archive it cannot extract (not a gzip tar, a
link, a path leaving the directory) fails the endpoint. The server then copies ``SAGEMAKER_SUBMIT_DIRECTORY`` to
/opt/ml/code: a directory (the SageMaker Python SDK's repacked models point at /opt/ml/model/code), or an
``s3://`` URL of a source tar.gz. Without the variable it uses /opt/ml/code as it is: empty in this image, so the
script is not found ("No module named 'inference'").
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

CONTAINER_ROOT = "/opt/ml"
MODEL_DIR = "/opt/ml/model"
CODE_DIR = "/opt/ml/code"
REQUIREMENTS_FILE = "requirements.txt"


class ArtifactError(Exception):
    """The archive cannot be extracted the way SageMaker extracts it."""


def extract_artifact(data: bytes, directory: Path) -> None:
    """Extract a model.tar.gz into ``directory`` (the instance's /opt/ml/model); raises ArtifactError."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar.getmembers():
                if member.issym() or member.islnk():
                    raise ArtifactError(f"it holds a link, {member.name!r} (SageMaker cannot extract links)")
                if not (member.isfile() or member.isdir()):
                    raise ArtifactError(f"it holds {member.name!r}, which is neither a file nor a directory")
                if not _inside(directory, member.name):
                    raise ArtifactError(f"it holds {member.name!r}, a path outside the model directory")
            # every member was checked above; the "data" filter (Python >= 3.11.4) also drops modes and owners
            tar.extractall(directory, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ArtifactError(f"it is not a readable tar.gz archive ({exc})") from exc


def _inside(directory: Path, name: str) -> bool:
    root = directory.resolve()
    target = (directory / name).resolve()
    return target == root or root in target.parents


def copy_code(
    environment: dict[str, str], model_dir: Path, code_dir: Path, fetch_s3: Callable[[str], bytes]
) -> str | None:
    """Fill ``code_dir`` as the server does from SAGEMAKER_SUBMIT_DIRECTORY; return what it could not use, or None.

    ``fetch_s3(url)`` returns an object's bytes (or raises) for an ``s3://`` submit directory.
    """
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY") or CODE_DIR
    code_dir.mkdir(parents=True, exist_ok=True)
    if submit.startswith("s3://"):
        try:
            extract_artifact(fetch_s3(submit), code_dir)
        except Exception as exc:  # noqa: BLE001 - any failure to read it is the same for the container
            return f"SAGEMAKER_SUBMIT_DIRECTORY {submit}: {exc}"
        return None
    path = submit.rstrip("/") or "/"
    if path == CODE_DIR:
        return None  # the image's /opt/ml/code is empty: the import will not find the script
    if path == MODEL_DIR or path.startswith(MODEL_DIR + "/"):
        source = model_dir / path[len(MODEL_DIR) :].lstrip("/")
        if source.is_dir():
            shutil.copytree(source, code_dir, dirs_exist_ok=True)
            return None
        return f"SAGEMAKER_SUBMIT_DIRECTORY {submit} does not exist in the model artifact"
    return (
        f"SAGEMAKER_SUBMIT_DIRECTORY {submit} is neither inside the model artifact ({MODEL_DIR}/...) "
        "nor an s3:// URL of a source tar.gz"
    )


def requirement_lines(code_dir: Path) -> list[str]:
    """The requirement lines of code/requirements.txt (no comments, no blank lines)."""
    path = code_dir / REQUIREMENTS_FILE
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if line]


def unmet_requirements(code_dir: Path) -> list[str]:
    """The lines of code/requirements.txt this Python does not satisfy (the container would pip-install them).

    pip options (``-r``, ``-e``, ``--index-url``, ...) and URL lines are not checked; a line that is not a valid
    requirement is returned as unmet.
    """
    unmet = []
    for line in requirement_lines(code_dir):
        if line.startswith("-") or "://" in line:
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            unmet.append(line)
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            unmet.append(line)
            continue
        if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
            unmet.append(f"{line} (this Python has {requirement.name} {installed})")
    return unmet
