"""The roster CSV parser: valid files become entries; any bad row refuses the file whole."""

from __future__ import annotations

import pytest

from appraisal.roles import Role
from appraisal.roster import (
    COLUMNS,
    MAX_GOVERNORS,
    RosterProblem,
    RosterRejected,
    parse_roster,
)

HEADER = ",".join(COLUMNS)
GUID_HEAD = "7C9E6679-7425-40DE-944B-E07FC1F90AE7"
GUID_DCEO = "0d3e0000-0000-4000-8000-000000000001"

# Line numbers as in the file: the header is line 1.
VALID_ROWS = [
    f",,dceo,Dana Whitfield,Dana.Whitfield@Trust.example,{GUID_DCEO}",  # 2
    ",,admin,Colin Mercer,colin.mercer@trust.example,",  # 3
    "100001,Brookside Primary School,headteacher,Hannah Lewis,"
    f"HANNAH.LEWIS@trust.example,{GUID_HEAD}",  # 4
    "100001,Brookside Primary School,reviewer,Rhona Patel,rhona.patel@trust.example,",  # 5
    "100001,Brookside Primary School,governor,Gareth Evans,gareth.evans@trust.example,",  # 6
    "100001,Brookside Primary School,adviser,Alex Adviser,alex@advisers.example,",  # 7
]


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def problems_of(text: str) -> list[RosterProblem]:
    with pytest.raises(RosterRejected) as caught:
        parse_roster(text)
    assert caught.value.problems, "a refused roster names at least one problem"
    assert "nothing was changed" in caught.value.message
    return caught.value.problems


def only_problem(text: str) -> RosterProblem:
    problems = problems_of(text)
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


# --- valid rosters ---------------------------------------------------------------------------


def test_a_valid_roster_parses_into_one_entry_per_row():
    entries = parse_roster(csv_text(*VALID_ROWS))

    assert [(e.line, e.role, e.email) for e in entries] == [
        (2, Role.DCEO, "dana.whitfield@trust.example"),
        (3, Role.ADMIN, "colin.mercer@trust.example"),
        (4, Role.HEADTEACHER, "hannah.lewis@trust.example"),
        (5, Role.REVIEWER, "rhona.patel@trust.example"),
        (6, Role.GOVERNOR, "gareth.evans@trust.example"),
        (7, Role.ADVISER, "alex@advisers.example"),
    ]
    dceo, admin, head = entries[0], entries[1], entries[2]
    assert (dceo.school_urn, dceo.school_name, dceo.nation) == (None, None, None)
    assert (admin.school_urn, admin.school_name, admin.aad_object_id) == (None, None, None)
    assert dceo.aad_object_id == GUID_DCEO
    assert head.aad_object_id == GUID_HEAD.lower()
    assert (head.name, head.school_urn, head.school_name) == (
        "Hannah Lewis",
        "100001",
        "Brookside Primary School",
    )
    assert all(e.aad_object_id is None for e in entries[3:])


def test_cells_are_trimmed_roles_are_case_blind_and_a_bom_is_ignored():
    text = "\ufeff" + csv_text(
        " 100001 , Brookside Primary School ,Headteacher, Hannah Lewis , Hannah@Trust.example ,",
        "100001,Brookside Primary School,GOVERNOR,Gareth Evans,gareth@trust.example,",
    )
    head, governor = parse_roster(text)
    assert (head.role, head.school_urn, head.school_name, head.name, head.email) == (
        Role.HEADTEACHER,
        "100001",
        "Brookside Primary School",
        "Hannah Lewis",
        "hannah@trust.example",
    )
    assert governor.role is Role.GOVERNOR


def test_an_optional_nation_column_is_accepted():
    text = csv_text(
        "100001,Ysgol Aber,headteacher,Ffion Jones,ffion@trust.example,,Wales",
        "100001,Ysgol Aber,governor,Huw Price,huw@trust.example,,wales",
        "100002,Lough View,headteacher,Sean Kelly,sean@trust.example,,Northern Ireland",
        ",,dceo,Dana Whitfield,dana@trust.example,,",
        header=HEADER + ",nation",
    )
    entries = parse_roster(text)
    assert [(e.school_urn, e.nation) for e in entries] == [
        ("100001", "wales"),
        ("100001", "wales"),
        ("100002", "northern_ireland"),
        (None, None),
    ]


