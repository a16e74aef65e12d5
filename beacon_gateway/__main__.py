"""``python -m beacon_gateway`` is the same CLI as ``beacon-gateway``."""

from beacon_gateway.cli import main

main()
