"""Real receivers for the notification tests, on 127.0.0.1 only, each on a port the system
chose: an SMTP server (aiosmtpd: STARTTLS or TLS from the first byte, AUTH) and an HTTP
receiver (http.server), both in threads, stopped when the test ends; and a throwaway
self-signed certificate for 127.0.0.1 made with cryptography."""

from __future__ import annotations

import contextlib
import datetime
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and localhost, valid for a day, and its key (PEM)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cheel test SMTP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    tls: bool
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)  # recipients answered 550
    received: list[Received] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        login = session.auth_data.login.decode() if session.authenticated else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content, session.ssl is not None,
                                      login))
        return "250 Message accepted for delivery"


class _BoundController(Controller):
    """aiosmtpd's controller on a socket already bound to 127.0.0.1 (port 0 works)."""

    def __init__(self, handler, sock: socket.socket, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)
        self.sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self.sock,
                                       ssl=self.ssl_context)


@contextlib.contextmanager
def smtp_server(tls: ssl.SSLContext | None = None, *, implicit: bool = False,
                login: tuple[str, str] | None = None, refuse: set[str] = frozenset()):
    """A real SMTP server: ``tls`` offered by STARTTLS (required before AUTH and MAIL), or
    from the first byte with ``implicit``; ``login`` the only user name and password it
    takes. Yields (port, handler); ``handler.received`` holds what was delivered."""
    handler = _Handler(set(refuse))

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (login is not None and isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == login)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    kwargs = {"authenticator": authenticate, "auth_required": login is not None}
    if implicit:  # aiosmtpd sees no TLS of its own making: it would not offer AUTH
        kwargs.update(ssl_context=tls, auth_require_tls=False)
    elif tls is not None:
        kwargs.update(tls_context=tls, require_starttls=True)
    controller = _BoundController(handler, sock, **kwargs)
    controller.start()
    try:
        yield sock.getsockname()[1], handler
    finally:
        controller.stop()
        sock.close()


def closed_port() -> socket.socket:
    """A socket bound on 127.0.0.1 and not listening: connecting to its port is refused,
    and no other program can take the port while it is held."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


@dataclass
class Posted:
    path: str
    headers: dict[str, str]
    body: bytes


class HttpReceiver:
    """An HTTP server on 127.0.0.1 that records every request and answers ``status``
    (a 3xx with a Location to itself)."""

    def __init__(self, status: int = 204, delay: float = 0.0):
        self.status, self.delay = status, delay
        self.posted: list[Posted] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                receiver.posted.append(Posted(self.path, dict(self.headers),
                                              self.rfile.read(length)))
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                self.send_response(receiver.status)
                if 300 <= receiver.status < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
