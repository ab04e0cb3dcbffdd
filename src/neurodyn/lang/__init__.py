"""The model language: equations, operator / node / edge / circuit templates, YAML I/O."""