def test_without_a_nation_column_entries_carry_no_nation():
    entries = parse_roster(csv_text(*VALID_ROWS))
    assert {e.nation for e in entries} == {None}


def test_columns_may_come_in_any_order():
    header = "email,name,role,school_name,school_urn,aad_object_id"
    entries = parse_roster(
        csv_text("hannah@trust.example,Hannah Lewis,headteacher,Brookside,100001,", header=header)
    )
    assert [(e.email, e.name, e.role, e.school_name, e.school_urn) for e in entries] == [
        ("hannah@trust.example", "Hannah Lewis", Role.HEADTEACHER, "Brookside", "100001")
    ]


def test_one_person_may_hold_roles_at_several_schools():
    entries = parse_roster(
        csv_text(
            "100001,Brookside,reviewer,Rhona Patel,rhona@trust.example,",
            "100002,St Anne's,reviewer,Rhona Patel,Rhona@trust.example,",
        )
    )
    assert [(e.school_urn, e.email) for e in entries] == [
        ("100001", "rhona@trust.example"),
        ("100002", "rhona@trust.example"),
    ]


def test_blank_lines_and_multi_line_fields_keep_entries_on_their_file_lines():
    text = csv_text(
        "",  # 2
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",  # 3
        '100002,"Hillcrest\nAcademy",governor,Grace Miller,grace@trust.example,',  # 4-5
        ",,,,,",  # 6: every cell blank, skipped like an empty line
        "",  # 7
        ",,dceo,Dana Whitfield,dana@trust.example,",  # 8
    )
    entries = parse_roster(text)
    assert [(e.line, e.email) for e in entries] == [
        (3, "hannah@trust.example"),
        (4, "grace@trust.example"),
        (8, "dana@trust.example"),
    ]
    assert entries[1].school_name == "Hillcrest\nAcademy"


# --- each problem, refused whole, on its line -------------------------------------------------


def test_an_unknown_role_is_refused_on_its_line():
    problem = only_problem(
        csv_text(*VALID_ROWS, "100001,Brookside Primary School,bursar,B,b@x.org,")
    )
    assert problem.line == 8
    assert "unknown role 'bursar'" in problem.message
    assert str(problem).startswith("line 8: ")


@pytest.mark.parametrize(
    "email",
    ["hannah.lewis", "hannah@", "@trust.example", "hannah@trust", "a@b@trust.example", "h l@t.org"],
)
def test_a_malformed_email_is_refused_on_its_line(email):
    rows = [*VALID_ROWS]
    rows[2] = f"100001,Brookside Primary School,headteacher,Hannah Lewis,{email},"
    problem = only_problem(csv_text(*rows))
    assert problem.line == 4
    assert f"malformed email '{email}'" in problem.message


def test_a_missing_column_is_reported_on_line_1():
    header = "school_urn,school_name,role,name,aad_object_id"  # no email
    rows = ["100001,Brookside,headteacher,Hannah Lewis,"]
    problem = only_problem(csv_text(*rows, header=header))
    assert problem.line == 1
    assert "missing column(s): email" in problem.message


def test_an_unknown_column_is_reported_on_line_1():
    problem = only_problem(csv_text(*VALID_ROWS, header=HEADER + ",phone"))
    assert problem.line == 1
    assert "unknown column(s): phone" in problem.message


def test_a_second_headteacher_for_a_school_is_refused_on_its_line_naming_the_first():
    rows = [
        *VALID_ROWS,
        "100001,Brookside Primary School,headteacher,Tom Okafor,tom@trust.example,",  # 8
    ]
    problem = only_problem(csv_text(*rows))
    assert problem.line == 8
    assert "already has a headteacher" in problem.message
    assert "line 4" in problem.message


def test_a_dceo_row_with_a_school_is_refused():
    rows = [*VALID_ROWS]
    rows[0] = ",Brookside Primary School,dceo,Dana Whitfield,dana@trust.example,"
    problem = only_problem(csv_text(*rows))
    assert problem.line == 2
    assert "a dceo row leaves school_urn, school_name and nation blank" in problem.message


def test_an_admin_row_with_a_school_urn_is_refused():
    rows = [*VALID_ROWS]
    rows[1] = "100001,,admin,Colin Mercer,colin.mercer@trust.example,"
    problem = only_problem(csv_text(*rows))
    assert problem.line == 3
    assert "admin row leaves school_urn" in problem.message


