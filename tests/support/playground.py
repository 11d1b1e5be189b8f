"""A page object for the Microsoft 365 Agents Playground (0.2.x) driven by Playwright's sync API.

What the Playground renders (learned by inspecting its DOM with Playwright; its CSS classes are
hashed Fluent UI classes such as `___1ym7fv1 f22iagw`, so nothing here relies on them):

- The page: a chat list on the left; the personal chat in the middle; a "Log Panel" on the right
  that lists every activity with its HTTP status ("Microsoft 365 Agents Playground -> User
  Application invoke 200"). Clicking a log entry shows its JSON under "Request" / "Response" tabs.
- Each page load starts a **new conversation**: the Playground sends `conversationUpdate` and
  `installationUpdate` to the bot, at the same moment, and the history of an earlier load is
  gone. The bot answers the installation with a welcome card, so `Chat.open` waits for both to
  be logged and for the chat to go quiet before anything is typed.
- The message box is a Lexical editor, `[data-lexical-editor=true]` (role textbox); Enter sends.
- Every message is a `div` whose first child is `[aria-label="Message header"]`; the bot's
  messages also have `[aria-label="Message author"]` ("HTPM bot") in that header, the person's own
  do not. A bot card sits in `.fai-OutputCard > … > .ac-preview-panel > .ac-adaptiveCard`.
  The OutputCard also holds a `[role=progressbar].fai-OutputCard__progress` and, after an
  `Action.Execute`, a "Your response was sent to the app" bar below the card.
- Cards are the Adaptive Cards JS renderer with Fluent UI v9 controls (the Teams look):
  text is `.ac-textBlock` / `.ac-richTextBlock > .ac-textRun`, containers `.ac-container`,
  separators `.ac-horizontal-separator`, buttons `.ac-actionSet button[title]`.
- Element ids are random (`__ac-<uuid>`): **the card's input `id` does not reach the DOM**, so
  inputs are found by their `label`: each labelled input is preceded by
  `<label class="ac-richTextBlock" for="<id of the control>">Label<span>*</span></label>` (the
  `*` when `isRequired`) and its control sits in the next `.ac-input-container`. An input without
  a label can only be found by its placeholder (`aria-label` of the control).
- Validation: an empty required input stops an Action.Execute in the browser (nothing is sent);
  the input is focused and its `errorMessage` appears as `.ac-textBlock` right after its
  `.ac-input-container`.
- `Action.Execute` is sent as an `invoke` (`adaptiveCard/action`) with the verb, the action's data
  and every non-empty input by its card id; the invoke response's card **replaces the card in
  place** (same message). `Action.ShowCard` toggles `aria-expanded` on its button and renders the
  inner card (a nested `.ac-adaptiveCard`) under the action set only while expanded.
- A card with `refresh.userIds` (user-specific views) is shown as sent, with "User specific view
  is not supported yet in Microsoft 365 Agents playground" under it and in the Log Panel: the
  Playground never sends the automatic `refresh` invoke that Teams would.
- It asks a CDN for Segoe UI fonts and an animation worklet; offline these fail harmlessly (the
  tests abort every request that is not to 127.0.0.1). Its page script is ~9 MB: a page takes
  ~3 s of CPU to load, the bulk of each person's first-use cost.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.servers import BOUND, E2EFailure

EDITOR = "[data-lexical-editor=true]"
#: Every message in the chat, oldest first (the person's and the bot's).
MESSAGE = "xpath=//div[div[@aria-label='Message header']]"
#: A message's own card (not the inner card of an Action.ShowCard).
TOP_CARD = ".ac-preview-panel > .ac-adaptiveCard"
PROGRESS = ".fai-OutputCard__progress"
#: An input's errorMessage, shown (in red) under its control when validation fails.
ERROR_MESSAGE = ".ac-input-container + .ac-textBlock"

#: JS: the index (among all messages) of the bot's first message after the person's last message
#: that reads `text`, at or after index `start`; -1 while there is none.
_REPLY_INDEX = """([text, start]) => {
  const items = [...document.querySelectorAll("[aria-label='Message header']")]
    .map((header) => header.parentElement);
  const isBot = (item) => item.querySelector("[aria-label='Message author']") !== null;
  let mine = -1;
  for (let i = start; i < items.length; i++) {
    if (!isBot(items[i]) && items[i].innerText.trim().endsWith(text)) mine = i;
  }
  if (mine < 0) return -1;
  for (let i = mine + 1; i < items.length; i++) {
    if (isBot(items[i]) && items[i].querySelector(".ac-adaptiveCard, p, span")) return i;
  }
  return -1;
}"""

#: JS: what kind of Adaptive Card input an element (the target of a label's `for`) is.
_INPUT_KIND = """(el) => {
  if (el.getAttribute("role") === "radiogroup") return "radios";
  if (el.tagName === "TEXTAREA") return "text";
  if (el.tagName !== "INPUT") return el.querySelector("input[type=checkbox]") ? "checks" : "other";
  if (el.type === "checkbox") return "toggle";
  if (el.closest(".fui-DatePicker")) return "date";
  if (el.closest(".fui-TimePicker")) return "time";
  if (el.closest(".fui-Combobox")) return "choice";
  return "text";
}"""

#: JS: the labels of the card's required inputs that are still empty.
_EMPTY_REQUIRED = """(card) => [...card.querySelectorAll("[aria-required=true]")]
  .filter((el) => {
    if (el.getAttribute("role") === "radiogroup") return !el.querySelector("input:checked");
    if (el.type === "checkbox") return false;
    return "value" in el && !el.value;
  })
  .map((el) => {
    const label = card.querySelector(`label[for="${el.id}"]`);
    if (!label) return el.getAttribute("aria-label");
    return label.innerText.replace(/\\s*\\*\\s*$/, "").trim();
  })"""


@dataclass
class Artifacts:
    """Screenshots of every step: artifacts/e2e/<test>/<nn>-<step>.png under the repository."""

    root: Path
    folder: Path | None = None
    count: int = 0
    #: every Chat opened; each is photographed again when a test fails
    chats: list[Chat] = field(default_factory=list)

    def start_test(self, name: str) -> None:
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
        self.folder = self.root / safe
        if self.folder.exists():
            for old in self.folder.glob("*.png"):
                old.unlink()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def next_path(self, step: str) -> Path:
        if self.folder is None:
            self.start_test("outside-a-test")
        assert self.folder is not None
        self.count += 1
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-").lower()[:60]
        return self.folder / f"{self.count:02d}-{safe}.png"


class Chat:
    """One person's Playground page: type to the bot, read its cards, press their buttons."""

    def __init__(
        self,
        page: Page,
        url: str,
        person: str,
        artifacts: Artifacts,
        diagnostics: Callable[[], str] = lambda: "",
        bound: float = BOUND,
    ) -> None:
        self.page = page
        self.url = url
        self.person = person
        self.artifacts = artifacts
        self.diagnostics = diagnostics
        self.bound = bound
        self.filled_since_screenshot = False

    # -- waiting -------------------------------------------------------------------------------

    def fail(self, problem: str) -> E2EFailure:
        """An E2EFailure saying what went wrong, with a screenshot and the log tails."""
        try:
            shot = self.screenshot(f"failed-{problem}")
        except Exception as exc:  # the page itself may be gone
            shot = f"(no screenshot: {exc})"
        return E2EFailure(f"[{self.person}] {problem}\nScreenshot: {shot}\n{self.diagnostics()}")

    def timed_out(self, what: str) -> E2EFailure:
        """The failure for a bounded wait that ran out."""
        return self.fail(f"waited {self.bound:.0f} s for {what}")

    def wait_js(self, what: str, script: str, arg: object = None) -> object:
        """Wait (bounded) until `script(arg)` is truthy in the page; return its value."""
        try:
            handle = self.page.wait_for_function(
                script, arg=arg, timeout=self.bound * 1000, polling=100
            )
        except PlaywrightTimeout:
            raise self.timed_out(what) from None
        return handle.json_value()

    def wait_until(self, what: str, probe: Callable[[], object]) -> object:
        """Wait (bounded) until `probe()` (Python, reading the page) returns something truthy."""
        deadline = time.monotonic() + self.bound
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise self.timed_out(what)
            time.sleep(0.1)

    def quiet(self, seconds: float = 0.4) -> None:
        """Wait until no message has arrived for `seconds` and no card is busy (bounded)."""
        last, since = -1, time.monotonic()

        def settled() -> bool:
            nonlocal last, since
            count = self.messages().count()
            busy = self.page.locator(f"{PROGRESS}:visible").count() > 0
            if count != last or busy:
                last, since = count, time.monotonic()
                return False
            return time.monotonic() - since >= seconds

        self.wait_until("the chat to go quiet", settled)

    # -- the page ------------------------------------------------------------------------------

    def open(self) -> Chat:
        """Load the Playground: a new conversation, answered by the bot, quiet before we type."""
        try:
            self.page.goto(self.url, timeout=self.bound * 1000)
            self.page.locator(EDITOR).wait_for(timeout=self.bound * 1000)
        except PlaywrightTimeout:
            raise self.timed_out("the Playground page to load") from None
        for kind in ("conversationUpdate", "installationUpdate"):
            self.wait_until(f"the bot to answer {kind}", lambda k=kind: self.logged(k))
        self.quiet()
        self.screenshot("opened")
        return self

    def screenshot(self, step: str) -> Path:
        """The page as the person sees it, kept under artifacts/e2e/<test>/<nn>-<person>-<step>."""
        path = self.artifacts.next_path(f"{self.person}-{step}")
        self.page.screenshot(path=str(path), timeout=self.bound * 1000)
        self.filled_since_screenshot = False
        return path

    def messages(self) -> Locator:
        """Every message in the chat, oldest first."""
        return self.page.locator(MESSAGE)

    def send(self, text: str) -> Card:
        """Type `text` and press Enter; return the card the bot replies with."""
        start = self.messages().count()
        editor = self.page.locator(EDITOR)
        editor.click(timeout=self.bound * 1000)
        editor.fill(text, timeout=self.bound * 1000)
        editor.press("Enter", timeout=self.bound * 1000)
        index = self.wait_js(
            f"a reply to {text!r}", f"(a) => ({_REPLY_INDEX})(a) + 1", [text, start]
        )
        card = Card(self, self.messages().nth(int(index) - 1).locator(TOP_CARD).first)
        card.wait_visible(f"the card replying to {text!r}")
        self.screenshot(f"reply-to-{text}")
        return card

    def newest_card(self) -> Card:
        """The newest card the bot has sent (waits for one)."""
        newest = self.page.locator(TOP_CARD).last
        card = Card(self, newest)
        card.wait_visible("a card from the bot")
        return card

    # -- the log panel -------------------------------------------------------------------------

    def log_entries(self, kind: str) -> Locator:
        """Log Panel entries for one activity type with their HTTP status, e.g. 'invoke 200'."""
        return self.page.get_by_text(re.compile(rf"^{re.escape(kind)} \d{{3}}$"))

    def logged(self, kind: str) -> list[int]:
        """The HTTP statuses logged so far for activities of `kind`, oldest first."""
        return [int(t.rsplit(" ", 1)[1]) for t in self.log_entries(kind).all_inner_texts()]

    def logged_request(self, kind: str = "invoke") -> dict:
        """The JSON of the newest logged activity of `kind`, as the Playground sent it."""
        entries = self.log_entries(kind)
        if entries.count() == 0:
            raise self.fail(f"nothing of type {kind!r} is in the Log Panel")
        entries.last.click(timeout=self.bound * 1000)
        self.page.get_by_role("tab", name="Request").click(timeout=self.bound * 1000)
        # The JSON viewer is the contenteditable block after the Request/Response tab list.
        viewer = self.page.locator(
            "xpath=//*[@role='tablist']/ancestor::div[following-sibling::div[@contenteditable]][1]"
            "/following-sibling::div[@contenteditable][1]"
        )
        try:
            text = viewer.inner_text(timeout=self.bound * 1000)
        except PlaywrightTimeout:
            raise self.timed_out(f"the logged {kind}'s JSON") from None
        return json.loads(text)


