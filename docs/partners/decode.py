#!/usr/bin/env python3
"""Reads Youfu events from Kafka and prints each as one JSON line (docs/partners.md).

    python decode.py --brokers 127.0.0.1:9092 --topics youfu.persons.v1 --group my-agency

Every value is the protobuf binary encoding of the message its `ce_type` header names; the
classes come from code generated from Youfu's protos (`protoc --python_out`, directory --gen).
A partner de-duplicates by `ce_id` (delivery is at least once).
"""
import argparse
import importlib
import json
import pathlib
import sys
import time

from confluent_kafka import Consumer, KafkaError
from google.protobuf import descriptor_pool, json_format, message_factory


def load_generated(gen: pathlib.Path) -> None:
    """Imports every generated *_pb2 module, registering its messages in the default pool."""
    sys.path.insert(0, str(gen))
    for f in sorted(gen.rglob("*_pb2.py")):
        importlib.import_module(".".join(f.relative_to(gen).with_suffix("").parts))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--brokers", default="127.0.0.1:9092")
    p.add_argument("--topics", required=True, help="comma-separated, e.g. youfu.persons.v1,youfu.settlement.v1")
    p.add_argument("--group", required=True, help="your consumer group (offsets are kept per group)")
    p.add_argument("--gen", default=".local/partners/gen", help="the generated Python code")
    p.add_argument("--from-beginning", action="store_true", help="a new group starts at the oldest event kept")
    p.add_argument("--max", type=int, default=0, help="stop after this many events (0: run until Ctrl-C)")
    p.add_argument("--idle", type=float, default=0, help="stop after this many seconds without an event (0: never)")
    a = p.parse_args()
    load_generated(pathlib.Path(a.gen))
    pool = descriptor_pool.Default()

    c = Consumer({
        "bootstrap.servers": a.brokers,
        "group.id": a.group,
        "auto.offset.reset": "earliest" if a.from_beginning else "latest",
        "enable.auto.commit": False,
    })
    c.subscribe(a.topics.split(","))
    seen, last = 0, time.monotonic()
    try:
        while not a.max or seen < a.max:
            msg = c.poll(1.0)
            if msg is None:
                if a.idle and time.monotonic() - last > a.idle:
                    break
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(msg.error())
            last = time.monotonic()
            headers = {k: v.decode() for k, v in (msg.headers() or [])}
            ce_type = headers.get("ce_type", "")
            cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(ce_type))
            event = cls.FromString(msg.value())
            print(json.dumps({
                "topic": msg.topic(),
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": msg.key().decode() if msg.key() else None,
                "ce_id": headers.get("ce_id"),
                "ce_type": ce_type,
                "ce_time": headers.get("ce_time"),
                "ce_dataschema": headers.get("ce_dataschema"),
                "data": json_format.MessageToDict(event),
            }, ensure_ascii=False), flush=True)
            # Commit after handling: a crash re-reads, never skips (de-duplicate by ce_id).
            c.commit(message=msg, asynchronous=False)
            seen += 1
    finally:
        c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
