"""Serial numbers under concurrency: real transactions from several threads, committed."""

from __future__ import annotations

import threading

from flask import Flask
from sqlalchemy import delete

from lms.certificates.models import SerialCounter
from lms.certificates.services import next_serial
from lms.extensions import db

THREADS = 4
PER_THREAD = 15


def test_concurrent_issuers_never_share_a_serial(app: Flask) -> None:
    taken: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                for _ in range(PER_THREAD):
                    serial = next_serial("TT", 2099)
                    db.session.commit()
                    with lock:
                        taken.append(serial)
                db.session.remove()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert len(taken) == len(set(taken)) == THREADS * PER_THREAD
        assert sorted(taken) == [f"TT-2099-{n:06d}" for n in range(1, THREADS * PER_THREAD + 1)]
    finally:
        with app.app_context():
            db.session.execute(delete(SerialCounter).where(SerialCounter.prefix == "TT"))
            db.session.commit()
            db.session.remove()
