"""Run the sandbox marketplace: ``python -m tatacliq_sandbox --port 8870``.

It starts with the demo seller, optionally seeds orders from a file and
generates more, prints the URL and the demo credentials, and serves until
Ctrl-C.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .auth import demo_seller
from .server import Sandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tatacliq_sandbox",
        description="Tata CLiQ marketplace sandbox on 127.0.0.1 with the demo seller.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument(
        "--port", type=int, default=8870, help="HTTP port (0 picks a free port)"
    )
    parser.add_argument(
        "--sftp-port",
        type=int,
        default=None,
        help="also serve SFTP on this port (off when left out)",
    )
    parser.add_argument(
        "--sftp-host-key",
        default=None,
        metavar="FILE",
        help="SFTP host key file, created when missing (default: a new key per run)",
    )
    parser.add_argument(
        "--seed-file",
        action="append",
        default=[],
        metavar="FILE",
        help='JSON file of orders {"order": [...]}; may be given more than once',
    )
    parser.add_argument(
        "--generate", type=int, default=0, metavar="N", help="generate N orders"
    )
    parser.add_argument(
        "--seed", default="0", help="random seed of the generated orders"
    )
    parser.add_argument("--log-level", default="INFO", help="logging level")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    seller = demo_seller()
    sandbox = Sandbox(
        args.host, args.port, args.sftp_port, sftp_host_key_file=args.sftp_host_key
    )
    sandbox.add_seller(seller)
    for path in args.seed_file:
        order_nos = sandbox.seed_file(seller.seller_id, path)
        print(f"Seeded {len(order_nos)} orders from {path}")
    if args.generate:
        order_nos = sandbox.generate(seller.seller_id, args.generate, seed=args.seed)
        print(f"Generated {len(order_nos)} orders (seed {args.seed})")

    sandbox.start()
    # These are the published demo credentials, not secrets.
    print(f"Tata CLiQ sandbox marketplace at {sandbox.url}")
    if sandbox.sftp is not None:
        print(f"SFTP at {sandbox.host}:{sandbox.sftp.port}")
        print("  SFTP login   demo.sftp / demo-sftp-password")
        print(f"  host key     {sandbox.sftp.host_key_line}")
    print(f"  seller id    {seller.seller_id}")
    print(f"  seller code  {seller.seller_code}")
    print(f"  slave login  {seller.username} / {seller.password}")
    print(f"  API key pair {seller.api_key} / {seller.api_secret}")
    print(f"  slave ids    {', '.join(seller.slave_ids)}")
    print(f"  admin        {sandbox.url}/_sandbox/state")

    # SIGTERM (from a supervising script) stops as cleanly as Ctrl-C. The
    # prompt comes inside the try, so a Ctrl-C sent as soon as it appears
    # is caught too.
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stopped.set())
    try:
        print("Press Ctrl-C to stop.", flush=True)
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping.", flush=True)
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
