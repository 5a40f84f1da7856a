"""The WSDL 1.1 description (RPC/encoded) served at ``<endpoint>?wsdl``."""

from __future__ import annotations

from collections.abc import Iterable
from xml.sax.saxutils import quoteattr

from .protocol import CONTACT_FIELDS, DEFAULT_NAMESPACE, OPERATIONS

_ENCODING = "http://schemas.xmlsoap.org/soap/encoding/"


def _contact_elements() -> str:
    return "".join(
        f'<xsd:element name="{field}" type="xsd:{"int" if field == "id" else "string"}" '
        f'minOccurs="{1 if field in ("id", "email") else 0}" nillable="true"/>'
        for field in CONTACT_FIELDS
    )


def render_wsdl(
    location: str,
    *,
    namespace: str = DEFAULT_NAMESPACE,
    operations: Iterable[str] | None = None,
) -> bytes:
    """The WSDL for the endpoint at ``location`` offering ``operations``."""
    names = list(OPERATIONS) if operations is None else list(operations)
    ops = [OPERATIONS[name] for name in names]
    ns = quoteattr(namespace)
    messages = []
    port_ops = []
    binding_ops = []
    body = f'<soap:body use="encoded" namespace={ns} encodingStyle="{_ENCODING}"/>'
    for op in ops:
        parts = "".join(f'<part name="{name}" type="{kind}"/>' for name, kind in op.params)
        messages.append(f'<message name="{op.name}Request">{parts}</message>')
        messages.append(
            f'<message name="{op.name}Response"><part name="result" type="{op.result}"/></message>'
        )
        order = " ".join(op.param_names)
        order_attr = f' parameterOrder="{order}"' if order else ""
        port_ops.append(
            f'<operation name="{op.name}"{order_attr}><input message="tns:{op.name}Request"/>'
            f'<output message="tns:{op.name}Response"/></operation>'
        )
        binding_ops.append(
            f'<operation name="{op.name}"><soap:operation soapAction="{namespace}#{op.name}"'
            f' style="rpc"/><input>{body}</input><output>{body}</output></operation>'
        )
    document = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions name="ExternalHelpdesk" targetNamespace={ns}
  xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
  xmlns:soapenc="{_ENCODING}"
  xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  xmlns:tns={ns}>
<types>
<xsd:schema targetNamespace={ns}>
<xsd:import namespace="{_ENCODING}"/>
<xsd:import namespace="http://schemas.xmlsoap.org/wsdl/"/>
<xsd:complexType name="Contact"><xsd:all>{_contact_elements()}</xsd:all></xsd:complexType>
<xsd:complexType name="ContactArray"><xsd:complexContent>
<xsd:restriction base="soapenc:Array">
<xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="tns:Contact[]"/>
</xsd:restriction></xsd:complexContent></xsd:complexType>
<xsd:complexType name="IntArray"><xsd:complexContent>
<xsd:restriction base="soapenc:Array">
<xsd:attribute ref="soapenc:arrayType" wsdl:arrayType="xsd:int[]"/>
</xsd:restriction></xsd:complexContent></xsd:complexType>
</xsd:schema>
</types>
{"".join(messages)}
<portType name="ExternalHelpdeskPortType">{"".join(port_ops)}</portType>
<binding name="ExternalHelpdeskBinding" type="tns:ExternalHelpdeskPortType">
<soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
{"".join(binding_ops)}
</binding>
<service name="ExternalHelpdesk">
<port name="ExternalHelpdeskPort" binding="tns:ExternalHelpdeskBinding">
<soap:address location={quoteattr(location)}/>
</port>
</service>
</definitions>
"""
    return document.encode("utf-8")
