"""WORKSHOP_LAMBDA_CREDENTIALS_TTL: how long a Lambda worker's role credentials last (what simulates an expiry)."""

from __future__ import annotations

import pytest

from workshop_lib.config import ENV_LAMBDA_CREDENTIALS_TTL
from workshop_lib.local.core.settings import DEFAULT_CREDENTIALS_TTL_S, CloudSettings, SettingsError


def test_credentials_ttl__six_hours_by_default_else_the_whole_seconds_given():
    assert CloudSettings.from_env({}).lambda_credentials_ttl_s == DEFAULT_CREDENTIALS_TTL_S == 6 * 3600
    assert CloudSettings.from_env({ENV_LAMBDA_CREDENTIALS_TTL: "8"}).lambda_credentials_ttl_s == 8


@pytest.mark.parametrize("raw", ["0", "-5", "1.5", "soon"])
def test_credentials_ttl__anything_but_a_positive_whole_number_is_refused_naming_the_variable(raw):
    with pytest.raises(SettingsError, match=f"{ENV_LAMBDA_CREDENTIALS_TTL}='{raw}' is not usable"):
        CloudSettings.from_env({ENV_LAMBDA_CREDENTIALS_TTL: raw})
