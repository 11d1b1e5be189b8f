"""The data a card's buttons send back, validated into commands for the domain.

Every action payload names the appraisal and the version the card showed. The person acting is
never taken from here: the bot takes them from the authenticated activity.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from appraisal.commands import (
    AcceptDate,
    Acknowledge,
    Approve,
    Command,
    ConfirmAvailability,
    ConfirmDate,
    DeclineAvailability,
    IssueFinal,
    ProposeDate,
    ProposeOtherDate,
    RequestChanges,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.errors import InvalidInput
from appraisal.policy import MAX_TEXT
from appraisal.stages import Action

#: Verbs that only show something; they change nothing.
VIEW_VERBS = frozenset({"show_status", "show_next", "help"})


class ActionPayload(BaseModel):
    """What every action button carries."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    appraisal_id: int = Field(gt=0)
    version: int | None = Field(default=None, gt=0)


class DatePayload(ActionPayload):
    """A proposed meeting date and time (Input.Date gives YYYY-MM-DD, Input.Time HH:MM)."""

    meeting_date: date
    meeting_time: time


class CommentPayload(ActionPayload):
    """A request for changes."""

    comment: str = Field(default="", max_length=MAX_TEXT)


class BoardPayload(ActionPayload):
    """The board meeting at which completion will be reported."""

    board_meeting_on: date


_NO_DATA = {
    Action.CONFIRM_DATE: ConfirmDate,
    Action.ACCEPT_DATE: AcceptDate,
    Action.CONFIRM_AVAILABILITY: ConfirmAvailability,
    Action.DECLINE_AVAILABILITY: DeclineAvailability,
    Action.SEND_PRE_READING: SendPreReading,
    Action.SUBMIT_DRAFT: SubmitDraft,
    Action.APPROVE: Approve,
    Action.ISSUE_FINAL: IssueFinal,
    Action.SHARE_WITH_GOVERNOR: ShareWithGovernor,
}

_FIELD_MESSAGES = {
    "appraisal_id": "This card does not name an appraisal.",
    "version": "This card's version is not valid.",
    "meeting_date": "Choose the date of the meeting.",
    "meeting_time": "Choose the time of the meeting.",
    "comment": f"Keep the comment to {MAX_TEXT} characters.",
    "board_meeting_on": "Choose the date of the board meeting.",
}


def _validated(model: type[ActionPayload], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Messages are ours, per field: pydantic's would quote the submitted value back.
        problems = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "data"
            problems.setdefault(field, _FIELD_MESSAGES.get(field, "This value is not valid."))
        raise InvalidInput(problems) from None


def parse_action(verb: Action, data: dict[str, Any], tz: tzinfo) -> tuple[ActionPayload, Command]:
    """The payload and the domain command for a verb, or InvalidInput saying what is wrong."""
    if verb in _NO_DATA:
        return _validated(ActionPayload, data), _NO_DATA[verb]()
    if verb in (Action.PROPOSE_DATE, Action.PROPOSE_OTHER_DATE):
        payload = _validated(DatePayload, data)
        moment = datetime.combine(payload.meeting_date, payload.meeting_time, tz)
        maker = ProposeDate if verb is Action.PROPOSE_DATE else ProposeOtherDate
        return payload, maker(moment)
    if verb is Action.REQUEST_CHANGES:
        payload = _validated(CommentPayload, data)
        return payload, RequestChanges(payload.comment)
    if verb is Action.ACKNOWLEDGE:
        payload = _validated(BoardPayload, data)
        return payload, Acknowledge(payload.board_meeting_on)
    raise InvalidInput({"verb": "This step cannot be taken from this card."})
