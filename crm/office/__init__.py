"""The office back-office at ``/office``: sign-in, the shared layout, and the first pages.

Server-rendered (Jinja2), fr/en/de/nl, mobile-first, no script needed. Other packages join the
shell without ``crm`` importing them: they add navigation entries (``crm.office.nav``), template
directories and render their pages inside the layout (``crm.office.render``), and guard them with
the office session (``crm.office.session``). See ``crm/office/router.py`` for the URLs.
"""
