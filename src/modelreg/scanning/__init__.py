"""Model-file scanning (docs/scanning.md): format detection, the strict pickle walk and its
allow-list, the engines, and ``ModelFileScanner``, the implementation of the ``Scanner`` port
(``port.py``) that the service layer uses."""
