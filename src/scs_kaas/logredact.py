"""Keep secrets out of logs, even at `-v`.

keystoneauth's debug log prints JSON response bodies, and Keystone's answer to creating an
application credential holds its secret (checked against the local cloud). The CLI puts this
filter on its log handlers, so every record is redacted before it is written.
"""

from __future__ import annotations

import logging
import re

_SECRET_VALUE = re.compile(
    r'("(?:secret|application_credential_secret|password|client_secret)"\s*:\s*)"(?:[^"\\]|\\.)*"'
)
REDACTED = '"***"'


def redact(text: str) -> str:
    return _SECRET_VALUE.sub(lambda match: match.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger) -> None:
    """Redact every record written by `logger`'s handlers (once per handler)."""
    for handler in logger.handlers:
        if not any(isinstance(f, RedactSecrets) for f in handler.filters):
            handler.addFilter(RedactSecrets())
