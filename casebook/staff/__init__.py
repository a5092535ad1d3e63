"""The staff side: accounts, login throttling, revisions, review and the audit log.

Nothing here imports Flask; the views in ``casebook.views.staff`` and ``casebook.views.auth``
are thin layers over these functions.
"""
