"""Who a session's audience admits: the rule the roster, the QR scan and every attendance write share."""

from datetime import timedelta

import pytest

from tests import factories
from training.organisation.models import Member
from training.programmes.models import Session

A, P = Session.Audience, Member.Position


@pytest.mark.parametrize(
    ("audience", "member_fields", "admitted"),
    [
        (A.EVERYONE, {}, True),
        (A.SECRETARIES, {"position": P.SECRETARY}, True),
        (A.SECRETARIES, {"position": P.DEPUTY_SECRETARY}, False),
        (A.LEADING, {"position": P.COMMITTEE}, True),
        (A.LEADING, {"position": P.MEMBER}, False),
        (A.BACKBONE, {"is_backbone": True}, True),
        (A.BACKBONE, {}, False),
        (A.NEW_MEMBERS, {"status": Member.Status.PROBATIONARY}, True),
        (A.NEW_MEMBERS, {"joined_days_before": 200}, True),
        (A.NEW_MEMBERS, {"joined_days_before": 400}, False),
        (A.NEW_MEMBERS, {}, False),
    ],
)
def test_audience_admits(district, audience, member_fields, admitted):
    session = factories.session(district.branch_a1, audience=audience)
    days = member_fields.pop("joined_days_before", None)
    if days is not None:
        member_fields["joined_on"] = session.starts_at.date() - timedelta(days=days)
    member = factories.member(district.branch_a1, **member_fields)
    assert session.admits_audience(member) is admitted
