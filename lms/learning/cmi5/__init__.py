"""cmi5: importing course structures, launching assignable units, judging ``moveOn``.

``structure`` reads ``cmi5.xml``; ``package`` imports it (alone, in a zip, or as a part of a
course package); ``launch`` starts AU sessions (launch URL, fetch URL, ``LMS.LaunchData``,
the ``launched`` statement); ``runtime`` reads the AUs' statements through the bridge and
writes the LMS's ``satisfied``, ``abandoned`` and ``waived`` statements.
"""
