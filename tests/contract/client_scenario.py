"""A third party's day, through a client generated from the committed openapi/openapi.json by
openapi-python-client (issue 17): no hand-written HTTP. Every call goes through the generated
functions and models; an answer the document does not declare raises (raise_on_unexpected_status),
and every body is parsed into the generated model of its status.

Usage: python client_scenario.py BASE_URL TODAY ADMIN_PASSWORD
(the demo bank's users share the admin's password; TODAY is the server's business date).
"""

import datetime
import sys
import uuid

from rmdesk_client import AuthenticatedClient, Client
from rmdesk_client.api.approvals import approve, get_one_approvals
from rmdesk_client.api.assignments import create_assignments
from rmdesk_client.api.audit import export
from rmdesk_client.api.auth import issue_token
from rmdesk_client.api.customers import create_customers
from rmdesk_client.api.flags import of_customer, raise_
from rmdesk_client.api.org_units import create_org_units, list_org_units
from rmdesk_client.api.rms import create_rms
from rmdesk_client.models import (
    Approval,
    ApprovalDecision,
    Assignment,
    AssignmentRole,
    Customer,
    CustomerKind,
    Dataset,
    ExportDocument,
    FlagKind,
    Grade,
    Line,
    NewAssignment,
    NewCustomer,
    NewFlag,
    NewOrgUnit,
    NewRm,
    OrgUnit,
    OrgUnitKind,
    PageOrgUnit,
    PendingApproval,
    Problem,
    Rm,
    TokenRequest,
    TokenResponse,
)


def expect(response, status, model):
    """The answer has `status` and its body parsed into the generated `model`."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.content[:500]!r}"
    )
    assert isinstance(response.parsed, model), f"{type(response.parsed)} is not {model}"
    return response.parsed


def sign_in(base, username, password):
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)
    token = expect(
        issue_token.sync_detailed(
            client=anonymous, body=TokenRequest(username=username, password=password)
        ),
        200,
        TokenResponse,
    )
    return AuthenticatedClient(
        base_url=base, token=token.access_token, raise_on_unexpected_status=True
    )


def national_id():
    """A fresh 18-character resident ID number: 17 digits and a check character."""
    return f"{uuid.uuid4().int % 10**17:017d}X"


def main(base, today, password):
    base = base.rstrip("/")
    today = datetime.date.fromisoformat(today)
    admin = sign_in(base, "admin", password)
    step = lambda text: print(f"  client scenario: {text}", flush=True)  # noqa: E731

    head = expect(
        list_org_units.sync_detailed(client=admin, kind=OrgUnitKind.HEAD_OFFICE),
        200,
        PageOrgUnit,
    ).items[0]
    tag = uuid.uuid4().hex[:8]
    branch = expect(
        create_org_units.sync_detailed(
            client=admin,
            body=NewOrgUnit(name=f"Client Branch {tag}", kind=OrgUnitKind.BRANCH, parent_id=head.id),
        ),
        201,
        OrgUnit,
    )
    step(f"unit {branch.name} created under {head.name}")

    rm = expect(
        create_rms.sync_detailed(
            client=admin,
            body=NewRm(
                employee_no=f"C{tag}",
                national_id=national_id(),
                name="Client Scenario RM",
                line=Line.CORPORATE,
                grade=Grade.RM,
                org_unit_id=branch.id,
                qualified_on=today - datetime.timedelta(days=30),
            ),
        ),
        201,
        Rm,
    )
    step(f"RM {rm.employee_no} appointed")

    customer = expect(
        create_customers.sync_detailed(
            client=admin,
            body=NewCustomer(
                name=f"Client Scenario Steel {tag}",
                kind=CustomerKind.CORPORATE,
                org_unit_id=branch.id,
            ),
        ),
        201,
        Customer,
    )
    step(f"customer {customer.name} created")

    assignment = expect(
        create_assignments.sync_detailed(
            client=admin,
            body=NewAssignment(customer_id=customer.id, rm_id=rm.id, role=AssignmentRole.PRIMARY),
        ),
        201,
        Assignment,
    )
    step(f"assignment {assignment.id}: {rm.employee_no} is the primary RM")

    # A limit the document states is refused with a problem naming the field.
    too_long = expect(
        create_customers.sync_detailed(
            client=admin,
            body=NewCustomer(name="行" * 201, kind=CustomerKind.CORPORATE, org_unit_id=branch.id),
        ),
        422,
        Problem,
    )
    assert too_long.errors[0].field == "name", too_long
    step("a name over the documented limit is refused naming the field")

    pending = expect(
        raise_.sync_detailed(
            client=admin,
            body=NewFlag(
                customer_id=customer.id,
                kind=FlagKind.BLACKLISTED,
                reason="court enforcement list (client scenario)",
            ),
        ),
        202,
        PendingApproval,
    )
    step(f"blacklisting waits for a second person (approval {pending.approval_id}, {pending.rule})")

    own = expect(
        approve.sync_detailed(pending.approval_id, client=admin, body=ApprovalDecision()),
        422,
        Problem,
    )
    assert own.rule == "M-1", own
    step(f"the maker may not approve it: {own.code} ({own.rule})")

    officer = sign_in(base, "risk.officer", password)
    decided = expect(
        approve.sync_detailed(
            pending.approval_id,
            client=officer,
            body=ApprovalDecision(note="checked against the court list"),
        ),
        200,
        Approval,
    )
    assert decided.status == "approved", decided.status
    again = expect(
        get_one_approvals.sync_detailed(pending.approval_id, client=officer), 200, Approval
    )
    assert again.decided_by_user_id, again
    flags = expect(of_customer.sync_detailed(customer.id, client=officer), 200, list)
    assert any(f.kind == FlagKind.BLACKLISTED for f in flags), flags
    step("risk.officer approved; the customer is blacklisted")

    document = expect(
        export.sync_detailed(Dataset.CUSTOMERS, client=admin), 200, ExportDocument
    )
    manifest = document.manifest
    assert manifest.row_count == len(document.items), manifest
    assert any(item["id"] == customer.id for item in document.items)
    assert manifest.row_count >= 1 and manifest.signature, manifest
    step(f"export of {manifest.dataset}: {manifest.row_count} rows, signed with key {manifest.key_id}")
    print("client scenario: passed")


if __name__ == "__main__":
    main(*sys.argv[1:4])
