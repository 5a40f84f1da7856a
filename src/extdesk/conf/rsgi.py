"""The application ``extdesk serve`` runs (granian, RSGI): the WSGI application behind the buffering gate."""

from django.conf import settings

from extdesk.conf.wsgi import application as wsgi_application
from extdesk.security.limits import request_body_limit
from extdesk.serving.gate import BufferingGate

# Bytes per second that earn a body one more second: far below any real
# uplink, far above a trickle meant to hold the connection.
BODY_MIN_RATE = 16 * 1024

application = BufferingGate(
    wsgi_application,
    body_limit=request_body_limit,
    body_timeout=settings.EXTDESK_BODY_TIMEOUT,
    min_rate=BODY_MIN_RATE,
    threads=settings.EXTDESK_THREADS,
)
