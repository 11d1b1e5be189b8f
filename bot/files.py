"""Files in the 1:1 chat: which attachments are files, what types we keep, and moving bytes.

Teams sends a file dropped into a personal chat as an attachment of type
`application/vnd.microsoft.teams.file.download.info` whose content carries a short-lived,
pre-authenticated `downloadUrl`. A copy goes back the other way through a FileConsentCard: when
the person accepts, Teams gives an `uploadUrl` (a OneDrive upload session) to PUT the bytes to.

Both transfers are bounded: downloads stop as soon as more than the limit has arrived (whatever
Content-Length said), and each transfer has a total time limit. Both go through `bot.outbound`,
which decides which addresses they may reach, on every redirect too.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

from appraisal.inputs import clean_text
from bot import outbound
from bot.outbound import OutboundPolicy

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"

#: The evidence file types we keep: extension -> the content type stored with the bytes.
ALLOWED_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "ppt": "application/vnd.ms-powerpoint",
    "csv": "text/csv",
    "txt": "text/plain",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
}
#: How the allowed types are named to people.
ALLOWED_PHRASE = (
    "PDF, Word (.docx, .doc), Excel (.xlsx, .xls, .csv), PowerPoint (.pptx, .ppt), "
    "text (.txt), PNG or JPEG"
)

#: Longest a download from Teams may take, start to finish (seconds).
DOWNLOAD_SECONDS = 60.0
#: Longest an upload of a copy to the person's OneDrive may take (seconds).
UPLOAD_SECONDS = 60.0
#: Most redirects a download follows (each one checked like the first URL).
DOWNLOAD_REDIRECTS = 5
_CHUNK = 64 * 1024

# What each type's bytes start with. Office files are ZIP (the OOXML formats) or OLE2
# compound files (the older binary formats); text files must not look binary.
_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "docx": _ZIP,
    "xlsx": _ZIP,
    "pptx": _ZIP,
    "doc": _OLE,
    "xls": _OLE,
    "ppt": _OLE,
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
}
_BINARY_STARTS = (b"MZ", b"\x7fELF", b"%PDF-", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG")


@dataclass(frozen=True)
class FileOffer:
    """A file attached to a message: its name, where to fetch it, and its declared type."""

    name: str
    download_url: str
    file_type: str


def _field(attachment: Any, name: str) -> Any:
    if isinstance(attachment, dict):
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), name)
        return attachment.get(camel, attachment.get(name))
    return getattr(attachment, name, None)


def files_in(attachments: Sequence[Any] | None) -> tuple[list[FileOffer], int]:
    """The files attached to a message, and how many inline (pasted) images it carries.

    Teams adds a text/html attachment to formatted messages; that and anything else that is
    neither a file nor an image is ignored.
    """
    offers: list[FileOffer] = []
    images = 0
    for attachment in attachments or ():
        kind = str(_field(attachment, "content_type") or "").lower()
        if kind == FILE_DOWNLOAD_INFO:
            content = _field(attachment, "content")
            content = content if isinstance(content, dict) else {}
            offers.append(
                FileOffer(
                    # The name reaches the store and other people's cards (as the title).
                    name=clean_text(str(_field(attachment, "name") or "")).strip() or "file",
                    download_url=str(content.get("downloadUrl") or ""),
                    file_type=str(content.get("fileType") or ""),
                )
            )
        elif kind.startswith("image/") and _field(attachment, "content_url"):
            images += 1
    return offers, images


def extension_of(name: str) -> str:
    """'pdf' for 'Report.PDF'; '' when the name has no extension."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[1].lower().strip() if "." in base.strip(".") else ""


def allowed_extension(offer: FileOffer) -> str | None:
    """The offer's extension when it is one we keep and agrees with the declared type."""
    ext = extension_of(offer.name)
    declared = offer.file_type.lower().lstrip(".")
    if ext not in ALLOWED_TYPES:
        return None
    if declared and declared != ext and {declared, ext} != {"jpg", "jpeg"}:
        return None
    return ext


def looks_like(ext: str, data: bytes) -> bool:
    """True when the bytes plausibly are a file of this type (checked by their first bytes)."""
    signatures = _SIGNATURES.get(ext)
    if signatures is not None:
        return data.startswith(signatures)
    # csv and txt: text, not a program or document wearing a .txt name.
    head = data[:4096]
    if head.startswith(_BINARY_STARTS):
        return False
    utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
    return utf16 or b"\x00" not in head


def copy_name(title: str, content_type: str) -> str:
    """A OneDrive-safe file name for a copy: the title and the type's extension."""
    ext = next((e for e, t in ALLOWED_TYPES.items() if t == content_type), "")
    if content_type == "image/jpeg":
        ext = "jpg"
    stem = re.sub(r'[\x00-\x1f\x7f"*:<>?/\\|#%]', "-", title)
    stem = " ".join(stem.split()).strip(" .")[:120].strip(" .") or "evidence"
    return f"{stem}.{ext}" if ext else stem


class TransferError(Exception):
    """A download or upload did not complete; `reason` is too_big, timeout or failed.

    A URL that `bot.outbound` refuses (an internal address, a redirect too many) is "failed":
    the person sees the usual "could not fetch" answer, the log line says why.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def download(url: str, limit: int, policy: OutboundPolicy) -> bytes:
    """The bytes at `url`, refusing more than `limit` bytes and more than DOWNLOAD_SECONDS."""
    seconds = DOWNLOAD_SECONDS
    try:
        async with asyncio.timeout(seconds):
            return await _read(url, limit, seconds, policy)
    except TimeoutError:
        raise TransferError("timeout") from None
    except (outbound.Refused, aiohttp.ClientError, ValueError):
        raise TransferError("failed") from None


async def _read(url: str, limit: int, seconds: float, policy: OutboundPolicy) -> bytes:
    async with outbound.request(
        policy, "GET", url, seconds=seconds, redirects=DOWNLOAD_REDIRECTS
    ) as resp:
        if resp.status != 200:
            raise TransferError("failed")
        if resp.content_length is not None and resp.content_length > limit:
            raise TransferError("too_big")
        data = bytearray()
        # Count what actually arrives (after any decompression): Content-Length may lie.
        async for chunk in resp.content.iter_chunked(_CHUNK):
            data += chunk
            if len(data) > limit:
                raise TransferError("too_big")
        return bytes(data)


async def upload(url: str, data: bytes, policy: OutboundPolicy) -> None:
    """PUT the whole file to a OneDrive upload session URL in one request (no redirects)."""
    if not data:
        raise TransferError("failed")
    size = len(data)
    headers = {"Content-Range": f"bytes 0-{size - 1}/{size}"}
    seconds = UPLOAD_SECONDS
    try:
        async with (
            asyncio.timeout(seconds),
            outbound.request(
                policy, "PUT", url, seconds=seconds, data=data, headers=headers
            ) as resp,
        ):
            if resp.status not in (200, 201):
                raise TransferError("failed")
    except TimeoutError:
        raise TransferError("timeout") from None
    except (outbound.Refused, aiohttp.ClientError):
        raise TransferError("failed") from None
