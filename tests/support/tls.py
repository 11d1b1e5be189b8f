"""Test helpers: self-signed certificates and HTTP(S) servers on 127.0.0.1 in their own thread."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class KeyPair:
    """A private key and its self-signed certificate, in memory and as PEM files."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    cert_path: Path  # the certificate alone: a CA bundle for clients
    key_path: Path  # the private key alone: for a TLS server
    combined_path: Path  # key then certificate: what the bot's HTPM_APP_CERT_PATH holds


def self_signed(directory: Path, name: str = "127.0.0.1") -> KeyPair:
    """A fresh RSA key and a certificate for 127.0.0.1, written under the directory."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(
        key, cert, directory / f"{name}.crt", directory / f"{name}.key", directory / f"{name}.pem"
    )
    pair.cert_path.write_bytes(cert_pem)
    pair.key_path.write_bytes(key_pem)
    pair.combined_path.write_bytes(key_pem + cert_pem)
    return pair


@contextmanager
def serve(
    handler: type[BaseHTTPRequestHandler], tls: KeyPair | None = None
) -> Iterator[ThreadingHTTPServer]:
    """Serve the handler on 127.0.0.1 (over TLS when given a key pair) from another thread.

    The server runs outside the test's event loop because msal and requests block: serving from
    the same loop would deadlock.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls.cert_path, tls.key_path)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def base_url(server: ThreadingHTTPServer) -> str:
    """The server's address as a URL."""
    scheme = "https" if isinstance(server.socket, ssl.SSLSocket) else "http"
    host, port = server.server_address[:2]
    return f"{scheme}://{host}:{port}"
