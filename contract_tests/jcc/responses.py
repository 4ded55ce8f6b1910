"""SOAP answers of the JCC service, written for these tests from the published WSDL's types and the
vendor's sample responses (fictional data; the sample files themselves are not copied)."""

from __future__ import annotations

ENVELOPE = ('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>{body}'
            "</soap:Body></soap:Envelope>")
NS = 'xmlns="http://www.genericCBS.org/GenericCBS/"'


def envelope(body: str) -> bytes:
    return ENVELOPE.format(body=body).encode()


LOCATIONS = envelope(f'<getGovLocationsResponse {NS}><locationIDs xmlns="">1</locationIDs>'
                     '<locationIDs xmlns="">2</locationIDs></getGovLocationsResponse>')
LOCATIONS_EMPTY = envelope(f"<getGovLocationsResponse {NS}/>")
LOCATION_DETAILS = envelope(
    f'<getGovLocationDetailsResponse {NS}><locaties xmlns=""><locationDesc>Stadswinkel Koningsplein</locationDesc>'
    "<address>Koningsplein 1</address><postalcode>5000 AA</postalcode><city>Tilburg</city>"
    "<telephone>14 013</telephone></locaties></getGovLocationDetailsResponse>")
PRODUCTS = envelope(
    f'<getGovAvailableProductsResponse {NS}>'
    '<products xmlns=""><productId>1</productId><productCode>PASAAN</productCode>'
    "<productDesc>Paspoort aanvraag</productDesc></products>"
    '<products xmlns=""><productId>5</productId><productCode>RIJAAN</productCode>'
    "<productDesc>Rijbewijs aanvraag</productDesc></products></getGovAvailableProductsResponse>")
APPOINTMENTS = envelope(
    f'<getGovAppointmentsResponse {NS}>'
    '<appointment xmlns=""><appointmentID>5001</appointmentID><locationID>1</locationID><productID>1,2,1</productID>'
    "<clientBirthDate>1980-01-28</clientBirthDate><isRecurring>false</isRecurring></appointment>"
    '<appointment xmlns=""><appointmentID>5002</appointmentID><locationID>1</locationID><productID>5</productID>'
    "<clientBirthDate>0001-01-01</clientBirthDate><isRecurring>false</isRecurring></appointment>"
    "</getGovAppointmentsResponse>")
APPOINTMENTS_EMPTY = envelope(f"<getGovAppointmentsResponse {NS}></getGovAppointmentsResponse>")
EXTENDED = envelope(
    f'<getGovAppointmentExtendedDetailsResponse {NS}><appointment xmlns="">'
    "<appointmentID>5001</appointmentID><productID>1,2,1</productID><productDescription>Paspoort aanvraag"
    "</productDescription><clientID>999993653</clientID><clientFirstName>Jan</clientFirstName>"
    "<clientLastNamePrefix>van</clientLastNamePrefix><clientLastName>Dijk</clientLastName><clientSex>M</clientSex>"
    "<clientDateOfBirth>1980-01-28</clientDateOfBirth><clientInitials>J</clientInitials>"
    "<clientMobile>06-12345678</clientMobile><clientMail>jan@example.nl</clientMail><locationID>1</locationID>"
    "<locationDescription>Stadswinkel Koningsplein</locationDescription>"
    "<appStartTime>2027-03-28T10:00:00</appStartTime><appEndTime>2027-03-28T10:35:00</appEndTime>"
    "<appointmentDescription>Twee paspoorten\n\nen een ID-kaart</appointmentDescription>"
    "<isClientVerified>false</isClientVerified><clientLanguage>NL</clientLanguage><isRecurring>false</isRecurring>"
    "</appointment></getGovAppointmentExtendedDetailsResponse>")
EXTENDED_MISSING_FIELDS = envelope(
    f'<getGovAppointmentExtendedDetailsResponse {NS}><appointment xmlns="">'
    "<appointmentID>5002</appointmentID><productID>5</productID><clientDateOfBirth>0001-01-01</clientDateOfBirth>"
    "<locationID>1</locationID><appStartTime>2027-10-31T09:00:00</appStartTime>"
    "<appEndTime>2027-10-31T09:10:00</appEndTime><isClientVerified>false</isClientVerified>"
    "<isRecurring>false</isRecurring></appointment></getGovAppointmentExtendedDetailsResponse>")
EXTENDED_EMPTY = envelope(f'<getGovAppointmentExtendedDetailsResponse {NS}><appointment xmlns="">\n\n'
                          "</appointment></getGovAppointmentExtendedDetailsResponse>")
FAULT = envelope("<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Internal error</faultstring>"
                 "</soap:Fault>")