class Card:
    """One Adaptive Card in the chat as the Teams renderer shows it."""

    def __init__(self, chat: Chat, locator: Locator, top: Locator | None = None) -> None:
        self.chat = chat
        self.locator = locator
        #: the message's own card: an inner (ShowCard) card's parent, else this card
        self.top = top if top is not None else locator

    def wait_visible(self, what: str) -> None:
        try:
            self.locator.wait_for(state="visible", timeout=self.chat.bound * 1000)
        except PlaywrightTimeout:
            raise self.chat.timed_out(what) from None

    def screenshot(self, step: str) -> Path:
        """The whole card however tall, as <nn>-<person>-<step>-card.png beside the page's shots.

        The chat scrolls inside its pane, so a card taller than the pane is cut off both in a
        page screenshot and in an element one; the page is made tall enough for a moment.
        """
        chat, page = self.chat, self.chat.page
        ms = chat.bound * 1000
        size = page.viewport_size
        path = chat.artifacts.next_path(f"{chat.person}-{step}-card")
        try:
            box = self.top.bounding_box(timeout=ms)
            if size and box and box["height"] + 300 > size["height"]:
                page.set_viewport_size({"width": size["width"], "height": int(box["height"]) + 300})
            self.top.screenshot(path=str(path), timeout=ms)
        except PlaywrightTimeout:
            raise chat.timed_out("a screenshot of the card") from None
        finally:
            if size:
                page.set_viewport_size(size)
        return path

    def text(self) -> str:
        """The card's visible text (its buttons' titles included), one line per block."""
        return self.locator.inner_text(timeout=self.chat.bound * 1000)

    def wait_for_text(self, *needles: str) -> str:
        """Wait (bounded) until the card shows every one of `needles`; return its text."""

        def shows() -> str | None:
            try:
                text = self.locator.inner_text(timeout=1000)
            except PlaywrightTimeout:
                return None
            return text if all(n in text for n in needles) else None

        try:
            return str(self.chat.wait_until(f"a card showing {list(needles)}", shows))
        except E2EFailure as failure:
            try:
                now = self.locator.inner_text(timeout=1000)
            except PlaywrightTimeout:
                now = "(no card)"
            raise E2EFailure(f"{failure}\n--- the card reads:\n{now}") from None

    def buttons(self) -> list[str]:
        """The titles of the card's buttons (its actions, inner cards' ones included)."""
        return self.locator.locator(".ac-actionSet button[title]").evaluate_all(
            "(buttons) => buttons.map((b) => b.title)"
        )

    def button(self, title: str) -> Locator:
        """The button of the action titled `title` (Action.Execute, ShowCard, Submit …)."""
        return self.locator.locator(f".ac-actionSet button[title={json.dumps(title)}]").first

    # -- inputs: the step cards' helper (Input.Date, Input.Time, Input.Text, ChoiceSet, Toggle) --

    def input(self, label: str) -> Locator:
        """The control of the input labelled `label` (the card's `label`, without the `*`).

        The renderer links `<label class="ac-richTextBlock" for=…>` to the control: an `input`
        (Input.Text, Input.Number, Input.Date, Input.Time, Toggle, compact ChoiceSet), a
        `textarea` (Input.Text with isMultiline), a `div[role=radiogroup]` (expanded ChoiceSet)
        or a `div` of checkboxes (expanded ChoiceSet with isMultiSelect). An input with no label
        is found by its placeholder instead, which the renderer puts in the control's aria-label.
        """
        pattern = re.compile(rf"^\s*{re.escape(label)}(\s*\*)?\s*$")
        labels = self.locator.locator("label.ac-richTextBlock").filter(has_text=pattern)
        if labels.count() == 0:
            by_placeholder = self.locator.locator(f"[aria-label={json.dumps(label)}]")
            if by_placeholder.count() == 1:
                return by_placeholder
            known = self.locator.locator("label.ac-richTextBlock").all_inner_texts()
            raise self.chat.fail(f"no input labelled {label!r}; the labels are {known}")
        target = labels.first.get_attribute("for")
        return self.locator.locator(f"[id={json.dumps(target)}]")

    def fill(self, label: str, value: str | bool | Sequence[str]) -> Card:
        """Set the input labelled `label` as a person would; returns the card for chaining.

        - Input.Date: `value` is `YYYY-MM-DD`. The control is a Fluent DatePicker text box
          (`.fui-DatePicker input[role=combobox]`); typing the ISO date and Enter shows it as
          "November 20, 2026" and the invoke carries "2026-11-20". Enter also opens its calendar
          popup (over the card's buttons), so it is closed with Escape, which keeps the date.
        - Input.Time: `HH:MM` (24-hour). A Fluent TimePicker combobox (`.fui-TimePicker`) that
          accepts typed text; the invoke carries "10:30".
        - Input.Text / Input.Number: typed as is (a `textarea` when isMultiline; Number is a
          `role=spinbutton` text box and arrives as a string, e.g. "3").
        - Input.ChoiceSet, compact (the default): a Fluent Combobox; `value` is the **title**
          the person sees. The options (`role=option`) open in a popup outside the card.
          The invoke carries the choice's value.
        - Input.ChoiceSet, expanded: radio buttons (`value` is the title); with isMultiSelect,
          checkboxes (`value` is a list of titles; the invoke carries "v1,v2").
        - Input.Toggle: `value` is True/False; a checkbox whose name is the toggle's title; the
          invoke carries "true"/"false" (its valueOn/valueOff).
        Empty inputs are left out of the invoke's data altogether (a Toggle is never empty: left
        alone it sends "false"). A button on a ShowCard's inner card sends, and validates, the
        outer card's inputs too; an empty required input anywhere stops it (see `click`).
        """
        control = self.input(label)
        ms = self.chat.bound * 1000
        kind = control.evaluate(_INPUT_KIND)
        if kind == "toggle":
            control.set_checked(bool(value), timeout=ms)
        elif kind == "radios":
            control.get_by_role("radio", name=str(value), exact=True).check(timeout=ms)
        elif kind == "checks":
            wanted = {value} if isinstance(value, str) else set(value)  # type: ignore[arg-type]
            for box in control.get_by_role("checkbox").all():
                box.set_checked(box.get_attribute("aria-label") in wanted, timeout=ms)
        elif kind == "choice":
            control.click(timeout=ms)
            self.chat.page.get_by_role("option", name=str(value), exact=True).click(timeout=ms)
        elif kind in ("date", "time"):
            control.fill(str(value), timeout=ms)
            control.press("Enter", timeout=ms)
            # Enter leaves the DatePicker's calendar open over whatever is below it (the card's
            # buttons too); a person would close it. Escape keeps the date taken.
            if control.get_attribute("aria-expanded", timeout=ms) == "true":
                control.press("Escape", timeout=ms)
            if not control.input_value(timeout=ms):
                raise self.chat.fail(f"the {kind} input {label!r} did not take {value!r}")
        elif kind == "text":
            control.fill(str(value), timeout=ms)
        else:
            raise self.chat.fail(f"cannot fill {label!r}: an unknown kind of control")
        self.chat.filled_since_screenshot = True
        return self

    # -- actions -------------------------------------------------------------------------------

    def click(self, title: str) -> Card:
        """Press an Action.Execute button and wait for the bot's answer; return the card to read.

        The Playground sends the invoke and logs it ("invoke 200"); the card in the invoke
        response replaces the message's card in place (for a button on a ShowCard's inner card,
        the whole outer card), and that card is returned. If the bot answered with a new
        message instead, the new card is returned. Raises unless the invoke is answered with 200.
        If a required input is empty the renderer sends nothing: it focuses the input and shows
        its errorMessage (`.ac-input-container + .ac-textBlock`), or nothing if it has none.
        This raises after 2 s naming the empty inputs and the messages shown.
        """
        chat = self.chat
        if chat.filled_since_screenshot:
            chat.screenshot(f"filled-before-{title}")
        before_invokes = len(chat.logged("invoke"))
        before_messages = chat.messages().count()
        before_text = _text_now(self.top)
        button = self.button(title)
        try:
            button.click(timeout=chat.bound * 1000)
        except PlaywrightTimeout:
            raise chat.timed_out(f"a button {title!r}; the buttons are {self.buttons()}") from None
        statuses = self._wait_for_invoke(title, before_invokes)
        if statuses[0] != 200:
            raise chat.fail(f"the invoke for {title!r} was answered with {statuses[0]}")
        chat.quiet()
        result = Card(chat, self.top)
        if chat.messages().count() > before_messages:
            newest = chat.messages().last.locator(TOP_CARD)
            if newest.count():
                result = Card(chat, newest.first)
        else:
            # Replaced in place: give the renderer a moment to swap the content (bounded; the
            # bot may also have answered with the very same card).
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and _text_now(self.top) == before_text:
                time.sleep(0.1)
        chat.screenshot(f"clicked-{title}")
        return result

    def _wait_for_invoke(self, title: str, before: int) -> list[int]:
        """The statuses of the invokes logged since `before`; fails fast if the card refused."""
        chat = self.chat
        start = time.monotonic()
        while True:
            statuses = chat.logged("invoke")[before:]
            if statuses:
                return statuses
            waited = time.monotonic() - start
            if waited > 2:
                # The renderer validates every input of the whole card (a ShowCard's parent
                # too) and, if a required one is empty, sends nothing and focuses it: no error.
                empty = self.top.evaluate(_EMPTY_REQUIRED)
                if empty:
                    shown = self.top.locator(f"{ERROR_MESSAGE}:visible").all_inner_texts()
                    raise chat.fail(
                        f"the card sent nothing for {title!r}: these required inputs are "
                        f"empty: {empty}; it shows {shown}"
                    )
            if waited > chat.bound:
                raise chat.timed_out(f"the invoke for {title!r} to be answered")
            time.sleep(0.1)

    def show(self, title: str) -> Card:
        """Press an Action.ShowCard button; return its inner card (now shown under the actions)."""
        chat = self.chat
        button = self.button(title)
        try:
            if button.get_attribute("aria-expanded", timeout=chat.bound * 1000) != "true":
                button.click(timeout=chat.bound * 1000)
            self.locator.locator(".ac-adaptiveCard").last.wait_for(timeout=chat.bound * 1000)
        except PlaywrightTimeout:
            raise chat.timed_out(
                f"the card behind {title!r}; the buttons are {self.buttons()}"
            ) from None
        chat.screenshot(f"shown-{title}")
        return Card(chat, self.locator.locator(".ac-adaptiveCard").last, top=self.top)


def _text_now(card: Locator) -> str | None:
    """The card's text if it is there now (no waiting), else None."""
    try:
        return card.inner_text(timeout=1000)
    except PlaywrightTimeout:
        return None
