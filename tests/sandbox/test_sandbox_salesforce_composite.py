"""The Salesforce simulator answers composite and upsert as Salesforce documents them (REST API guide:
Composite, allOrNone, sObject Rows by External ID)."""

from __future__ import annotations

from typing import Any

from sandbox.salesforce.org import HALTED_ROLLBACK, Org

V = "/services/data/v60.0"


def upsert(ref: str, bsn: str, version: str = "60.0", **fields: Any) -> dict[str, Any]:
    return {"method": "PATCH", "url": f"/services/data/v{version}/sobjects/Account/BSN__c/{bsn}",
            "referenceId": ref, "body": {"LastName": "Jansen", **fields}}


def moment(ref: str, key: str, account: str, **fields: Any) -> dict[str, Any]:
    return {"method": "PATCH", "url": f"{V}/sobjects/Contactmoment__c/Extern_Id__c/{key}", "referenceId": ref,
            "body": {"Klant__c": account, **fields}}


def composite(org: Org, all_or_none: bool, *items: dict[str, Any]) -> list[dict[str, Any]]:
    status, answer = org.execute("POST", "composite", {}, {"allOrNone": all_or_none, "compositeRequest": list(items)})
    assert status == 200  # the composite itself answers 200 whatever its subrequests did
    return list(answer["compositeResponse"])


def test_upsert_creates_with_201_then_updates_with_200_and_created_false() -> None:
    org = Org()
    [created] = composite(org, True, upsert("acc", "999993653"))
    assert created["httpStatusCode"] == 201 and created["body"]["created"] is True
    assert created["httpHeaders"]["Location"] == f"{V}/sobjects/Account/{created['body']['id']}"
    [updated] = composite(org, True, upsert("acc", "999993653", FirstName="Jan"))
    assert updated["httpStatusCode"] == 200
    assert updated["body"] == {"id": created["body"]["id"], "success": True, "errors": [], "created": False}
    assert [a["FirstName"] for a in org.all("Account")] == ["Jan"]


def test_before_api_46_an_updating_upsert_answers_204_and_a_reference_to_its_id_halts() -> None:
    org = Org()
    composite(org, True, upsert("acc", "999993653", version="45.0"))
    first, second = composite(org, False, upsert("acc", "999993653", version="45.0"),
                              moment("cm", "A-1:booked", "@{acc.id}"))
    assert first["httpStatusCode"] == 204 and first["body"] is None
    assert second["httpStatusCode"] == 400 and second["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert org.all("Contactmoment__c") == []


def test_a_moment_refers_to_the_account_upserted_before_it() -> None:
    org = Org()
    account, cm = composite(org, True, upsert("acc", "999993653"), moment("cm", "A-1:booked", "@{acc.id}"))
    assert (account["httpStatusCode"], cm["httpStatusCode"]) == (201, 201)
    assert org.all("Contactmoment__c")[0]["Klant__c"] == account["body"]["id"]


def test_all_or_none_rolls_back_what_succeeded_and_marks_it_halted() -> None:
    org = Org()
    results = composite(org, True, upsert("acc", "999993653"),
                        moment("bad", "A-1:booked", "@{acc.id}", Geen_Veld__c="x"),
                        moment("later", "A-1:visit", "@{acc.id}"))
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400]
    assert results[0]["body"] == [{"errorCode": "PROCESSING_HALTED", "message": HALTED_ROLLBACK}]
    assert results[1]["body"][0]["errorCode"] == "INVALID_FIELD"
    assert results[2]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert org.all("Account") == [] and org.all("Contactmoment__c") == []


def test_without_all_or_none_only_what_depends_on_a_failure_halts() -> None:
    org = Org()
    org.fail_next_write("UNABLE_TO_LOCK_ROW")
    account, dependent, independent = composite(org, False, upsert("acc", "999993653"),
                                                moment("cm", "A-1:booked", "@{acc.id}"),
                                                moment("other", "A-2:booked", None))
    assert account["httpStatusCode"] == 400 and account["body"][0]["errorCode"] == "UNABLE_TO_LOCK_ROW"
    assert dependent["httpStatusCode"] == 400 and dependent["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert independent["httpStatusCode"] == 201
    assert [m["Extern_Id__c"] for m in org.all("Contactmoment__c")] == ["A-2:booked"]
