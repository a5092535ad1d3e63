"""Blueprints: thin views that read input, call a query, and render."""
