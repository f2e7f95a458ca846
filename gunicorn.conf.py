"""Gunicorn settings of the web server (`make run`) and of the serving benchmark.

Threaded workers, one process per core: requests spend part of their time waiting on Redis and
MariaDB, which threads overlap, while separate processes use every core. Override with
``WEB_WORKERS`` / ``WEB_THREADS``; ``--bind`` comes from the command line.
"""

import os

workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 2)
worker_class = "gthread"
# At most SEARCH_MAX_CONCURRENCY threads of a worker are at the search engine and SEARCH_MAX_WAITING
# wait for it (catalog.search's gate); the others keep answering suggestions and pages meanwhile.
threads = int(os.environ.get("WEB_THREADS") or 8)
keepalive = 30
# Each worker loads the active model at start (post_worker_init); a promotion reloads it in one
# serving thread while the others keep answering (see recsys.serving.bundles).
timeout = 60


def post_worker_init(worker: object) -> None:
    """The application is imported: load the active model now rather than on a visitor's first
    request, then keep every object alive at this point out of the garbage collector's full
    passes (see ``recsys.serving.bundles._heap_settle``, which also runs after each model load)."""
    import gc
    import logging

    try:
        from recsys.serving.bundles import active_model

        active_model()
    except Exception:  # serving degrades on its own; a worker must start regardless
        logging.getLogger("gunicorn.error").exception("model not loaded at worker start")
    try:
        from recsys.serving import new_anime

        new_anime.catalogue_content()  # the content channel's features of the catalogue (seconds)
        new_anime.background_rebuilds = True
    except Exception:
        logging.getLogger("gunicorn.error").exception("content features not built at worker start")
    try:
        from catalog.search import typeahead

        typeahead.refresh()  # the autocomplete title index, built in a background thread
    except Exception:
        logging.getLogger("gunicorn.error").exception("autocomplete index not started")
    gc.freeze()
