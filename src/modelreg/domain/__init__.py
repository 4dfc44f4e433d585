"""The domain core: entities, value rules, errors and the search-filter grammar.

Pure Python. Nothing here imports a web framework, a database driver or the file system.
"""
