"""The audit log (``django_mcp.audit``): a record of every tool, resource and
prompt call (who, what, when, how long, how it ended, the client, the
arguments with secrets redacted), written in the background and shown in the
admin. Add the app to INSTALLED_APPS, run migrate, and set
``MCP_AUDIT_ENABLED = True``."""

from .redaction import REDACTED, redact, redact_arguments

__all__ = ["REDACTED", "redact", "redact_arguments"]
