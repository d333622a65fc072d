"""Run one pump in its own process, as the entry point will: the chain from connect-config/router.properties,
the signal handlers, exit 0 on a clean stop and 1 with the one-line message when a record stops it.

    python tests/pump/run_pump.py --bootstrap 127.0.0.1:9092 --input timeDest --even evenDest --odd oddDest \\
        --group recipe [--client librdkafka] [--router-url http://127.0.0.1:8080] [--set errors.tolerance=none ...]

On exit it prints the pump's health components as one JSON line on stdout (counts, assignment).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from pathlib import Path

from pump import ChainClassifier, Classifier, Fenced, Pump, PumpConfig, RecordFailed, RemoteClassifier, signals
from pump.config import KAFKA_CLIENTS
from python_router.kafka_config import client_settings
from transforms import build_chain, parse_properties

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--even", required=True)
    parser.add_argument("--odd", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--client", choices=KAFKA_CLIENTS, default=KAFKA_CLIENTS[0], help="router.kafka.client")
    parser.add_argument("--router-url", help="classify through the sidecar's /route/batch (remote mode)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a chain property")
    parser.add_argument("--partitions", type=int, default=1, help="minPartitionCount of created topics")
    parser.add_argument("--no-auto-create-topics", action="store_true", help="autoCreateTopics=false")
    parser.add_argument("--session-timeout-ms", type=int, default=10_000)
    parser.add_argument("--shutdown-timeout", type=float, default=20.0)
    parser.add_argument("--ack-timeout", type=float, default=30.0)
    parser.add_argument("--retry-backoff-max", type=float, default=2.0, help="seconds (the app's default is 10)")
    parser.add_argument("--instance-index", type=int, default=0)
    parser.add_argument("--delivery", default="at-least-once", help="router.delivery")
    parser.add_argument("--transactional-id", help="exactly-once: the producer's transactional.id")
    parser.add_argument("--group-instance-id", help="static membership: the consumer's group.instance.id")
    parser.add_argument("--probe-interval", type=float, default=10.0, help="broker probe when idle, seconds")
    parser.add_argument("--health-file", type=Path, help="write the health components there every 0.2 s")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)

    properties = parse_properties((ROOT / "connect-config" / "router.properties").read_text())
    properties.update(item.split("=", 1) for item in args.set)
    bindings = {"input": args.input, "even": args.even, "odd": args.odd}
    chain = build_chain(properties, bindings=bindings)
    classifier: Classifier = RemoteClassifier(args.router_url, bindings) if args.router_url else ChainClassifier(chain)
    # Kafka's own property names, mapped for the client as the entry point maps them.
    kafka = client_settings(
        {},
        consumer={"session.timeout.ms": str(args.session_timeout_ms), "heartbeat.interval.ms": "1000"},
        bootstrap_servers=args.bootstrap.split(","),
        client=args.client,
    )
    config = PumpConfig(
        group_id=args.group,
        input_topic=args.input,
        output_topics=(args.even, args.odd),
        kafka_client=args.client,
        consumer=kafka.consumer,
        producer=kafka.producer,
        admin=kafka.admin,
        min_partition_count=args.partitions,
        auto_create_topics=not args.no_auto_create_topics,
        shutdown_timeout_s=args.shutdown_timeout,
        ack_timeout_s=args.ack_timeout,
        broker_probe_interval_s=args.probe_interval,
        retry_backoff_max_s=args.retry_backoff_max,
        instance_index=args.instance_index,
        delivery=args.delivery,
        transactional_id=args.transactional_id,
        group_instance_id=args.group_instance_id,
    )
    pump = Pump(config, classifier, chain.errors)
    signals.install(pump, shutdown_timeout_s=config.shutdown_timeout_s)
    if args.health_file:
        threading.Thread(target=write_health, args=(pump, args.health_file), daemon=True).start()
    try:
        return pump.run()
    except (RecordFailed, Fenced) as failed:
        print(failed, file=sys.stderr)
        return 1
    finally:
        print(json.dumps(pump.health_components()), flush=True)


def write_health(pump: Pump, path: Path) -> None:
    """What the sidecar's /actuator/health would show, for tests that watch the pump from outside."""
    while True:
        path.with_suffix(".tmp").write_text(json.dumps(pump.health_components()))
        path.with_suffix(".tmp").replace(path)
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
