"""SQLAlchemy 2 implementation of the metadata store (SQLite and PostgreSQL, one code path)."""
