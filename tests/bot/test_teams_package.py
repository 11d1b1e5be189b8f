"""The Teams app package: a manifest valid against Microsoft's schema, the icons, and the CLI."""

from __future__ import annotations

import copy
import json
import os
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft7Validator, validators
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT4
from typer.testing import CliRunner

from bot.cli import app
from bot.teams_bot import COMMANDS
from bot.teams_package import TEMPLATE_DIR, build_teams_package, filled_manifest, public_host
from cards.help import build_help_card

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "node_modules" / "@microsoft" / "app-manifest" / "build" / "json-schemas" / "teams"
SCHEMA_URL = "https://developer.microsoft.com/json-schemas/teams/v{version}/{name}"
TEMPLATE = json.loads((TEMPLATE_DIR / "manifest.json").read_text(encoding="utf-8"))

APP_ID = "6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B"
PUBLIC_URL = "https://htpm.oakfield-trust.example/"

runner = CliRunner()


def schema_dir() -> Path:
    """The installed schemas for the template's manifest version (fails, never skips)."""
    folder = SCHEMAS / f"v{TEMPLATE['manifestVersion']}"
    if not folder.is_dir():
        pytest.fail(
            f"The Teams manifest schema is not installed ({folder} is missing). "
            "Run ./scripts/test, which installs the Node tools (needs Node.js 20+ and npm)."
        )
    return folder


def _no_network(uri: str) -> Resource:
    raise NoSuchResource(ref=uri)  # every schema must come from the npm package, offline


def manifest_validator() -> Draft4Validator:
    """Microsoft's schema (draft-04 plus `const`, as Teams' own ajv validator reads it)."""
    folder, version = schema_dir(), TEMPLATE["manifestVersion"]
    resources = []
    for path in sorted(folder.glob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT4)
        resources.append((SCHEMA_URL.format(version=version, name=path.name), resource))
        if isinstance(contents.get("id"), str):
            resources.append((contents["id"], resource))
    registry = Registry(retrieve=_no_network).with_resources(resources)
    schema = json.loads((folder / "MicrosoftTeams.schema.json").read_text(encoding="utf-8"))
    draft4_with_const = validators.extend(
        Draft4Validator, {"const": Draft7Validator.VALIDATORS["const"]}
    )
    return draft4_with_const(schema, registry=registry)


def schema_errors(manifest: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in manifest_validator().iter_errors(manifest)
    ]


def package(tmp_path: Path) -> Path:
    return build_teams_package(APP_ID, PUBLIC_URL, tmp_path / "out" / "htpm.zip")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The chunks of a PNG, checking the signature and every CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        pos += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    return chunks


