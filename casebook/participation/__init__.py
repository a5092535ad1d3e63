"""Residents taking part: what the public forms (proposals, ratings) share.

``limits`` holds the abuse limits every public form applies without a third-party service: posts
counted per form and per (keyed-hash) client address over rolling windows, a honeypot field, and
size limits. No Flask here: the views pass the client's address and the secret key, and commit.
"""
