"""Application logs without personal data.

Django's request logs name the path only, but a development server logs the whole request line,
and a traceback's last line often quotes the value that failed (an address typed in a form, a
search). This formatter drops query strings from every message and the messages of exceptions
from tracebacks, which keep their frames and exception types: enough to find the bug.
"""

import logging
import re
import traceback

QUERY_STRING = re.compile(r"\?[^\s\"']+")


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    while exc is not None and exc not in out:
        out.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return out[::-1]


class PrivacyFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        saved = record.msg, record.args, record.exc_text
        record.msg, record.args, record.exc_text = QUERY_STRING.sub("", record.getMessage()), None, None
        try:
            return super().format(record)
        finally:
            # Other handlers format the same record; leave it as it was.
            record.msg, record.args, record.exc_text = saved

    def formatException(self, ei) -> str:  # noqa: N802 — logging's name
        exc = ei[1]
        if exc is None:
            return ""
        lines: list[str] = []
        for e in _chain(exc):
            if lines:
                lines.append("\nWhile handling the above, or caused by it:\n\n")
            lines.append("Traceback (most recent call last):\n")
            lines.extend(traceback.format_list(traceback.extract_tb(e.__traceback__)))
            lines.append(f"{type(e).__module__}.{type(e).__qualname__} (message withheld from the log)\n")
        return "".join(lines).rstrip("\n")