@pytest.mark.parametrize("school", [",", "100001,", ",Brookside Primary School"])
def test_a_headteacher_row_without_a_school_is_refused(school):
    rows = [*VALID_ROWS[:3]]
    rows[2] = f"{school},headteacher,Hannah Lewis,hannah@trust.example,"
    problem = only_problem(csv_text(*rows))
    assert problem.line == 4
    assert "a headteacher row needs school_urn and school_name" in problem.message


def test_a_school_urn_that_is_not_digits_is_refused():
    problem = only_problem(csv_text("BR-01,Brookside,headteacher,Hannah Lewis,h@trust.example,"))
    assert problem.line == 2
    assert "school_urn 'BR-01' is not a school URN" in problem.message


@pytest.mark.parametrize(
    "aad",
    ["not-a-guid", "7c9e6679742540de944be07fc1f90ae7", "7c9e6679-7425-40de-944b-e07fc1f90ae"],
)
def test_a_bad_guid_aad_object_id_is_refused(aad):
    rows = [*VALID_ROWS]
    rows[3] = (
        f"100001,Brookside Primary School,reviewer,Rhona Patel,rhona.patel@trust.example,{aad}"
    )
    problem = only_problem(csv_text(*rows))
    assert problem.line == 5
    assert f"aad_object_id '{aad}' is not an Entra object id" in problem.message


def test_a_row_with_too_many_values_is_refused():
    rows = [*VALID_ROWS]
    rows[4] = "100001,Brookside Primary School,governor,Gareth Evans,gareth.evans@trust.example,,x"
    problem = only_problem(csv_text(*rows))
    assert problem.line == 6
    assert problem.message == "has 7 values; expected 6"


def test_a_row_with_too_few_values_is_refused():
    problem = only_problem(csv_text(*VALID_ROWS, "100001,Brookside Primary School,governor"))
    assert problem.line == 8
    assert problem.message == "has 3 values; expected 6"


def test_a_duplicate_identical_row_is_refused_naming_the_first():
    problem = only_problem(csv_text(*VALID_ROWS, VALID_ROWS[3]))
    assert problem.line == 8
    assert "repeats line 5" in problem.message


def test_the_same_email_with_two_different_names_is_refused():
    rows = [
        *VALID_ROWS,
        "100002,St Anne's,reviewer,R. Patel,Rhona.Patel@trust.example,",  # 8
    ]
    problem = only_problem(csv_text(*rows))
    assert problem.line == 8
    assert problem.message == (
        "rhona.patel@trust.example has a different name or aad_object_id on line 5"
    )


def test_one_aad_object_id_for_two_emails_is_refused():
    rows = [*VALID_ROWS]
    rows[3] = (
        "100001,Brookside Primary School,reviewer,Rhona Patel,"
        f"rhona.patel@trust.example,{GUID_HEAD}"
    )
    problem = only_problem(csv_text(*rows))
    assert problem.line == 5
    assert "already given to hannah.lewis@trust.example (line 4)" in problem.message


def test_an_empty_file_is_refused():
    problem = only_problem("")
    assert problem.line == 1
    assert "the file is empty" in problem.message


def test_a_file_of_only_a_bom_and_a_newline_is_refused_as_empty():
    problem = only_problem("\ufeff\n")
    assert problem.line == 1
    assert "the file is empty" in problem.message


def test_a_header_only_file_is_refused():
    problem = only_problem(HEADER + "\n")
    assert problem.line == 2
    assert "no rows after the header" in problem.message


def test_a_header_followed_only_by_blank_lines_is_refused():
    problem = only_problem(HEADER + "\n\n\n,,,,,\n")
    assert "no rows after the header" in problem.message


def test_one_bad_row_refuses_the_whole_file():
    with pytest.raises(RosterRejected) as caught:
        parse_roster(csv_text(*VALID_ROWS, ",,dceo,X,not-an-email,"))
    assert [p.line for p in caught.value.problems] == [8]
    assert "1 problem found" in caught.value.message


# --- appointed governors: one to three per school -------------------------------------------

