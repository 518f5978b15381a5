"""Migrations of the API tokens app."""
