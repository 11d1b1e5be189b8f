"""Evidence in the 1:1 chat: what a received file is evidence of, the evidence list, messages.

Also the payloads of the evidence buttons, validated here with messages of our own (never
pydantic's, which would quote the submitted value back), and the Teams file cards (consent to
save a copy in the person's OneDrive, and the file's card once saved).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import PurePosixPath
from typing import Any

from microsoft_teams.cards import ActionSet, Choice, ChoiceSetInput, Container, TextInput
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from appraisal.errors import InvalidInput
from appraisal.inputs import clean_text
from appraisal.model import Appraisal
from appraisal.record import EvidenceItem, EvidenceKind
from appraisal.roles import Role
from appraisal.stages import Action
from appraisal.text import long_date
from appraisal.workflow import rule_for
from cards.common import card, execute, heading, literal, message_card, run, runs, text
from cards.payloads import CardId, CardLine

ADD_EVIDENCE = "add_evidence"
REMOVE_EVIDENCE = "remove_evidence"
SEND_EVIDENCE = "send_evidence"
SHOW_EVIDENCE = "show_evidence"
#: Shown when a headteacher with several open appraisals picks the one a file is for.
EVIDENCE_FOR_APPRAISAL = "evidence_for_appraisal"
EVIDENCE_VERBS = frozenset(
    {ADD_EVIDENCE, REMOVE_EVIDENCE, SEND_EVIDENCE, SHOW_EVIDENCE, EVIDENCE_FOR_APPRAISAL}
)

FILE_CONSENT_TYPE = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_TYPE = "application/vnd.microsoft.teams.card.file.info"

#: The objective choice meaning "not for a particular objective".
NO_OBJECTIVE = "none"
#: Evidence items listed on one card (Teams cards should stay under about 28 KB).
MAX_LISTED = 20
TITLE_LIMIT = 200
#: An evidence item's reference ('E1'): ASCII digits only (pydantic's \d takes any digit).
EVIDENCE_REF = r"^E[0-9]{1,4}$"
HOW_TO_ATTACH = (
    "To add evidence, attach the file to a message to me: choose the paperclip "
    "(Attach file) below the message box, pick the file and send it."
)


def _input_value(value: str) -> str:
    """Text put back into an input: one line, without control characters or overrides."""
    return clean_text(value)[:TITLE_LIMIT]


def size_text(size: int) -> str:
    """'340 KB', '2.4 MB'."""
    if size < 1024 * 1024:
        return f"{max(1, math.ceil(size / 1024))} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def default_title(filename: str) -> str:
    """The file's name without its extension, as the evidence title to start from."""
    stem = PurePosixPath(filename.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem.strip(".") else stem
    return _input_value(stem).strip() or "Evidence"


@dataclass(frozen=True)
class ReceivedFile:
    """A file received in chat and stored, waiting to be classified."""

    upload_id: int
    filename: str
    size: int


# --- payloads ---------------------------------------------------------------------------------


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    appraisal_id: CardId


class AddEvidencePayload(_Payload):
    """The classify card's button: the file, and the title, kind and objective chosen."""

    version: CardId | None = None
    upload_id: CardId
    title: CardLine = Field(min_length=1, max_length=TITLE_LIMIT)
    kind: EvidenceKind
    objective_ref: str | None = Field(default=None, pattern=r"^O[0-9]{1,3}$")

    @field_validator("objective_ref", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return None if value in (None, "", NO_OBJECTIVE) else value


class ChooseAppraisalPayload(_Payload):
    """Which of several open appraisals a received file is for."""

    upload_id: CardId


class RemoveEvidencePayload(_Payload):
    """Removing one item from the evidence list card."""

    version: CardId | None = None
    evidence_ref: str = Field(pattern=EVIDENCE_REF)


class SendEvidencePayload(_Payload):
    """Asking for a copy of one evidence file."""

    evidence_ref: str = Field(pattern=EVIDENCE_REF)


class ShowEvidencePayload(_Payload):
    """Showing an appraisal's evidence list."""


PAYLOADS: dict[str, type[_Payload]] = {
    ADD_EVIDENCE: AddEvidencePayload,
    EVIDENCE_FOR_APPRAISAL: ChooseAppraisalPayload,
    REMOVE_EVIDENCE: RemoveEvidencePayload,
    SEND_EVIDENCE: SendEvidencePayload,
    SHOW_EVIDENCE: ShowEvidencePayload,
}

_FIELD_MESSAGES = {
    "appraisal_id": "This card does not name an appraisal.",
    "version": "This card's version is not valid.",
    "upload_id": "This card does not name a file.",
    "title": f"Give the evidence a title of up to {TITLE_LIMIT} characters.",
    "kind": "Choose what kind of evidence this is.",
    "objective_ref": "Choose one of last year's objectives, or none.",
    "evidence_ref": "This card does not name an evidence item.",
}


def parse_evidence(verb: str, data: dict[str, Any]) -> Any:
    """The validated payload of an evidence verb, or InvalidInput saying what is wrong."""
    model = PAYLOADS[verb]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "data"
            problems.setdefault(field, _FIELD_MESSAGES.get(field, "This value is not valid."))
        raise InvalidInput(problems) from None


# --- cards ------------------------------------------------------------------------------------


def _file_line(received: ReceivedFile) -> Any:
    return runs(
        run(received.filename, weight="Bolder"),
        run(f" · {size_text(received.size)}", is_subtle=True),
    )


def _school_line(appraisal: Appraisal) -> Any:
    return text(
        f"{appraisal.school_name} · {appraisal.academic_year}", is_subtle=True, spacing="None"
    )


def _problem(problems: dict[str, str], key: str) -> list[Any]:
    message = problems.get(key)
    return [text(message, color="Attention", spacing="None")] if message else []


def build_classify_card(
    appraisal: Appraisal,
    received: ReceivedFile,
    *,
    notice: str = "",
    problems: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Ask what a received file is evidence of: its title, its kind and the objective."""
    problems = problems or {}
    values = values or {}
    body: list[Any] = [
        heading("Add this file to your evidence"),
        _school_line(appraisal),
        _file_line(received),
    ]
    if notice:
        body.append(text(notice, color="Attention", weight="Bolder"))
    title = values.get("title")
    body += [
        TextInput(
            id="title",
            label="Title",
            value=_input_value(title)
            if isinstance(title, str)
            else default_title(received.filename),
            max_length=TITLE_LIMIT,
            is_required=True,
            error_message="Give the evidence a title.",
        ),
        *_problem(problems, "title"),
    ]
    kind = values.get("kind")
    body += [
        ChoiceSetInput(
            id="kind",
            label="Kind of evidence",
            style="compact",
            choices=[Choice(title=k.label, value=k.value) for k in EvidenceKind],
            value=kind if kind in [k.value for k in EvidenceKind] else None,
            placeholder="Choose a kind",
            is_required=True,
            error_message="Choose what kind of evidence this is.",
        ),
        *_problem(problems, "kind"),
    ]
    objectives = appraisal.previous_objectives
    if objectives:
        refs = {o.ref for o in objectives}
        chosen = values.get("objective_ref")
        choices = [Choice(title="None in particular", value=NO_OBJECTIVE)]
        choices += [
            Choice(title=literal(f"{o.ref}: {_shorten(o.text, 110)}"), value=o.ref)
            for o in objectives
        ]
        body += [
            ChoiceSetInput(
                id="objective_ref",
                label="Which of last year's objectives does it support?",
                style="compact",
                choices=choices,
                value=chosen if isinstance(chosen, str) and chosen in refs else NO_OBJECTIVE,
            ),
            *_problem(problems, "objective_ref"),
        ]
    else:
        body.append(
            text(
                "There are no objectives from last year to link it to, so it will be "
                "general evidence.",
                is_subtle=True,
            )
        )
    for key, message in problems.items():
        if key not in {"title", "kind", "objective_ref"}:
            body.append(text(message, color="Attention"))
    data = {"appraisal_id": appraisal.id, "version": appraisal.version}
    data["upload_id"] = received.upload_id
    return card(
        body,
        [execute("Add to my evidence", ADD_EVIDENCE, data, style="positive")],
        summary="Add this file to your evidence",
    )


def _shorten(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def build_choose_appraisal_card(
    appraisals: Sequence[Appraisal], received: ReceivedFile
) -> dict[str, Any]:
    """Ask which open appraisal a received file is for (one button each)."""
    body = [
        heading("Which appraisal is this file for?"),
        _file_line(received),
        text("You have more than one appraisal open for evidence. Choose one."),
    ]
    actions = [
        execute(
            f"{a.school_name} · {a.academic_year}",
            EVIDENCE_FOR_APPRAISAL,
            {"appraisal_id": a.id, "upload_id": received.upload_id},
        )
        for a in appraisals
    ]
    return card(body, actions, summary="Which appraisal is this file for?")


def may_change_evidence(appraisal: Appraisal, viewer_roles: frozenset[Role]) -> bool:
    """True when the viewer is the headteacher and evidence may still be added or removed."""
    rule = rule_for(appraisal.stage, Action.REMOVE_EVIDENCE)
    return rule is not None and bool(rule.roles & viewer_roles)


def _item_block(item: EvidenceItem, appraisal: Appraisal, tz: tzinfo, removable: bool) -> Container:
    facts = [item.kind.label]
    if item.objective_ref:
        facts.append(f"supports {item.objective_ref}")
    facts.append(size_text(item.size) if item.sha256 else "no file")
    facts.append(f"added {long_date(item.added_at.astimezone(tz).date())}")
    buttons = []
    if item.sha256:
        buttons.append(
            execute(
                "Send me a copy",
                SEND_EVIDENCE,
                {"appraisal_id": appraisal.id, "evidence_ref": item.ref},
            )
        )
    if removable:
        buttons.append(
            execute(
                "Remove",
                REMOVE_EVIDENCE,
                {
                    "appraisal_id": appraisal.id,
                    "version": appraisal.version,
                    "evidence_ref": item.ref,
                },
                style="destructive",
            )
        )
    items: list[Any] = [
        runs(run(f"{item.ref}  ", weight="Bolder"), run(item.title)),
        text(" · ".join(facts), is_subtle=True, spacing="None"),
    ]
    if buttons:
        items.append(ActionSet(actions=buttons, spacing="Small"))
    return Container(items=items, separator=True, spacing="Medium")


def build_evidence_list_card(
    appraisal: Appraisal,
    viewer_roles: frozenset[Role],
    tz: tzinfo,
    *,
    done: str = "",
    notice: str = "",
) -> dict[str, Any]:
    """An appraisal's evidence (for those who see it in full), newest last."""
    removable = may_change_evidence(appraisal, viewer_roles)
    count = len(appraisal.evidence)
    body: list[Any] = [heading("Evidence"), _school_line(appraisal)]
    if done:
        body.append(text(done, color="Good", weight="Bolder"))
    if notice:
        body.append(text(notice, color="Attention", weight="Bolder"))
    if not count:
        body.append(text("No evidence has been added yet."))
    shown = appraisal.evidence[-MAX_LISTED:]
    if count > len(shown):
        body.append(text(f"Showing the {len(shown)} most recent of {count} items.", is_subtle=True))
    body += [_item_block(item, appraisal, tz, removable) for item in shown]
    if removable:
        body.append(text(HOW_TO_ATTACH, is_subtle=True, spacing="Medium"))
    summary = f"{count} evidence item{'s' if count != 1 else ''}"
    return card(body, [execute("My next step", "show_next")], summary=summary)


# --- messages ---------------------------------------------------------------------------------

NOTHING_STORED = "Nothing was stored."


def file_refused_card(
    filename: str, reason: str, *, limit: int = 0, allowed: str = ""
) -> dict[str, Any]:
    """Why a received file was not kept (`reason` is one of the keys below)."""
    name = f"“{filename}”"
    cards = {
        "type": (
            "I can't keep this kind of file",
            [
                f"{name} is not a type of file I keep as evidence.",
                f"Evidence can be {allowed} files.",
            ],
        ),
        "too_big": (
            "This file is too big",
            [
                f"{name} is over the {size_text(limit)} limit for evidence files.",
                "Send a smaller version, for example a PDF of the pages that matter.",
            ],
        ),
        "empty": ("This file is empty", [f"{name} has nothing in it."]),
        "mismatch": (
            "This file is not what its name says",
            [
                f"The contents of {name} do not match its type. Save it again in its own "
                "program (for example as a PDF) and send it again."
            ],
        ),
        "timeout": (
            "Fetching this file took too long",
            [f"I couldn't fetch {name} from Teams in time. Please send it again in a moment."],
        ),
        "failed": (
            "I couldn't fetch this file",
            [f"Teams did not give me {name}. Please send it again in a moment."],
        ),
    }
    title, lines = cards.get(reason, cards["failed"])
    return message_card(title, [*lines, NOTHING_STORED])


def inline_image_card() -> dict[str, Any]:
    """A picture pasted into the message is not kept; say how to send it as a file."""
    return message_card(
        "Pasted pictures can't be kept",
        [
            "I can't keep a picture pasted into a message as evidence.",
            "Save the picture or screenshot as a PNG or JPEG file, then attach the file: choose "
            "the paperclip (Attach file) below the message box, pick the file and send it.",
            NOTHING_STORED,
        ],
    )


def not_headteacher_card() -> dict[str, Any]:
    """Someone who is not a headteacher sent a file."""
    return message_card(
        "Only headteachers add evidence",
        [
            "Headteachers add evidence to their own appraisal by sending me files. You are not "
            "the headteacher on any appraisal, so I haven't kept this file.",
            NOTHING_STORED,
        ],
        [execute("All my appraisals", "show_status")],
    )


def nothing_open_card() -> dict[str, Any]:
    """A headteacher sent a file, but none of their appraisals takes evidence now."""
    return message_card(
        "No appraisal is open for evidence",
        [
            "Evidence can be added until the review meeting is recorded. None of your "
            "appraisals is at that point now, so I haven't kept this file.",
            NOTHING_STORED,
        ],
        [execute("All my appraisals", "show_status")],
    )


def evidence_refused_card(message: str) -> dict[str, Any]:
    """An evidence button that was refused; nothing changed."""
    return message_card(
        "That was not done",
        [message, "Nothing was changed."],
        [execute("All my appraisals", "show_status")],
    )


# --- Teams file cards -------------------------------------------------------------------------


def file_consent_attachment(
    name: str, size: int, context: dict[str, Any], description: str
) -> dict[str, Any]:
    """A FileConsentCard: asks to save `name` in the person's OneDrive (personal chat only)."""
    return {
        "contentType": FILE_CONSENT_TYPE,
        "name": name,
        "content": {
            "description": description,
            "sizeInBytes": size,
            "acceptContext": context,
            "declineContext": context,
        },
    }


def file_info_attachment(
    name: str, content_url: str, unique_id: str, file_type: str
) -> dict[str, Any]:
    """The card of a file the bot saved in the person's OneDrive."""
    return {
        "contentType": FILE_INFO_TYPE,
        "contentUrl": content_url,
        "name": name,
        "content": {"uniqueId": unique_id, "fileType": file_type},
    }
