"""The office's offer pages (``/office/offers``), until the partner portal exists."""
