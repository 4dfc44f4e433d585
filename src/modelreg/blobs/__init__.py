"""Content-addressed blob storage: one ``BlobStore`` over plain object backends."""
