"""HTPM bot in a real Teams-like client: each demo person in their own Agents Playground.

One `htpm serve --dev --demo` (the demo trust: Brookside's draft awaits Hannah Lewis's approval
and is overdue; St Anne's has a proposed date; Hillcrest has just opened) and one Playground per
person, all driven by Playwright in Debian's Chromium. Screenshots of every step are kept in
artifacts/e2e/<test>/. The tests that only read come first; anything that changes the demo
trust comes last, so the order of this file matters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.playground import Chat
from tests.support.servers import E2EFailure
from tests.support.stub_bot import StubBot

BROOKSIDE = "Brookside Primary School"
ST_ANNES = "St Anne's CE Primary School"
HILLCREST = "Hillcrest Academy"


def test_headteacher_sees_her_overdue_approval_and_her_next_step(people) -> None:
    hannah: Chat = people("headteacher")

    status = hannah.send("status").wait_for_text(
        "Your appraisals", BROOKSIDE, "Headteacher: Hannah Lewis", "You: approve the draft"
    )
    assert "working days late" in status
    assert "1 overdue" in status
    assert ST_ANNES not in status and HILLCREST not in status

    nxt = hannah.send("next").wait_for_text("Approve the draft", BROOKSIDE)
    assert "late" in nxt


def test_governor_sees_both_of_his_schools(people) -> None:
    gareth: Chat = people("governor")

    status = gareth.send("status").wait_for_text("Your appraisals", BROOKSIDE, ST_ANNES)
    assert "2 appraisals" in status
    assert HILLCREST not in status


def test_reviewer_presses_my_next_step_and_has_nothing_to_do(people) -> None:
    rhona: Chat = people("reviewer")

    status = rhona.send("status")
    status.wait_for_text(BROOKSIDE, ST_ANNES)
    assert "My next step" in status.buttons()

    after = status.click("My next step")  # Action.Execute: the answer replaces the card
    after.wait_for_text("Nothing for you right now", "What happens next at")


def test_dceo_sees_all_three_schools(people) -> None:
    dana: Chat = people("dceo")

    status = dana.send("status").wait_for_text("Your appraisals", BROOKSIDE, ST_ANNES, HILLCREST)
    assert "3 appraisals" in status


def test_headteacher_approves_the_draft_and_the_reviewer_is_asked_for_the_final(people) -> None:
    # Changes the demo trust: keep it after the tests that read Brookside's state.
    hannah: Chat = people("headteacher")
    step = hannah.send("next")
    step.wait_for_text("Approve the draft", BROOKSIDE)
    assert "Approve" in step.buttons()

    after = step.click("Approve")  # Action.Execute, verb "approve", with the card's data

    # The card is replaced by Brookside as it now stands, confirming what was done.
    after.wait_for_text("Done: Draft approved", BROOKSIDE)
    action = hannah.logged_request("invoke")["value"]["action"]
    assert action["verb"] == "approve"
    hannah.send("status").wait_for_text("Draft approved", "Rhona Patel (reviewer): issue the final")

    rhona: Chat = people("reviewer")
    rhona.send("next").wait_for_text("Issue the final record", BROOKSIDE)


# -- the page object against the real renderer, with a stand-in bot ---------------------------


@pytest.fixture(scope="package")
def stub_bot() -> Iterator[StubBot]:
    stub = StubBot()
    try:
        yield stub
    finally:
        stub.close()


@pytest.fixture(scope="package")
def stub_chat(stub_bot: StubBot, playground_for: Callable, new_chat: Callable) -> Chat:
    playground = playground_for("headteacher", stub_bot.messages_url, "stub")
    return new_chat(
        playground,
        "stub",
        lambda: f"--- stub bot errors: {stub_bot.errors}\n{playground.service.describe(20)}",
    )


def test_every_input_kind_is_filled_and_reaches_the_bot(stub_chat: Chat, stub_bot) -> None:
    card = stub_chat.send("show me every input")
    (
        card.fill("Meeting date", "2026-11-20")
        .fill("Meeting time", "10:30")
        .fill("Notes", "First line\nSecond line")
        .fill("A short title", "Termly review")  # no label: found by its placeholder
        .fill("How many", "3")
        .fill("Judgement", "Partially met")
        .fill("Focus", "Wellbeing")
        .fill("Evidence", ["SDP", "Ofsted report"])
        .fill("Wellbeing", True)
    )

    result = card.click("Approve")

    result.wait_for_text("Received", 'meeting_date = "2026-11-20"')
    sent = {
        "verb": "approve",
        "appraisal_id": 7,
        "version": 3,
        "meeting_date": "2026-11-20",
        "meeting_time": "10:30",
        "notes": "First line\nSecond line",
        "title": "Termly review",
        "count": "3",
        "judgement": "partially_met",
        "focus": "wellbeing",
        "evidence": "sdp,ofsted",
        "wellbeing_discussed": "true",
    }
    assert stub_bot.invokes[-1] == {
        "type": "Action.Execute",
        "title": "Approve",
        "verb": "approve",
        "data": sent,
    }
    logged = stub_chat.logged_request("invoke")
    assert logged["name"] == "adaptiveCard/action"
    assert logged["value"]["action"]["data"] == sent
    assert logged["from"]["aadObjectId"] == "0d3e0000-0000-4000-8000-000000000004"


def test_show_card_opens_an_inner_card_whose_button_replaces_the_whole_card(
    stub_chat: Chat, stub_bot
) -> None:
    card = stub_chat.send("show me again")
    inner = card.show("Ask for changes")
    inner.fill("What should change", "Objective 2 needs a measurable target.")
    invokes = len(stub_bot.invokes)

    # The renderer validates the whole card, the outer one too: with its required date empty it
    # sends nothing and shows the input's errorMessage; the helper says which input stopped it.
    with pytest.raises(E2EFailure, match=r"required inputs are empty: \['Meeting date'\]"):
        inner.click("Send the request")
    assert len(stub_bot.invokes) == invokes
    assert "Choose the date of the meeting." in card.text()  # its errorMessage, under the input

    card.fill("Meeting date", "2026-12-01")
    result = inner.click("Send the request")

    text = result.wait_for_text("Received", 'verb = "request_changes"')
    assert "Every input" not in text  # the whole card was replaced, not just the inner one
    assert stub_bot.invokes[-1]["data"] == {
        "verb": "request_changes",
        "appraisal_id": 7,
        "changes": "Objective 2 needs a measurable target.",
        "meeting_date": "2026-12-01",  # the outer card's inputs are sent too; empty ones are not
        "wellbeing_discussed": "false",  # …but an untouched Toggle sends its valueOff
    }


# -- last: what the bot logged while everyone used it -------------------------------------------


def test_the_bot_logged_no_errors(bot) -> None:
    # Includes first contact, where the Playground sends conversationUpdate and
    # installationUpdate at the same moment and both store the conversation reference.
    assert not bot.errors(), f"the bot logged errors:\n{bot.describe()}"
