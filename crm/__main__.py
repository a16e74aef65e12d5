"""``python -m crm`` is the same CLI as ``crm``."""

from crm.cli import app

app(prog_name="crm")
