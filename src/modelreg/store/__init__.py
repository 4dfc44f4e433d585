"""Metadata storage: the ``MetadataStore`` port and its SQLAlchemy implementation."""
