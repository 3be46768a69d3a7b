"""Secrets in HTTP debug logs are redacted before any handler writes them."""

from __future__ import annotations

import io
import logging

from scs_kaas import logredact

# what keystoneauth logged at -v when an application credential was created (local cloud)
BODY = (
    'RESP BODY: {"application_credential": {"id": "95f1", "name": "x-appcred", '
    '"secret": "Zm9v\\"YmFy", "project_id": "8639"}}'
)


def test_secret_values_are_replaced() -> None:
    assert logredact.redact(BODY) == (
        'RESP BODY: {"application_credential": {"id": "95f1", "name": "x-appcred", '
        '"secret": "***", "project_id": "8639"}}'
    )
    assert logredact.redact('{"password": "hunter2", "name": "n"}') == (
        '{"password": "***", "name": "n"}'
    )


def test_the_filter_works_on_formatted_records() -> None:
    stream = io.StringIO()
    logger = logging.getLogger("test.logredact")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logredact.install(logger)
        logredact.install(logger)  # idempotent
        assert len(handler.filters) == 1
        logger.warning("%s", BODY)
    finally:
        logger.removeHandler(handler)
    assert "Zm9v" not in stream.getvalue()
    assert '"secret": "***"' in stream.getvalue()
