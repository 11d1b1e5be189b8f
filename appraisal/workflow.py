"""The cycle as a table: (stage, action) -> next stage, and who may take each action.

`apply` checks the table and the acting person's roles before anything changes, then runs the
action's step (its guards and effects) and returns the new appraisal with its audit event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from appraisal.calendar import WorkingCalendar
from appraisal.commands import Command
from appraisal.errors import ActionNotAllowed
from appraisal.model import Actor, Appraisal, AuditEvent
from appraisal.policy import CyclePolicy
from appraisal.roles import Role
from appraisal.stages import Action, Stage
from appraisal.steps import ROUTES, STEPS, StepContext, describe

H, R, G = Role.HEADTEACHER, Role.REVIEWER, Role.GOVERNOR
S, A = Stage, Action

#: Stages before the meeting is recorded: the headteacher may still prepare.
BEFORE_MEETING = (
    S.AWAITING_DATE,
    S.DATE_PROPOSED,
    S.DATE_COUNTER_PROPOSED,
    S.AWAITING_GOVERNOR,
    S.PREPARATION,
)


@dataclass(frozen=True)
class Rule:
    """One row of the table: in `stage`, `action` by one of `roles` moves the appraisal `to`.

    `also`: other stages the action may lead to, chosen by its route in `steps.ROUTES` (a
    governor's answer moves the meeting on only once every governor has answered).
    """

    stage: Stage
    action: Action
    to: Stage
    roles: frozenset[Role]
    also: tuple[Stage, ...] = ()

    @property
    def outcomes(self) -> tuple[Stage, ...]:
        """Every stage this rule may lead to."""
        return (self.to, *self.also)


def _rule(stage: Stage, action: Action, to: Stage, *roles: Role, also=()) -> Rule:
    return Rule(stage, action, to, frozenset(roles), tuple(also))


RULES: tuple[Rule, ...] = (
    _rule(S.AWAITING_DATE, A.PROPOSE_DATE, S.DATE_PROPOSED, R),
    _rule(S.DATE_PROPOSED, A.PROPOSE_DATE, S.DATE_PROPOSED, R),
    _rule(S.DATE_PROPOSED, A.CONFIRM_DATE, S.AWAITING_GOVERNOR, H),
    _rule(S.DATE_PROPOSED, A.PROPOSE_OTHER_DATE, S.DATE_COUNTER_PROPOSED, H),
    _rule(S.DATE_COUNTER_PROPOSED, A.ACCEPT_DATE, S.AWAITING_GOVERNOR, R),
    _rule(S.DATE_COUNTER_PROPOSED, A.PROPOSE_DATE, S.DATE_PROPOSED, R),
    # Each governor answers; the meeting goes ahead once all have and one can attend.
    _rule(
        S.AWAITING_GOVERNOR, A.CONFIRM_AVAILABILITY, S.PREPARATION, G, also=[S.AWAITING_GOVERNOR]
    ),
    _rule(
        S.AWAITING_GOVERNOR,
        A.DECLINE_AVAILABILITY,
        S.AWAITING_DATE,
        G,
        also=[S.AWAITING_GOVERNOR, S.PREPARATION],
    ),
    _rule(S.AWAITING_GOVERNOR, A.PROPOSE_DATE, S.DATE_PROPOSED, R),
    _rule(S.PREPARATION, A.PROPOSE_DATE, S.DATE_PROPOSED, R),
    _rule(S.PREPARATION, A.SEND_PRE_READING, S.PREPARATION, R),
    *(_rule(stage, A.SELF_EVALUATE, stage, H) for stage in BEFORE_MEETING),
    *(_rule(stage, A.ADD_EVIDENCE, stage, H) for stage in BEFORE_MEETING),
    *(_rule(stage, A.REMOVE_EVIDENCE, stage, H) for stage in BEFORE_MEETING),
    _rule(S.PREPARATION, A.RECORD_MEETING, S.MEETING_HELD, R),
    _rule(S.MEETING_HELD, A.RECORD_MEETING, S.MEETING_HELD, R),
    _rule(S.MEETING_HELD, A.SUBMIT_DRAFT, S.DRAFT_WITH_HEADTEACHER, R),
    _rule(S.DRAFT_WITH_HEADTEACHER, A.APPROVE, S.APPROVED, H),
    _rule(S.DRAFT_WITH_HEADTEACHER, A.REQUEST_CHANGES, S.CHANGES_REQUESTED, H),
    _rule(S.CHANGES_REQUESTED, A.RECORD_MEETING, S.CHANGES_REQUESTED, R),
    _rule(S.CHANGES_REQUESTED, A.SUBMIT_DRAFT, S.DRAFT_WITH_HEADTEACHER, R),
    _rule(S.APPROVED, A.ISSUE_FINAL, S.FINAL_ISSUED, R),
    _rule(S.FINAL_ISSUED, A.SHARE_WITH_GOVERNOR, S.SHARED, H),
    _rule(S.SHARED, A.ACKNOWLEDGE, S.MID_YEAR_DUE, G),
    # The reviewer records it, or the governor when the meeting named them to hold it.
    _rule(S.MID_YEAR_DUE, A.RECORD_MID_YEAR, S.COMPLETE, R, G),
)

TABLE: dict[tuple[Stage, Action], Rule] = {(rule.stage, rule.action): rule for rule in RULES}

#: Actions whose repetition restarts the clock for whoever answers them.
_RESTARTS_CLOCK = frozenset({A.PROPOSE_DATE})


@dataclass(frozen=True)
class Transition:
    """The outcome of an action: the changed appraisal and the audit event recording it."""

    appraisal: Appraisal
    event: AuditEvent


def rule_for(stage: Stage, action: Action) -> Rule | None:
    """The table row for an action at a stage, if the action applies there."""
    return TABLE.get((stage, action))


def allowed_actions(appraisal: Appraisal, roles: Iterable[Role]) -> list[Action]:
    """The actions these roles may take on the appraisal now, in table order."""
    held = frozenset(roles)
    return [r.action for r in RULES if r.stage is appraisal.stage and r.roles & held]


def _roles_phrase(roles: frozenset[Role]) -> str:
    names = sorted(role.label for role in roles)
    return " or the ".join(names)


def check_allowed(appraisal: Appraisal, action: Action, actor: Actor) -> Rule:
    """The rule that lets this actor take this action now, or ActionNotAllowed saying why not."""
    rule = rule_for(appraisal.stage, action)
    if rule is None:
        raise ActionNotAllowed(
            f"“{action.label}” is not possible now: this appraisal is at “{appraisal.stage.label}”."
        )
    if not actor.roles & rule.roles:
        raise ActionNotAllowed(f"Only the {_roles_phrase(rule.roles)} can {action.label.lower()}.")
    return rule


def apply(
    appraisal: Appraisal,
    command: Command,
    actor: Actor,
    now: datetime,
    calendar: WorkingCalendar,
    policy: CyclePolicy,
) -> Transition:
    """Take one action: check the table and roles, run the step's guards, return the new state."""
    rule = check_allowed(appraisal, command.action, actor)
    changed = STEPS[command.action](appraisal, command, StepContext(actor, now, calendar, policy))
    route = ROUTES.get(command.action)
    to = route(changed) if route is not None else rule.to
    if to not in rule.outcomes:
        raise AssertionError(f"{command.action} led to {to}, which its rule does not list")
    moves = to is not appraisal.stage or command.action in _RESTARTS_CLOCK
    new = replace(
        changed,
        stage=to,
        version=appraisal.version + 1,
        stage_entered_at=now if moves else appraisal.stage_entered_at,
    )
    event = AuditEvent(
        appraisal_id=appraisal.id,
        actor_id=actor.person_id,
        at=now,
        action=command.action.value,
        from_stage=appraisal.stage,
        to_stage=to,
        detail=describe(command, calendar),
    )
    return Transition(new, event)


def mermaid() -> str:
    """The table as a Mermaid state diagram (the README shows it; a test keeps them in step)."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.AWAITING_DATE.value}"]
    for rule in RULES:
        who = "/".join(sorted(role.value for role in rule.roles))
        for to in rule.outcomes:
            if to is not rule.stage:
                lines.append(f"    {rule.stage.value} --> {to.value}: {rule.action.value} ({who})")
    lines.append(f"    {S.COMPLETE.value} --> [*]")
    return "\n".join(lines)
