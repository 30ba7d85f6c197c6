"""What gunicorn serves (``gunicorn wsgi:app``): the app, built once in each worker."""

import gc

from lms import create_app

app = create_app()
# What starting made (the app, SQLAlchemy's mappers, every imported module) lives as long
# as the worker: moved out of the collector's reach, so that the full collections a request
# triggers go through what requests made, not through it all. On the LRS's ingest benchmark
# this was a fifth of the workers' CPU time a statement (README, "Storage and speed").
gc.freeze()
