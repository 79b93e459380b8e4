"""pytest set-up of the standard tests (test_standard.py): the CDK's fixtures and options
(--connector-image, --read-from-streams, ...), and the image for the in-process adapter."""

import os

import pytest

from airbyte_cdk.test.standard_tests.pytest_hooks import *  # noqa: F403  (the CDK's hooks and fixtures)


def pytest_configure(config: pytest.Config) -> None:
    image = config.getoption("--connector-image")
    if image:
        os.environ["TAP_CRM_CONNECTOR_IMAGE"] = image