HEAD = "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,"
GOVERNORS = [
    "100001,Brookside,governor,Gareth Evans,gareth@trust.example,",
    "100001,Brookside,governor,Grace Miller,grace@trust.example,",
    "100001,Brookside,governor,Gwen Owen,gwen@trust.example,",
    "100001,Brookside,governor,Glyn Hughes,glyn@trust.example,",
    "100001,Brookside,governor,Gail Price,gail@trust.example,",
]


def test_a_school_has_at_most_three_appointed_governors():
    assert MAX_GOVERNORS == 3


@pytest.mark.parametrize("count", [2, 3])
def test_two_or_three_governors_for_one_school_are_accepted(count):
    entries = parse_roster(csv_text(HEAD, *GOVERNORS[:count]))
    governors = [e for e in entries if e.role is Role.GOVERNOR]
    assert [(e.line, e.school_urn) for e in governors] == [
        (line, "100001") for line in range(3, 3 + count)
    ]


def test_a_fourth_governor_is_refused_on_its_line_naming_the_three():
    problem = only_problem(csv_text(HEAD, *GOVERNORS[:4]))  # governors on lines 3-6
    assert problem.line == 6
    assert problem.message == (
        "school 100001 already has three appointed governors (lines 3, 4, 5); "
        "a school has at most three"
    )


def test_a_fifth_governor_is_refused_too_and_names_the_first_three():
    problems = problems_of(csv_text(HEAD, *GOVERNORS))  # governors on lines 3-7
    assert [p.line for p in problems] == [6, 7]
    assert all(
        "already has three appointed governors (lines 3, 4, 5)" in p.message for p in problems
    )


def test_a_fourth_governor_at_another_school_does_not_count():
    rows = [*GOVERNORS[:3], "100002,St Anne's,governor,Glyn Hughes,glyn@trust.example,"]
    assert [e.school_urn for e in parse_roster(csv_text(*rows))] == ["100001"] * 3 + ["100002"]


def test_a_second_reviewer_and_a_second_adviser_are_still_refused():
    problems = problems_of(
        csv_text(
            "100001,Brookside,reviewer,Rhona Patel,rhona@trust.example,",  # 2
            "100001,Brookside,adviser,Alex Adviser,alex@advisers.example,",  # 3
            "100001,Brookside,reviewer,Rob Lee,rob@trust.example,",  # 4
            "100001,Brookside,adviser,Ann Other,ann@advisers.example,",  # 5
        )
    )
    assert [(p.line, p.message) for p in problems] == [
        (4, "school 100001 already has a reviewer (line 2)"),
        (5, "school 100001 already has an adviser (line 3)"),
    ]


# --- separation of duties: one school role per person per school -----------------------------


def test_the_headteacher_cannot_also_be_a_governor_of_the_school():
    problem = only_problem(
        csv_text(
            *GOVERNORS[:1],  # 2
            "100001,Brookside,headteacher,Jo Rees,jo@trust.example,",  # 3
            "100001,Brookside,governor,Jo Rees,Jo@Trust.example,",  # 4
        )
    )
    assert problem.line == 4
    assert problem.message == (
        "jo@trust.example is already the headteacher of school 100001 (line 3); "
        "one person cannot be both headteacher and appointed governor of one school"
    )


@pytest.mark.parametrize(
    ("first", "second", "phrase"),
    [
        ("reviewer", "governor", "both reviewer and appointed governor"),
        ("headteacher", "reviewer", "both headteacher and reviewer"),
        ("governor", "adviser", "both appointed governor and external adviser"),
        ("adviser", "headteacher", "both external adviser and headteacher"),
    ],
)
def test_one_person_cannot_hold_two_school_roles_at_one_school(first, second, phrase):
    problem = only_problem(
        csv_text(
            f"100001,Brookside,{first},Jo Rees,jo@trust.example,",  # 2
            "100002,St Anne's,headteacher,Sam Stone,sam@trust.example,",  # 3
            f"100001,Brookside,{second},Jo Rees,jo@trust.example,",  # 4
        )
    )
    assert problem.line == 4
    assert "jo@trust.example is already the" in problem.message
    assert f"of school 100001 (line 2); one person cannot be {phrase} of one school" in (
        problem.message
    )


