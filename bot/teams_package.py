"""The Teams app package: the manifest template filled in for a deployment, with its icons."""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: The manifest template and icons (deployment/teams in the source tree).
TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "deployment" / "teams"
ICONS = ("color.png", "outline.png")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so the same inputs give the same bytes


def check_app_id(app_id: str) -> str:
    """The bot's Microsoft Entra application (client) id, lower-cased; ValueError if not a GUID."""
    value = app_id.strip()
    if not _GUID.match(value):
        raise ValueError(
            f"HTPM_APP_ID '{app_id}' is not an application (client) id: expected a GUID such as "
            "00000000-0000-0000-0000-000000000000, from the bot's app registration in Entra ID."
        )
    return value.lower()


def public_host(public_url: str) -> str:
    """The host name Teams reaches the bot at, from HTPM_PUBLIC_URL; ValueError if unusable."""
    value = public_url.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() != "https":
        raise ValueError(
            f"HTPM_PUBLIC_URL '{public_url}' must start with https:// "
            "(Teams only calls bots over HTTPS), e.g. https://htpm.example.org"
        )
    try:
        _ = parts.port
    except ValueError:
        raise ValueError(
            f"HTPM_PUBLIC_URL '{public_url}' has a port that is not a number between 0 and 65535"
        ) from None
    host = parts.hostname
    if not host:
        raise ValueError(
            f"HTPM_PUBLIC_URL '{public_url}' has no host name, e.g. https://htpm.example.org"
        )
    if parts.username is not None or parts.query or parts.fragment:
        raise ValueError(
            f"HTPM_PUBLIC_URL '{public_url}' must be a plain address such as "
            "https://htpm.example.org, with no user name, query or fragment"
        )
    if host == "localhost" or host.endswith(".localhost") or _is_loopback(host):
        raise ValueError(
            f"HTPM_PUBLIC_URL '{public_url}' is this machine's own address; Teams needs the "
            "public address that reaches the bot, e.g. https://htpm.example.org"
        )
    return host.lower()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def filled_manifest(
    app_id: str, public_url: str, *, template_dir: Path = TEMPLATE_DIR
) -> dict[str, Any]:
    """The manifest template with {{APP_ID}} and {{PUBLIC_HOST}} filled in."""
    values = {"APP_ID": check_app_id(app_id), "PUBLIC_HOST": public_host(public_url)}
    template = json.loads((template_dir / "manifest.json").read_text(encoding="utf-8"))

    def fill(node: Any) -> Any:
        if isinstance(node, str):
            return _PLACEHOLDER.sub(lambda m: values[m.group(1)], node)
        if isinstance(node, list):
            return [fill(item) for item in node]
        if isinstance(node, dict):
            return {key: fill(item) for key, item in node.items()}
        return node

    return fill(template)


def build_teams_package(
    app_id: str, public_url: str, out: Path, *, template_dir: Path = TEMPLATE_DIR
) -> Path:
    """Write the app package (manifest.json, color.png, outline.png at the zip root) to `out`.

    Raises ValueError, naming the setting, when app_id is not a GUID or public_url is not an
    https address with a public host name.
    """
    manifest = filled_manifest(app_id, public_url, template_dir=template_dir)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".teams-package-", suffix=".zip", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as raw, zipfile.ZipFile(raw, "w") as archive:
            entries = [("manifest.json", json.dumps(manifest, indent=2).encode() + b"\n")]
            entries += [(name, (template_dir / name).read_bytes()) for name in ICONS]
            for name, data in entries:
                info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, data)
        os.replace(temp_name, out)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return out