def png_size_and_pixels(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height (from IHDR) and the RGBA pixels of an unfiltered 8-bit RGBA PNG."""
    chunks = png_chunks(data)
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, colour_type, interlace) == (8, 6, 0), "expected 8-bit RGBA, not interlaced"
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * 4 + 1
    assert len(raw) == stride * height
    pixels = []
    for y in range(height):
        row = raw[y * stride : (y + 1) * stride]
        assert row[0] == 0, "the icons are written without row filters"
        pixels += [tuple(row[1 + 4 * x : 5 + 4 * x]) for x in range(width)]
    return width, height, pixels


# --- the manifest ----------------------------------------------------------------------------


def test_the_template_is_on_the_newest_schema_the_package_ships():
    schema_dir()
    numbered = [
        tuple(int(n) for n in path.name[1:].split("."))
        for path in SCHEMAS.iterdir()
        if re.fullmatch(r"v\d+\.\d+", path.name)
    ]
    newest = ".".join(map(str, max(numbered)))
    assert TEMPLATE["manifestVersion"] == newest
    assert TEMPLATE["$schema"] == SCHEMA_URL.format(
        version=newest, name="MicrosoftTeams.schema.json"
    )


def test_the_packaged_manifest_is_valid_against_microsofts_schema(tmp_path):
    with zipfile.ZipFile(package(tmp_path)) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert schema_errors(manifest) == []


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda m: m.update(manifestVersion="1.29"), "manifestVersion"),
        (lambda m: m.update(accentColor="blue"), "accentColor"),
        (lambda m: m["name"].update(short="HTPM bot for the whole Oakfield trust"), "name/short"),
        (lambda m: m["bots"][0].update(botId="not-a-guid"), "bots/0/botId"),
        (lambda m: m.update(surprise=True), "(root)"),
    ],
    ids=["version-const", "accent-colour", "long-name", "bot-id", "unknown-property"],
)
def test_the_schema_check_catches_a_broken_manifest(change, path):
    manifest = filled_manifest(APP_ID, PUBLIC_URL)
    broken = copy.deepcopy(manifest)
    change(broken)
    errors = schema_errors(broken)
    assert errors, "the validator accepted a manifest that breaks the schema"
    assert any(error.startswith(f"{path}:") for error in errors), errors


def test_the_manifest_describes_a_personal_bot_that_takes_files():
    manifest = filled_manifest(APP_ID, PUBLIC_URL)
    app_id = APP_ID.lower()
    assert manifest["id"] == app_id
    assert manifest["name"]["short"] == "HTPM bot"
    assert "headteacher performance management" in manifest["description"]["short"].lower()
    assert "school trust" in manifest["description"]["full"]
    (bot,) = manifest["bots"]
    assert bot["botId"] == app_id
    assert bot["scopes"] == ["personal"]
    assert bot["supportsFiles"] is True
    assert manifest["validDomains"] == ["htpm.oakfield-trust.example"]
    assert manifest["webApplicationInfo"] == {"id": app_id, "resource": f"api://botid-{app_id}"}
    assert manifest["developer"]["websiteUrl"] == "https://htpm.oakfield-trust.example/"
    assert "{{" not in json.dumps(manifest)


def test_the_manifest_version_is_the_products():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    version = re.search(r'^version = "([^"]+)"', pyproject, re.MULTILINE).group(1)
    assert TEMPLATE["version"] == version


def test_the_manifest_commands_are_the_ones_the_bot_answers():
    (bot,) = TEMPLATE["bots"]
    (command_list,) = bot["commandLists"]
    assert command_list["scopes"] == ["personal"]
    titles = tuple(command["title"] for command in command_list["commands"])
    assert sorted(titles) == sorted(COMMANDS)
    assert all(command.get("description") for command in command_list["commands"])
    # The bot's own help card names the same commands.
    help_text = json.dumps(build_help_card("Hannah Lewis", ["headteacher"]))
    for title in titles:
        assert re.search(rf"\b{title}\b", help_text), f"the help card does not mention {title}"


# --- the zip and the icons -------------------------------------------------------------------


def test_the_zip_holds_the_manifest_and_icons_at_its_root(tmp_path):
    path = package(tmp_path)
    assert path == tmp_path / "out" / "htpm.zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
        for name in ("color.png", "outline.png"):
            assert archive.read(name) == (TEMPLATE_DIR / name).read_bytes()
    assert list(path.parent.iterdir()) == [path], "no temporary file is left behind"


def test_the_same_settings_give_the_same_package(tmp_path):
    first = build_teams_package(APP_ID, PUBLIC_URL, tmp_path / "a.zip").read_bytes()
    second = build_teams_package(APP_ID, PUBLIC_URL, tmp_path / "b.zip").read_bytes()
    assert first == second


def test_the_colour_icon_is_a_192_pixel_png():
    width, height, pixels = png_size_and_pixels((TEMPLATE_DIR / "color.png").read_bytes())
    assert (width, height) == (192, 192)
    assert all(alpha == 255 for *_, alpha in pixels), "the colour icon is full-bleed"
    assert len(set(pixels)) > 2


def test_the_outline_icon_is_a_32_pixel_white_on_transparent_png():
    width, height, pixels = png_size_and_pixels((TEMPLATE_DIR / "outline.png").read_bytes())
    assert (width, height) == (32, 32)
    visible = [p for p in pixels if p[3] > 0]
    assert all(p[:3] == (255, 255, 255) for p in visible), "outline pixels must be white"
    assert pixels[0][3] == 0 and pixels[-1][3] == 0, "the background is transparent"
    assert 0.1 < len(visible) / len(pixels) < 0.6


def test_a_damaged_png_is_caught():
    data = bytearray((TEMPLATE_DIR / "outline.png").read_bytes())
    data[20] ^= 0xFF  # inside IHDR
    with pytest.raises(AssertionError, match="bad CRC"):
        png_chunks(bytes(data))


# --- refusing bad settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "app_id",
    [
        "",
        "htpm-bot",
        "{6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b}",
        "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4",
    ],
)
def test_an_app_id_that_is_not_a_guid_is_refused(tmp_path, app_id):
    with pytest.raises(ValueError, match=r"HTPM_APP_ID .* expected a GUID"):
        build_teams_package(app_id, PUBLIC_URL, tmp_path / "htpm.zip")
    assert not (tmp_path / "htpm.zip").exists()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://htpm.example.org", "must start with https://"),
        ("htpm.example.org", "must start with https://"),
        ("", "must start with https://"),
        ("https://", "has no host name"),
        ("https:///api/messages", "has no host name"),
        ("https://htpm.example.org:port", "has a port that is not a number"),
        ("https://admin@htpm.example.org", "no user name, query or fragment"),
        ("https://htpm.example.org/?x=1", "no user name, query or fragment"),
        ("https://localhost:3978", "this machine's own address"),
        ("https://127.0.0.1", "this machine's own address"),
        ("https://[::1]:8443", "this machine's own address"),
    ],
)
def test_a_public_url_that_teams_cannot_use_is_refused(tmp_path, url, message):
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        build_teams_package(APP_ID, url, tmp_path / "htpm.zip")
    assert "HTPM_PUBLIC_URL" in str(caught.value)


def test_the_public_host_ignores_case_port_and_path():
    assert public_host(" https://Bot.Example.ORG:8443/htpm/api/messages ") == "bot.example.org"


# --- the command line ------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path, monkeypatch):
    """No HTPM_* setting or .env file leaks in; the command runs in an empty directory."""
    for name in list(os.environ):
        if name.startswith("HTPM_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "1000")
    return monkeypatch


def test_the_cli_builds_the_package(env, tmp_path):
    env.setenv("HTPM_APP_ID", APP_ID)
    env.setenv("HTPM_PUBLIC_URL", PUBLIC_URL)
    result = runner.invoke(app, ["teams-package", "--out", "dist/htpm.zip"])
    assert result.exit_code == 0, result.output
    assert "Wrote dist/htpm.zip" in result.output
    with zipfile.ZipFile(tmp_path / "dist" / "htpm.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID.lower()


def test_the_cli_writes_to_the_working_directory_by_default(env, tmp_path):
    env.setenv("HTPM_APP_ID", APP_ID)
    env.setenv("HTPM_PUBLIC_URL", PUBLIC_URL)
    result = runner.invoke(app, ["teams-package"])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(tmp_path / "htpm-teams-app.zip")


def test_the_cli_names_every_missing_setting(env, tmp_path):
    result = runner.invoke(app, ["teams-package"])
    assert result.exit_code == 2
    assert "HTPM_APP_ID is not set" in result.output
    assert "HTPM_PUBLIC_URL is not set" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_cli_explains_bad_settings(env, tmp_path):
    env.setenv("HTPM_APP_ID", "htpm-bot")
    env.setenv("HTPM_PUBLIC_URL", "http://htpm.example.org")
    result = runner.invoke(app, ["teams-package"])
    assert result.exit_code == 2
    assert "HTPM_APP_ID 'htpm-bot' is not an application (client) id" in result.output
    assert "HTPM_PUBLIC_URL 'http://htpm.example.org' must start with https://" in result.output
    assert list(tmp_path.iterdir()) == []


def test_the_cli_reports_an_unwritable_destination(env, tmp_path):
    env.setenv("HTPM_APP_ID", APP_ID)
    env.setenv("HTPM_PUBLIC_URL", PUBLIC_URL)
    (tmp_path / "taken").write_text("a file, not a directory")
    result = runner.invoke(app, ["teams-package", "--out", "taken/htpm.zip"])
    assert result.exit_code == 2
    assert "Cannot write taken/htpm.zip" in result.output
