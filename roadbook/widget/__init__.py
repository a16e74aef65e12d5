"""The embeddable roadbook widget: ``/widget.js`` (a ``<balise-roadbook>`` custom element), the
site mode's JSON endpoint and the CORS rule that lets a destination's own web sites read its
roadbooks (docs/widget.md)."""
