"""The data a card's buttons send back, validated into commands for the domain.

Every action payload names the appraisal and the version the card showed. The person acting is
never taken from here: the bot takes them from the authenticated activity. Teams sends every
input value as a string; each problem found is keyed by the id of the input it belongs to, and
the messages are ours (they never quote what was typed).
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

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
    RecordMidYear,
    RequestChanges,
    SelfEvaluate,
    SendPreReading,
    ShareWithGovernor,
    SubmitDraft,
)
from appraisal.errors import InvalidInput
from appraisal.inputs import card_number, clean_text
from appraisal.policy import MAX_TEXT
from appraisal.record import (
    MidYearReview,
    ObjectiveProgress,
    Progress,
    Rating,
    SelfEvaluation,
)
from appraisal.stages import Action
from cards.fields import (
    ARRANGEMENTS,
    LIMITS,
    choice,
    date_of,
    meeting_record_from,
    parse_arrangements,
    parse_judgements,
    parse_objectives,
    raise_any,
    refs_in,
    slot_id,
    text,
)

__all__ = [
    "ARRANGEMENTS",
    "ID_FIELDS",
    "LIMITS",
    "VIEW_VERBS",
    "ActionPayload",
    "CardId",
    "CardLine",
    "CardText",
    "bad_ids",
    "meeting_record_from",
    "parse_action",
    "parse_arrangements",
    "parse_ids",
    "parse_judgements",
    "parse_objectives",
    "slot_id",
]

#: Verbs that only show something; they change nothing.
VIEW_VERBS = frozenset({"show_status", "show_next", "help"})
#: The ids a button's data may carry: each, when present, must be one a card of ours could hold.
ID_FIELDS = ("appraisal_id", "version", "upload_id")


def bad_ids(data: dict[str, Any]) -> bool:
    """True when the data carries an id that no card of ours holds (see `card_number`)."""
    return any(key in data and card_number(data[key]) is None for key in ID_FIELDS)


def _id(value: object) -> object:
    # pydantic's own int would take True, 1.0, "1_000" and numbers beyond the stores' ids.
    number = card_number(value)
    if number is None:
        raise ValueError("not an id")
    return number


def _text(multiline: bool):
    def clean(value: object) -> object:
        return clean_text(value, multiline) if isinstance(value, str) else value

    return clean


#: An id from card data: ASCII digits or a JSON integer, 1..2**31-1.
CardId = Annotated[int, BeforeValidator(_id)]
#: Free text from a card, cleaned as it enters (`clean_text`); line breaks kept.
CardText = Annotated[str, BeforeValidator(_text(multiline=True))]
#: One line of text from a card (a title), cleaned as it enters.
CardLine = Annotated[str, BeforeValidator(_text(multiline=False))]


class ActionPayload(BaseModel):
    """What every action button carries."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    appraisal_id: CardId
    version: CardId | None = None


class DatePayload(ActionPayload):
    """A proposed meeting date and time (Input.Date gives YYYY-MM-DD, Input.Time HH:MM)."""

    meeting_date: date
    meeting_time: time


class CommentPayload(ActionPayload):
    """A request for changes."""

    comment: CardText = Field(default="", max_length=MAX_TEXT)


class BoardPayload(ActionPayload):
    """The board meeting at which completion will be reported."""

    board_meeting_on: date


class SelfEvaluatePayload(ActionPayload):
    """The headteacher's ratings: `rating_{ref}` and `commentary_{ref}` per previous objective."""

    evaluations: list[SelfEvaluation]


class MidYearPayload(ActionPayload):
    """The mid-year review: `held_on`, `progress_{ref}` and `note_{ref}` per objective, `note`."""

    held_on: date
    progress: list[ObjectiveProgress]
    note: str = ""


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
    "held_on": "Choose the date the review was held.",
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


def parse_ids(data: dict[str, Any]) -> ActionPayload:
    """The appraisal id and version any button carries, or InvalidInput."""
    return _validated(ActionPayload, data)


def _self_evaluate(data: dict[str, Any]) -> tuple[SelfEvaluatePayload, SelfEvaluate]:
    ids = parse_ids(data)
    problems: dict[str, str] = {}
    evaluations = []
    refs = refs_in(data, "rating", "commentary")
    for ref in refs:
        rating = choice(data, f"rating_{ref}", Rating, f"a rating for {ref}", problems, False)
        commentary = text(
            data,
            f"commentary_{ref}",
            f"your commentary on {ref}",
            problems,
            limit=LIMITS["commentary"],
            required=False,
        )
        if rating is not None:
            evaluations.append(SelfEvaluation(ref, rating, commentary))
        elif commentary:
            problems.setdefault(f"rating_{ref}", f"Choose a rating for {ref}.")
    if not evaluations and not problems:
        problems[f"rating_{refs[0]}" if refs else "rating"] = "Rate at least one objective."
    raise_any(problems)
    payload = SelfEvaluatePayload(**ids.model_dump(), evaluations=evaluations)
    return payload, SelfEvaluate(tuple(evaluations))


def _record_mid_year(data: dict[str, Any]) -> tuple[MidYearPayload, RecordMidYear]:
    ids = parse_ids(data)
    problems: dict[str, str] = {}
    held_on = date_of(data, "held_on", "the date the review was held", problems)
    progress = []
    for ref in refs_in(data, "progress", "note"):
        how = choice(data, f"progress_{ref}", Progress, f"the progress on {ref}", problems)
        note = text(
            data,
            f"note_{ref}",
            f"the note on {ref}",
            problems,
            limit=LIMITS["progress_note"],
            required=False,
        )
        if how is not None:
            progress.append(ObjectiveProgress(ref, how, note))
    note = text(data, "note", "the note", problems, limit=LIMITS["note"], required=False)
    raise_any(problems)
    assert held_on is not None
    payload = MidYearPayload(**ids.model_dump(), held_on=held_on, progress=progress, note=note)
    return payload, RecordMidYear(MidYearReview(held_on, tuple(progress), note))


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
    if verb is Action.SELF_EVALUATE:
        return _self_evaluate(data)
    if verb is Action.RECORD_MID_YEAR:
        return _record_mid_year(data)
    raise InvalidInput({"verb": "This step cannot be taken from this card."})
