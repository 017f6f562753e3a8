"""The digest on the web: a static archive (a page per day, Atom and JSON feeds) any host can serve.

Kept light on import: `links` is used by the digest service; the rendering modules load Jinja2 only
when a site is built.
"""
