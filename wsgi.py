"""What gunicorn serves (``gunicorn wsgi:app``): the app, built once in each worker."""

import gc

from lms import create_app

app = create_app()
# What starting made (the app, SQLAlchemy's mappers, every imported module) lives as long
# as the worker: moved out of the collector's reach, so that the full collections a request
# triggers go through what requests made, not through it all. On the LRS's ingest benchmark
# this was a fifth of the workers' CPU time a statement (README, "Storage and speed").
gc.freeze()
# A batch of 100 statements makes some 10,000 containers (parsed, completed, indexed) that
# live until the response: with the default threshold (700) every request ran about 15
# young collections, each moving the batch one generation on, 4-5 µs a statement of the
# worker's CPU on the ingest benchmark; at 20,000, 0.3. What a collection walks is still
# bounded (a few MB), and reference cycles are rare in a request.
gc.set_threshold(20_000, *gc.get_threshold()[1:])
