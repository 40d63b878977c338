"""The recovery record's database: the Django ORM, used standalone (no project, no manage.py).

Nothing here touches Django at import time: :func:`backcoach.storage.store.open_store`
builds the settings, migrates on first use and returns a :class:`~backcoach.storage.store.Store`.
"""