def test_a_third_role_at_the_same_school_names_the_first():
    problems = problems_of(
        csv_text(
            "100001,Brookside,headteacher,Jo Rees,jo@trust.example,",  # 2
            "100001,Brookside,governor,Jo Rees,jo@trust.example,",  # 3
            "100001,Brookside,adviser,Jo Rees,jo@trust.example,",  # 4
        )
    )
    assert [p.line for p in problems] == [3, 4]
    assert "already the headteacher of school 100001 (line 2)" in problems[1].message
    assert "both headteacher and external adviser" in problems[1].message


def test_a_repeated_row_is_reported_as_a_repeat_not_as_a_second_role():
    problems = problems_of(
        csv_text(
            "100001,Brookside,headteacher,Jo Rees,jo@trust.example,",  # 2
            "100001,Brookside,governor,Jo Rees,jo@trust.example,",  # 3
            "100001,Brookside,governor,Jo Rees,jo@trust.example,",  # 4
        )
    )
    assert [(p.line, p.message.split(";")[0]) for p in problems] == [
        (3, "jo@trust.example is already the headteacher of school 100001 (line 2)"),
        (4, "repeats line 3"),
    ]


def test_one_person_may_govern_two_schools():
    entries = parse_roster(
        csv_text(
            "100001,Brookside,governor,Gareth Evans,gareth@trust.example,",
            "100002,St Anne's,governor,Gareth Evans,gareth@trust.example,",
        )
    )
    assert [(e.school_urn, e.role) for e in entries] == [
        ("100001", Role.GOVERNOR),
        ("100002", Role.GOVERNOR),
    ]


def test_a_headteacher_may_govern_another_school():
    entries = parse_roster(
        csv_text(
            "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",
            "100002,St Anne's,governor,Hannah Lewis,hannah@trust.example,",
        )
    )
    assert [(e.school_urn, e.role) for e in entries] == [
        ("100001", Role.HEADTEACHER),
        ("100002", Role.GOVERNOR),
    ]


# --- the DCEO reviews every school that names no reviewer -------------------------------------

DCEO = ",,dceo,Dana Whitfield,dana@trust.example,"


@pytest.mark.parametrize(
    ("role", "label"),
    [
        ("headteacher", "headteacher"),
        ("governor", "appointed governor"),
        ("adviser", "external adviser"),
    ],
)
def test_the_dceo_cannot_hold_a_role_at_a_school_that_names_no_reviewer(role, label):
    problem = only_problem(
        csv_text(
            DCEO,  # 2
            "100002,St Anne's,reviewer,Rhona Patel,rhona@trust.example,",  # 3: another school
            f"100003,Hillcrest,{role},Dana Whitfield,dana@trust.example,",  # 4
        )
    )
    assert problem.line == 4
    assert problem.message == (
        "school 100003 names no reviewer, so the DCEO reviews it; "
        f"dana@trust.example cannot also be its {label}"
    )


def test_the_dceo_conflict_is_found_whichever_row_comes_first():
    problem = only_problem(
        csv_text(
            "100003,Hillcrest,headteacher,Dana Whitfield,dana@trust.example,",  # 2
            "100002,St Anne's,headteacher,Sam Stone,sam@trust.example,",  # 3
            DCEO,  # 4
        )
    )
    assert problem.line == 2
    assert "school 100003 names no reviewer, so the DCEO reviews it" in problem.message


def test_the_dceo_may_lead_a_school_that_names_another_reviewer():
    entries = parse_roster(
        csv_text(
            DCEO,
            "100003,Hillcrest,headteacher,Dana Whitfield,dana@trust.example,",
            "100003,Hillcrest,reviewer,Rhona Patel,rhona@trust.example,",
        )
    )
    assert [(e.line, e.role) for e in entries] == [
        (2, Role.DCEO),
        (3, Role.HEADTEACHER),
        (4, Role.REVIEWER),
    ]


def test_the_dceo_may_be_the_named_reviewer_of_a_school():
    entries = parse_roster(
        csv_text(
            DCEO,
            "100003,Hillcrest,headteacher,Priya Shah,priya@trust.example,",
            "100003,Hillcrest,reviewer,Dana Whitfield,dana@trust.example,",
        )
    )
    assert [(e.line, e.role, e.email) for e in entries] == [
        (2, Role.DCEO, "dana@trust.example"),
        (3, Role.HEADTEACHER, "priya@trust.example"),
        (4, Role.REVIEWER, "dana@trust.example"),
    ]


