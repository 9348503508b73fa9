"""The event files beside this module (README.md lists them): shared data for the tests of every folder."""

from pathlib import Path

EVENTS_DIR = Path(__file__).parent
