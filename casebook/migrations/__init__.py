"""Alembic migrations of casebook's database (every table: catalog and staff). See ``casebook.migrate``."""
