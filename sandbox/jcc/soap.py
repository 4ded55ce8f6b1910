"""SOAP 1.1 plumbing of the JCC simulator: a safe request parser and response envelopes (lxml)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
GENERIC_CBS = "http://www.genericCBS.org/GenericCBS/"
CONTENT_TYPE = "text/xml; charset=utf-8"

#: No DTDs, no entities, no network: a request with a DOCTYPE is refused.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


class SoapRequestError(ValueError):
    """The request is not a SOAP envelope the simulator understands."""


def parse_request(body: bytes) -> tuple[str, dict[str, str]]:
    """(operation, {child element: text}) of a document/literal SOAP request."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapRequestError(f"not well-formed XML: {exc.msg}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype:
        raise SoapRequestError("DTDs are not allowed")
    body_el = root.find(f"{{{SOAP_ENV}}}Body")
    if body_el is None or len(body_el) == 0:
        raise SoapRequestError("no SOAP Body")
    request = body_el[0]
    name = etree.QName(request).localname
    if etree.QName(request).namespace != GENERIC_CBS or not name.endswith("Request"):
        raise SoapRequestError(f"unknown request element {name}")
    params = {etree.QName(child).localname: (child.text or "") for child in request}
    return name.removesuffix("Request"), params


Field = tuple[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _add_fields(parent: etree._Element, fields: Iterable[Field]) -> None:
    for name, value in fields:
        if value is None:
            continue
        child = etree.SubElement(parent, name)  # unqualified children, as the WSDL says
        if isinstance(value, list):
            _add_fields(child, value)
        else:
            child.text = _text(value)


def envelope(operation: str, parts: Iterable[Field]) -> bytes:
    """`<{operation}Response>` with the given children (a list value is a nested complex element)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    response = etree.SubElement(body, f"{{{GENERIC_CBS}}}{operation}Response", nsmap={None: GENERIC_CBS})
    _add_fields(response, parts)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def fault(code: str, message: str) -> bytes:
    """A SOAP 1.1 Fault envelope (`soap:Client` or `soap:Server`)."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    fault_el = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault_el, "faultcode").text = f"soap:{code}"
    etree.SubElement(fault_el, "faultstring").text = message
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


__all__ = ["CONTENT_TYPE", "GENERIC_CBS", "SOAP_ENV", "SoapRequestError", "envelope", "fault", "parse_request"]
