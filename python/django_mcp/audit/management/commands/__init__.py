"""The audit log's management commands."""
