"""The machinery of the proofs (issue 13, item 3): real ``casebook`` processes on 127.0.0.1, a small
HTTP client that logs in and fills the editor's form as a browser would, generated libraries.

Each scenario module (``crash``, ``synckill``, ``twoservers``, ``fulldisk``, ``fuzz``) runs one
proof with its sizes as arguments and returns its figures; ``tests/test_proofs.py`` runs them at
sizes that fit the CI budget and asserts the figures, ``bench/proofs.py`` runs them longer and
prints them.
"""
