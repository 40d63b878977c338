"""The domain core: pure Python, standard library only.

Nothing here imports a framework, touches a file or reads the clock. The content loader
(``backcoach.content``) builds these objects from the curated data files; adapters (CLI,
storage, web) call the functions here.
"""
