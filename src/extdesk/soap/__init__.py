"""The External Helpdesk wire protocol: SOAP 1.1 RPC/encoded envelopes, the
X-HSPC-Signature header, faults and the WSDL.

This package is shared by the helpdesk (server) and the platform-side client,
so it must stay free of Django and of anything about tickets or contacts.
"""
