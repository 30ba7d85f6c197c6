"""Certificates: issued by rule or by hand, printed in Vietnamese, signed, verifiable by anyone."""
