"""The board's reading of one participant: a refusal (a participant's role, a missing permission) is shown on
their row instead of stopping the whole board."""

from __future__ import annotations

from types import SimpleNamespace

from botocore.exceptions import ClientError

from workshop_lib.classroom import board


class Refusing:
    names = SimpleNamespace(function="alice-ml-inference-lambda")

    def client(self, service):
        def refuse(**params):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetFunctionConfiguration")

        return SimpleNamespace(get_function_configuration=refuse)


def test_a_refused_read_is_shown_on_the_row():
    reading = board._read_or_say_why(Refusing(), "sha", "")
    assert set(reading.cells) == set(board.STEPS)
    assert all(not c.ok and c.detail == "could not read: AccessDeniedException" for c in reading.cells.values())
