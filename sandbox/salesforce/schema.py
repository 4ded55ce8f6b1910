"""The simulated org's objects and fields (what `describe` answers and writes are checked against)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str = "string"
    length: int = 255
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    unique: bool = False
    nillable: bool = True
    reference_to: tuple[str, ...] = ()

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "length": self.length if self.type in TEXT else 0,
                "createable": self.createable, "updateable": self.updateable, "externalId": self.external_id,
                "unique": self.unique, "nillable": self.nillable, "idLookup": self.external_id or self.name == "Id",
                "referenceTo": list(self.reference_to)}


TEXT = frozenset({"string", "email", "phone", "picklist", "textarea"})


@dataclass
class ObjectDef:
    name: str
    id_prefix: str
    fields: dict[str, FieldDef] = field(default_factory=dict)
    #: On create, at least one of these must be set (LastName or Name on accounts).
    required_one_of: tuple[str, ...] = ()

    def field(self, name: str) -> FieldDef | None:
        return self.fields.get(name.lower())

    def describe(self) -> dict[str, object]:
        return {"name": self.name, "label": self.name, "createable": True, "updateable": True, "queryable": True,
                "fields": [f.describe() for f in self.fields.values()]}

    def with_field(self, definition: FieldDef) -> None:
        self.fields[definition.name.lower()] = definition

    def without_field(self, name: str) -> None:
        self.fields.pop(name.lower(), None)

    def change_field(self, name: str, **changes: object) -> None:
        current = self.fields[name.lower()]
        self.fields[name.lower()] = replace(current, **changes)  # type: ignore[arg-type]


def _object(name: str, prefix: str, fields: list[FieldDef], required_one_of: tuple[str, ...] = ()) -> ObjectDef:
    ident = FieldDef("Id", type="id", length=18, createable=False, updateable=False, nillable=False)
    return ObjectDef(name, prefix, {f.name.lower(): f for f in [ident, *fields]}, required_one_of)


def default_schema() -> dict[str, ObjectDef]:
    """Person Accounts with BSN/KvK fields, the contact-moment object of `mappings/salesforce.yaml` and Tasks
    (the KCC's review queue)."""
    account = _object("Account", "001", [
        FieldDef("Name", length=255), FieldDef("FirstName", length=40), FieldDef("LastName", length=80),
        FieldDef("PersonEmail", type="email", length=80), FieldDef("PersonBirthdate", type="date"),
        FieldDef("PersonMobilePhone", type="phone", length=40),
        # External ID + Unique: the hub upserts a verified customer's account by BSN (KvK for a business)
        FieldDef("BSN__c", length=9, external_id=True, unique=True),
        FieldDef("KvK_Nummer__c", length=8, external_id=True, unique=True),
        FieldDef("Klant_Geverifieerd__c", type="boolean"),
        FieldDef("RecordTypeId", type="reference", reference_to=("RecordType",)),
    ], required_one_of=("LastName", "Name"))
    moment = _object("Contactmoment__c", "a0C", [
        FieldDef("Name", type="string", length=80, createable=False, updateable=False),
        FieldDef("Extern_Id__c", length=255, external_id=True, unique=True),
        FieldDef("Klant__c", type="reference", reference_to=("Account",)),
        FieldDef("Kanaal__c", type="picklist", length=40), FieldDef("Soort__c", type="picklist", length=40),
        FieldDef("Onderwerp__c", length=255), FieldDef("Starttijd__c", type="datetime"),
        FieldDef("Locatie__c", length=255), FieldDef("Afdeling__c", length=100),
        FieldDef("Afspraak_Id__c", length=200), FieldDef("Status__c", type="picklist", length=40),
        FieldDef("Klantcontrole_Nodig__c", type="boolean"),
    ])
    task = _object("Task", "00T", [
        FieldDef("Subject", length=255), FieldDef("WhatId", type="reference", reference_to=("Contactmoment__c",)),
        FieldDef("Status", type="picklist", length=40), FieldDef("Priority", type="picklist", length=40),
        FieldDef("Description", type="textarea", length=32000),
        FieldDef("OwnerId", type="reference", reference_to=("User", "Group")),
    ])
    return {o.name.lower(): o for o in (account, moment, task)}
