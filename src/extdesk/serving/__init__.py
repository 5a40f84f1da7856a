"""The HTTP server: granian's asynchronous network side in front of the WSGI application.

``gate`` reads each request whole (within a size limit and a deadline)
before a thread runs the application; ``server`` starts granian with the
settings ``extdesk serve`` takes. Nothing here knows of the helpdesk.
"""
