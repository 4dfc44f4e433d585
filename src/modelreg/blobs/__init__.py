"""Content-addressed blob storage: one ``BlobStore`` over plain ``ObjectBackend`` implementations."""
