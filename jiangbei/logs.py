"""Logging pieces: an expected client error (403, 404, 400) is one line, not a traceback."""

import logging


class ClientErrorsOnOneLine(logging.Filter):
    """Drop the traceback from ``django.request`` records of 4xx responses (Django attaches the
    PermissionDenied or Http404 it caught); server errors keep theirs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