def test_someone_who_is_not_the_dceo_may_hold_a_role_at_a_school_with_no_reviewer():
    entries = parse_roster(
        csv_text(DCEO, "100003,Hillcrest,headteacher,Priya Shah,p@trust.example,")
    )
    assert [e.role for e in entries] == [Role.DCEO, Role.HEADTEACHER]


def test_every_school_role_problem_in_one_file_is_listed_on_its_line():
    text = csv_text(
        DCEO,  # 2
        "100001,Brookside,headteacher,Jo Rees,jo@trust.example,",  # 3
        *GOVERNORS[:3],  # 4, 5, 6
        "100001,Brookside,governor,Jo Rees,jo@trust.example,",  # 7 fourth, and the headteacher
        "100001,Brookside,reviewer,Rhona Patel,rhona@trust.example,",  # 8 fine
        "100002,St Anne's,reviewer,Rhona Patel,rhona@trust.example,",  # 9 fine
        "100002,St Anne's,governor,Rhona Patel,rhona@trust.example,",  # 10 reviewer too
        "100003,Hillcrest,headteacher,Dana Whitfield,dana@trust.example,",  # 11 DCEO, no reviewer
        "100003,Hillcrest,wizard,Merlin,merlin@trust.example,",  # 12 unknown role
    )
    problems = problems_of(text)
    expected = [
        (7, "already has three appointed governors (lines 4, 5, 6)"),
        (7, "jo@trust.example is already the headteacher of school 100001 (line 3)"),
        (10, "both reviewer and appointed governor of one school"),
        (11, "school 100003 names no reviewer, so the DCEO reviews it"),
        (12, "unknown role 'wizard'"),
    ]
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (line, phrase) in zip(problems, expected, strict=True):
        assert problem.line == line, str(problem)
        assert phrase in problem.message, str(problem)


# --- line numbers survive blank lines and multi-line fields -----------------------------------


def test_blank_lines_do_not_shift_line_numbers():
    text = csv_text(
        "",  # 2
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",  # 3
        "",  # 4
        "",  # 5
        "100001,Brookside,wizard,Merlin,merlin@trust.example,",  # 6
    )
    problem = only_problem(text)
    assert (problem.line, "unknown role 'wizard'" in problem.message) == (6, True)


def test_multi_line_quoted_fields_do_not_shift_line_numbers():
    text = csv_text(
        '100002,"Hillcrest\nAcademy",headteacher,Priya Shah,priya@trust.example,',  # 2-3
        ',,dceo,"Dana\nWhitfield",dana@trust.example,',  # 4-5
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust",  # 6: five values
        "100001,Brookside,wizard,Merlin,merlin@trust.example,",  # 7
    )
    problems = problems_of(text)
    assert [p.line for p in problems] == [6, 7]
    assert problems[0].message == "has 5 values; expected 6"


def test_a_problem_inside_a_multi_line_row_is_reported_on_the_row_s_first_line():
    text = csv_text(
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",  # 2
        '100002,"Hillcrest\n\nAcademy",headteacher,Priya Shah,priya@@trust.example,',  # 3-5
        "100003,Oak,bursar,Bea,bea@trust.example,",  # 6
    )
    problems = problems_of(text)
    assert [(p.line, p.message.split(" '")[0]) for p in problems] == [
        (3, "malformed email"),
        (6, "unknown role"),
    ]


def test_windows_line_endings_keep_the_numbering():
    text = "\r\n".join(
        [HEADER, "", "100001,Brookside,headteacher,Hannah Lewis,h@trust.example,", ",,x,Y,y@t.org,"]
    )
    problem = only_problem(text + "\r\n")
    assert problem.line == 4
    assert "unknown role 'x'" in problem.message


# --- several problems at once -----------------------------------------------------------------


