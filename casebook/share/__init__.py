"""Sharing in WeChat: view counting by source, QR codes, the 公众号 export and the staff chart.

Pure services; the delivery side is ``casebook/views/share.py`` (public) and
``casebook/views/share_staff.py`` (staff). Nothing here imports Flask.
"""
