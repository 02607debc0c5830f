"""Every job kind of Teach's experiments, for ``app.main.JOB_KINDS``."""

from __future__ import annotations

from app.teach import curve, export, scratch

KINDS = [*curve.KINDS, *scratch.KINDS, *export.KINDS]