def test_a_file_with_several_problems_reports_each_on_its_line():
    text = csv_text(
        ",,dceo,Dana Whitfield,dana@trust.example,",  # 2 fine
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",  # 3 fine
        "",  # 4 blank
        "100001,Brookside,janitor,Jo Bloggs,jo@trust.example,",  # 5 unknown role
        "100001,Brookside,governor,Gareth Evans,gareth-at-trust.example,",  # 6 bad email
        '100001,"Brookside",headteacher,"Tom\nOkafor",tom@trust.example,',  # 7-8 second head
        "100002,St Anne's,reviewer,Rhona Patel,rhona@trust.example,bad-guid",  # 9 bad GUID
        "100002,St Anne's,governor,Grace Miller,grace@trust.example",  # 10 five values
        ",Brookside,admin,Colin Mercer,colin@trust.example,",  # 11 admin with school
        ",,dceo,Dana Whitfield,dana@trust.example,",  # 12 repeats line 2
        "100003,Hillcrest,headteacher,,priya@trust.example,",  # 13 no name
        "100003,Hillcrest,governor,Hannah L.,Hannah@Trust.example,",  # 14 name differs from 3
        ",,headteacher,Sam Stone,sam@trust.example,",  # 15 headteacher without school
    )
    problems = problems_of(text)
    expected = [
        (5, "unknown role 'janitor'"),
        (6, "malformed email 'gareth-at-trust.example'"),
        (7, "already has a headteacher (line 3)"),
        (9, "is not an Entra object id"),
        (10, "has 5 values; expected 6"),
        (11, "admin row leaves school_urn, school_name and nation blank"),
        (12, "repeats line 2"),
        (13, "the name is missing"),
        (14, "has a different name or aad_object_id on line 3"),
        (15, "a headteacher row needs school_urn and school_name"),
    ]
    assert len(problems) == len(expected), [str(p) for p in problems]
    for problem, (line, phrase) in zip(problems, expected, strict=True):
        assert problem.line == line, str(problem)
        assert phrase in problem.message, str(problem)


def test_problems_are_listed_in_file_order_even_when_found_in_a_later_pass():
    text = csv_text(
        "100001,Brookside,headteacher,Hannah Lewis,hannah@trust.example,",  # 2
        "100001,Brookside,headteacher,Tom Okafor,tom@trust.example,",  # 3 cross-check
        "100001,Brookside,wizard,Merlin,merlin@trust.example,",  # 4 row check
    )
    assert [p.line for p in problems_of(text)] == [3, 4]


# --- text that neither store could keep alike, or that would show reversed ------------------


@pytest.mark.parametrize("column", [3, 4, 1, 5])  # name, email, school name, aad_object_id
@pytest.mark.parametrize("control", ["\x00", "\x1b[2J", "\x7f"])
def test_a_control_character_in_any_field_is_refused_without_being_quoted(column, control):
    cells = VALID_ROWS[2].split(",")
    cells[column] = cells[column][:3] + control + cells[column][3:]
    problem = only_problem(csv_text(*VALID_ROWS[:2], ",".join(cells), *VALID_ROWS[3:]))
    assert problem.line == 4
    name = {1: "school_name", 3: "name", 4: "email", 5: "aad_object_id"}[column]
    assert problem.message == (f"the {name} contains a control character (such as NUL); remove it")


def test_a_name_longer_than_the_store_keeps_is_refused():
    rows = [*VALID_ROWS]
    rows[1] = f",,admin,{'C' * 201},colin.mercer@trust.example,"
    assert only_problem(csv_text(*rows)).message == "the name is longer than 200 characters"


def test_direction_overrides_are_removed_from_names_and_right_to_left_letters_kept():
    rows = [*VALID_ROWS]
    rows[2] = (
        "100001,\u202eBrookside Primary School\u202c,headteacher,"
        f"\u05d7\u05e0\u05d4 \u202eLewis\u200f,HANNAH.LEWIS@trust.example,{GUID_HEAD}"
    )
    head = parse_roster(csv_text(*rows))[2]
    assert (head.name, head.school_name) == ("\u05d7\u05e0\u05d4 Lewis", "Brookside Primary School")


def test_a_school_urn_of_other_digits_is_refused():
    rows = [r.replace("100001", "１００００１") for r in VALID_ROWS]
    assert all("is not a school URN" in p.message for p in problems_of(csv_text(*rows)))


def test_entries_built_in_code_are_checked_for_controls_as_a_file_is():
    from dataclasses import replace

    from appraisal.roster import check_entries

    entries = parse_roster(csv_text(*VALID_ROWS))
    entries[1] = replace(entries[1], name="Colin\x00 Mercer")
    with pytest.raises(RosterRejected) as caught:
        check_entries(entries)
    assert [str(p) for p in caught.value.problems] == [
        "line 3: the name contains a control character (such as NUL); remove it"
    ]
