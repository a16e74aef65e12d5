"""The office's catalogue pages (``/office/catalogue``): list, create, edit (docs/content.md)."""
