"""The roadbook's personalisation engine: pure functions over plain data (docs/roadbook-engine.md).

No I/O, no database, no clock: a thin service loads the inputs (``inputs.py``) and shows the
output.
"""
