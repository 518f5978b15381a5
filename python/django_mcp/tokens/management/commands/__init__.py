"""The API tokens' management commands."""
