"""The LRS's one outgoing event; the LRS depends on no other domain, others listen here."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: None; kwargs: count (int). Sent after a commit that stored statements sent by an
#: LRS client, so the learning bridge can process them.
statements_stored = _signals.signal("statements-stored")
