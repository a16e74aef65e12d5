"""``python -m beacon_gateway`` is the same CLI as ``beacon-gateway``."""

from beacon_gateway.cli import app

app(prog_name="beacon-gateway")
