"""The platform side of the External Helpdesk protocol.

``HelpdeskClient`` calls any helpdesk speaking the protocol; ``sync`` keeps
its contacts in step with the platform's persons. Nothing here imports the
helpdesk server (Django, its models or its endpoint).
"""

from .errors import AuthenticationError, HelpdeskError, InvalidPerson, SoapFault, TransportError
from .helpdesk import HelpdeskClient
from .persons import Person, parse_person

__all__ = [
    "AuthenticationError",
    "HelpdeskClient",
    "HelpdeskError",
    "InvalidPerson",
    "Person",
    "SoapFault",
    "TransportError",
    "parse_person",
]
