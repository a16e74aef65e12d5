"""The visitor's roadbook as an installable web app: the page's static files, its manifest and
service worker, its words in fr/en/de/nl, and the "My data" page (consents, download, erasure).
"""
