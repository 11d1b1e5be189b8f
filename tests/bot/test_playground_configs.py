"""Agents Playground configs: one per demo person, matching `htpm demo`'s roster exactly."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from bot.demo import DEMO_DOMAIN, DEMO_PEOPLE

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "deployment" / "playground"
PLAYGROUND = ROOT / "node_modules" / "@microsoft" / "m365agentsplayground"
#: the Playground's person name -> the demo person it signs in as, and their role
PERSONS = {
    "headteacher": "Hannah Lewis",
    "reviewer": "Rhona Patel",
    "dceo": "Dana Whitfield",
    "governor": "Gareth Evans",
}


def demo_people() -> dict[str, dict]:
    """The demo roster by Entra object id: name, email and every role held."""
    people: dict[str, dict] = {}
    for name, local, role, _school, guid in DEMO_PEOPLE:
        person = people.setdefault(
            guid, {"name": name, "email": f"{local}@{DEMO_DOMAIN}", "roles": set()}
        )
        person["roles"].add(role)
    return people


def load(person: str) -> dict:
    return yaml.safe_load((CONFIGS / person / ".m365agentsplayground.yml").read_text())


def _js_string(literal: str) -> str:
    """Decode the body of a single-quoted JavaScript string literal."""
    simple = {"n": "\n", "t": "\t", "r": "\r", "'": "'", '"': '"', "\\": "\\", "/": "/"}

    def unescape(match: re.Match) -> str:
        escape = match.group(1)
        if escape[0] in "ux":
            return chr(int(escape[1:], 16))
        return simple[escape]

    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", unescape, literal)


def playground_config_schema() -> dict:
    """The config-file schema the installed Playground validates against (from its bundle)."""
    bundle = PLAYGROUND / "dist" / "index.js"
    if not bundle.is_file():
        pytest.fail(
            f"The Agents Playground is not installed ({bundle} is missing). "
            "Run ./scripts/test, which installs the Node tools (needs Node.js 20+ and npm)."
        )
    source = bundle.read_text(encoding="utf-8")
    # The bundle holds it as JSON.parse('{"$id":"…/config.schema.json",…}').
    found = re.search(
        r"JSON\.parse\('(\{\"\$id\":\"[^']*?config\.schema\.json\"(?:[^'\\]|\\.)*)'\)", source
    )
    if found is None:
        version = json.loads((PLAYGROUND / "package.json").read_text())["version"]
        pytest.fail(
            f"Cannot find the config-file schema in Agents Playground {version}'s bundle; "
            "update playground_config_schema() in this test for the new layout."
        )
    schema = json.loads(_js_string(found.group(1)))
    assert schema["title"] == "ConfigFile"
    return schema


@pytest.mark.parametrize("person", PERSONS)
def test_each_config_is_valid_for_the_installed_playground(person):
    validator = Draft7Validator(playground_config_schema())
    errors = [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in validator.iter_errors(load(person))
    ]
    assert errors == []


def test_the_schema_check_catches_a_broken_config():
    config = load("headteacher")
    config["users"] = config["users"][:4]  # the Playground wants exactly five other users
    del config["currentUser"]["aadObjectId"]
    messages = [e.message for e in Draft7Validator(playground_config_schema()).iter_errors(config)]
    assert any("aadObjectId" in m for m in messages), messages
    assert any("too short" in m or "fewer than" in m for m in messages), messages


@pytest.mark.parametrize(("person", "name"), PERSONS.items())
def test_the_current_user_is_the_demo_person_in_that_role(person, name):
    me = load(person)["currentUser"]
    people = demo_people()
    assert me["aadObjectId"] in people, f"{me['aadObjectId']} is not a demo person's object id"
    demo = people[me["aadObjectId"]]
    assert (me["name"], me["email"]) == (name, demo["email"])
    assert demo["name"] == name
    assert person in demo["roles"]
    assert me["userPrincipleName"] == me["email"]  # the Playground's spelling
    assert f"{me['givenName']} {me['surname']}" == me["name"]


@pytest.mark.parametrize("person", PERSONS)
def test_the_other_users_are_demo_people_too(person):
    config = load(person)
    people = demo_people()
    ids = [config["currentUser"]["id"]]
    for user in config["users"]:
        demo = people.get(user["aadObjectId"])
        assert demo is not None, f"{user['name']} is not in the demo roster"
        assert (user["name"], user["email"], user["userPrincipleName"]) == (
            demo["name"],
            demo["email"],
            demo["email"],
        )
        ids.append(user["id"])
    assert len(set(ids)) == len(ids)
    objects = [config["currentUser"]["aadObjectId"]] + [u["aadObjectId"] for u in config["users"]]
    assert len(set(objects)) == len(objects)


def test_every_person_shares_one_tenant_and_bot_but_has_their_own_chat():
    configs = [load(person) for person in PERSONS]
    assert len({c["tenantId"] for c in configs}) == 1
    assert len({c["bot"]["id"] for c in configs}) == 1
    assert {c["bot"]["name"] for c in configs} == {"HTPM bot"}
    assert len({c["personalChat"]["id"] for c in configs}) == len(configs)


def test_there_is_a_config_for_each_person_and_no_other():
    assert sorted(p.name for p in CONFIGS.iterdir() if p.is_dir()) == sorted(PERSONS)


def test_the_demo_script_refuses_an_unknown_person():
    script = ROOT / "scripts" / "demo"
    assert os.access(script, os.X_OK)
    for args in (["admin"], ["headteacher", "extra"], ["--help"]):
        result = subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=30, check=False
        )
        assert result.returncode == 2
        assert "Usage: ./scripts/demo [PERSON]" in result.stderr
        for person, name in PERSONS.items():
            assert f"{person} ({name})" in result.stderr
