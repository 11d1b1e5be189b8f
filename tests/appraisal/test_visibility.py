"""Who may see what of an appraisal: the full record, its status only, or nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from appraisal.model import roles_on
from appraisal.roles import Role
from appraisal.visibility import Visibility, visibility
from tests.support.factories import (
    ADMIN,
    ADVISER,
    DCEO,
    GOVERNOR,
    HEAD,
    OUTSIDER,
    REVIEWER,
    new_appraisal,
)

APPRAISAL = new_appraisal()
NO_TRUST_ROLES: frozenset[Role] = frozenset()


def seen_by(person_id: int, trust_roles: frozenset[Role] = NO_TRUST_ROLES, appraisal=APPRAISAL):
    return visibility(roles_on(appraisal, person_id, trust_roles))


@pytest.mark.parametrize(
    ("person", "trust_roles", "expected"),
    [
        (HEAD, NO_TRUST_ROLES, Visibility.FULL),
        (REVIEWER, NO_TRUST_ROLES, Visibility.FULL),
        (GOVERNOR, NO_TRUST_ROLES, Visibility.FULL),
        (ADVISER, NO_TRUST_ROLES, Visibility.FULL),
        # The DCEO is not named on this appraisal but oversees every review in the trust.
        (DCEO, frozenset({Role.DCEO}), Visibility.FULL),
        # The trust administrator sees status and dates, never the objectives.
        (ADMIN, frozenset({Role.ADMIN}), Visibility.STATUS),
        (OUTSIDER, NO_TRUST_ROLES, Visibility.NONE),
    ],
)
def test_visibility_per_role(person, trust_roles, expected):
    assert seen_by(person, trust_roles) is expected


def test_roles_on_names_the_role_each_participant_holds():
    assert roles_on(APPRAISAL, HEAD, NO_TRUST_ROLES) == {Role.HEADTEACHER}
    assert roles_on(APPRAISAL, REVIEWER, NO_TRUST_ROLES) == {Role.REVIEWER}
    assert roles_on(APPRAISAL, GOVERNOR, NO_TRUST_ROLES) == {Role.GOVERNOR}
    assert roles_on(APPRAISAL, ADVISER, NO_TRUST_ROLES) == {Role.ADVISER}
    assert roles_on(APPRAISAL, DCEO, frozenset({Role.DCEO})) == {Role.DCEO}
    assert roles_on(APPRAISAL, OUTSIDER, NO_TRUST_ROLES) == frozenset()


@pytest.mark.parametrize("role", [Role.GOVERNOR, Role.HEADTEACHER, Role.REVIEWER, Role.ADVISER])
def test_school_roles_held_at_another_school_give_no_sight_of_this_one(role):
    # Someone who is a governor (or headteacher, ...) at another school: the role is not
    # trust-wide, so it does not count here even if passed along with the trust roles.
    assert roles_on(APPRAISAL, OUTSIDER, frozenset({role})) == frozenset()
    assert seen_by(OUTSIDER, frozenset({role})) is Visibility.NONE


def test_a_governor_of_another_schools_appraisal_sees_nothing_of_this_one():
    other_school = replace(
        APPRAISAL,
        id=2,
        school_urn="100002",
        headteacher_id=OUTSIDER,
        governor_ids=(99,),
        adviser_id=None,
    )
    assert seen_by(99, appraisal=other_school) is Visibility.FULL
    assert seen_by(99) is Visibility.NONE
    # Our headteacher is not the other school's headteacher.
    assert seen_by(HEAD, appraisal=other_school) is Visibility.NONE


def test_an_adviser_sees_only_when_named_on_the_appraisal():
    without_adviser = replace(APPRAISAL, adviser_id=None)
    assert seen_by(ADVISER, appraisal=without_adviser) is Visibility.NONE


def test_admin_who_is_also_named_on_the_appraisal_sees_it_in_full():
    as_reviewer = replace(APPRAISAL, reviewer_id=ADMIN)
    assert seen_by(ADMIN, frozenset({Role.ADMIN}), appraisal=as_reviewer) is Visibility.FULL


def test_dceo_and_admin_together_see_in_full():
    assert seen_by(OUTSIDER, frozenset({Role.DCEO, Role.ADMIN})) is Visibility.FULL


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (frozenset(), Visibility.NONE),
        (frozenset({Role.ADMIN}), Visibility.STATUS),
        (frozenset({Role.HEADTEACHER}), Visibility.FULL),
        (frozenset({Role.REVIEWER}), Visibility.FULL),
        (frozenset({Role.GOVERNOR}), Visibility.FULL),
        (frozenset({Role.ADVISER}), Visibility.FULL),
        (frozenset({Role.DCEO}), Visibility.FULL),
        (frozenset({Role.ADMIN, Role.GOVERNOR}), Visibility.FULL),
    ],
)
def test_visibility_table(roles, expected):
    assert visibility(roles) is expected
