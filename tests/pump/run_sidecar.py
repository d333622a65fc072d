"""Run the sidecar (POST /route/batch over the chain of connect-config/router.properties) on a port, as the
second container of the two-container pod, for the pump's remote-mode tests and rate measurement.

    python tests/pump/run_sidecar.py --port 18080 --input timeDest --even evenDest --odd oddDest
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from sidecar import AppInfo, SidecarServer, SidecarSettings, create_app
from transforms import build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--even", required=True)
    parser.add_argument("--odd", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    properties = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
    chain = build_chain(properties, bindings={"input": args.input, "even": args.even, "odd": args.odd})
    bindings = {"input": args.input, "even": args.even, "odd": args.odd}
    app = create_app(chain, info=AppInfo(bindings=bindings), settings=SidecarSettings(host="127.0.0.1", port=args.port))
    SidecarServer(app, SidecarSettings(host="127.0.0.1", port=args.port), handle_signals=True).run()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
