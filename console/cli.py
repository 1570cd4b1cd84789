"""``lobbyq console``: serve the console, or add an account to its file.

    lobbyq console --broker URL --branch ID --accounts FILE --listen HOST:PORT
    lobbyq console add-user NAME --role manager --accounts FILE   (password on stdin)

The server is uvicorn in this process, with the MQTT client beside it; HTTPS
is uvicorn's own when ``--tls-cert`` and ``--tls-key`` are given (the branch
CA's certificate), or a reverse proxy's in front of it.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path

from console.auth import ROLES, AccountError, Accounts

log = logging.getLogger("lobbyq.console")


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"{value!r}: give HOST:PORT, e.g. 127.0.0.1:8080")
    return host.strip("[]") or "127.0.0.1", int(port)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", help="broker URL, e.g. mqtts://console:PASS@host:8883?ca=...")
    parser.add_argument("--branch", help="branch id (the topics' second level)")
    parser.add_argument("--accounts", type=Path, help="accounts file (SQLite), made if missing")
    parser.add_argument("--listen", type=_listen, default=("127.0.0.1", 8080), help="HOST:PORT")
    parser.add_argument("--client-id", default="console", help="MQTT client and device id")
    parser.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    parser.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="send the session cookie over plain HTTP too (a trusted test LAN only)",
    )
    sub = parser.add_subparsers(dest="console_command", metavar="ACTION")
    add = sub.add_parser("add-user", help="add an account; the password is read from stdin")
    add.add_argument("name")
    add.add_argument("--role", choices=ROLES, default="viewer")
    add.add_argument("--accounts", type=Path, default=argparse.SUPPRESS)
    add.add_argument("--replace", action="store_true", help="set a new password or role")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise AccountError("the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def add_user(args: argparse.Namespace) -> int:
    accounts = Accounts(args.accounts)
    try:
        account = accounts.add_user(args.name, args.role, _read_password(), replace=args.replace)
    except AccountError as exc:
        print(f"lobbyq console add-user: {exc}", file=sys.stderr)
        return 1
    finally:
        accounts.close()
    print(f"account {account.name} ({account.role}) saved in {args.accounts}")
    return 0


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from console.actions import BusCommander
    from console.link import ConsoleLink, console_will
    from console.model import BranchModel
    from console.web import ConsoleDeps, create_app
    from drivers.mqtt.client import MqttBus
    from drivers.mqtt.request import Requester
    from lobbyq.protocol.topics import TopicError, Topics

    missing = [f"--{n}" for n in ("broker", "branch") if getattr(args, n) is None]
    if missing:
        print(f"lobbyq console: {' and '.join(missing)} needed", file=sys.stderr)
        return 2
    if (args.tls_cert is None) != (args.tls_key is None):
        print("lobbyq console: give both --tls-cert and --tls-key, or neither", file=sys.stderr)
        return 2
    try:
        topics = Topics(args.branch)
    except TopicError as exc:
        print(f"lobbyq console: {exc}", file=sys.stderr)
        return 2
    accounts = Accounts(args.accounts)
    if not accounts.users():
        log.warning("no account yet: add one with `lobbyq console add-user NAME --role manager`")
    bus = MqttBus(args.broker, args.client_id, will=console_will(topics, args.client_id))
    model = BranchModel(topics)
    link = ConsoleLink(bus, model, device=args.client_id)
    link.attach()
    requester = Requester(bus, topics, args.client_id)
    deps = ConsoleDeps(
        model=model,
        commander=BusCommander(requester),
        accounts=accounts,
        cookie_secure=not args.insecure_cookies,
    )
    host, port = args.listen
    config = uvicorn.Config(
        create_app(deps),
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=2,
        ssl_certfile=str(args.tls_cert) if args.tls_cert else None,
        ssl_keyfile=str(args.tls_key) if args.tls_key else None,
    )
    scheme = "https" if args.tls_cert else "http"
    bus.start()
    print(f"console on {scheme}://{host}:{port}/ branch {args.branch}", flush=True)
    try:
        uvicorn.Server(config).run()
    finally:
        link.presence.offline()
        bus.stop()
        accounts.close()
    return 0


def run(args: argparse.Namespace) -> int:
    if args.accounts is None:
        print("lobbyq console: --accounts FILE is needed", file=sys.stderr)
        return 2
    if args.console_command == "add-user":
        return add_user(args)
    return serve(args)
