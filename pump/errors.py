"""The pump's exceptions, one root for all:

PumpError
├── RecordFailed           errors.tolerance=none and a record failed: the pump stopped at it (exit 1)
├── TopicsMissing          a topic is missing and spring.cloud.stream.kafka.binder.autoCreateTopics=false
├── TopicsNotCreated       the broker refused to create a missing topic (replication factor, ACLs, ...)
├── KafkaClientMissing     router.kafka.client names a client that is not installed
├── RecordRefused          the client or broker refused one record for what it is; never escapes run()
├── GroupMovedOn           a commit met a rebalance; never escapes run()
├── Fenced                 a newer instance with this one's identity took its place: this one stops (exit 1)
├── RewindFailed           the client would not seek back a partition it holds: stop rather than skip (exit 1)
└── Unavailable            something the loop needs is away; retried with backoff, never escapes run()
    ├── BrokerUnavailable      Kafka did not acknowledge, commit or answer in time
    │   └── Undelivered            the producer gave up on some records (not refused): send them again
    ├── TransactionFailed      exactly-once: the batch's transaction cannot commit; aborted, the batch again
    └── ClassifierUnavailable  the sidecar's /route/batch did not answer (remote mode)
"""

from __future__ import annotations

from spring_properties.binder_names import AUTO_CREATE_TOPICS, REPLICATION_FACTOR
from transforms.errors import Failure


class PumpError(Exception):
    """Root of every error the pump raises."""


class RecordFailed(PumpError):
    """A record failed with `errors.tolerance=none`: everything before it is produced and committed, and the
    committed offset is the failed record's own, so a restart resumes at it. The message is one line."""

    def __init__(self, topic: str, partition: int, offset: int, failure: Failure, advice: str | None = None) -> None:
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.failure = failure
        where = f"'{failure.alias}' ({failure.class_name})" if failure.alias else f"({failure.class_name})"
        advice = advice or (
            "fix the record or the chain, or set errors.tolerance=all (with errors.deadletterqueue.topic.name) "
            "to dead-letter such records and go on"
        )
        super().__init__(
            f"Stopped at record {topic}-{partition}@{offset}: {failure.stage} stage {where} failed: "
            f"{failure.exception_class}: {failure.message}. Nothing from this record on is committed, so a "
            f"restart resumes here; {advice}."
        )


class TopicsMissing(PumpError):
    """Topics the pump needs do not exist, and it may not create them."""

    def __init__(self, topics: list[str]) -> None:
        self.topics = topics
        names = ", ".join(topics)
        super().__init__(
            f"Topic(s) {names} do not exist and {AUTO_CREATE_TOPICS}=false: "
            "create them (kafka-topics.sh --create ...), or set "
            f"{AUTO_CREATE_TOPICS}=true to let the app create them."
        )


class TopicsNotCreated(PumpError):
    """The broker refused to create missing topics; the message gives its reason for each."""

    def __init__(self, reasons: dict[str, str]) -> None:
        self.reasons = reasons
        listed = "; ".join(f"{topic}: {reason.rstrip('.')}" for topic, reason in reasons.items())
        super().__init__(
            f"Could not create topic(s): {listed}. Check {REPLICATION_FACTOR} "
            "and minPartitionCount (and errors.deadletterqueue.topic.replication.factor for the dead-letter "
            "topic) against the cluster, and that the app may create topics; or create them beforehand."
        )


class KafkaClientMissing(PumpError):
    """The Kafka client that router.kafka.client selects cannot be loaded; the message says what to install."""


class RecordRefused(PumpError):
    """The producer or the broker refused one record for what it is (too large, invalid): sending it again
    cannot help, so it fails like a stage (stage KAFKA_PRODUCE). Raised by no one: a Producer reports it in
    flush()'s answer. `error_class` is the client's own name for the error, `producer_class` its producer's
    (both go into a dead letter's Connect headers)."""

    def __init__(self, message: str, *, error_class: str, producer_class: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.producer_class = producer_class


class GroupMovedOn(PumpError):
    """A commit was refused because the group is rebalancing or has moved on without this member: the
    offsets are committed before the partitions go (RebalanceListener.revoked), or their next owner
    processes the records again."""


class Fenced(PumpError):
    """A newer instance with this instance's identity (its group.instance.id or transactional.id) took its
    place: this one stops, writing nothing more. The message says which identity and what to check."""


# What a Fenced message advises: one identity per live instance.
FENCED_ADVICE = (
    "a newer instance with the same identity is running, so this one stops. If this instance was not "
    "restarted, two live instances share one identity: give each its own spring.cloud.stream.instanceIndex "
    "(or group.instance.id)"
)


def producer_fenced(transactional_id: object, cause: str) -> Fenced:
    """The Fenced error of a transactional producer a newer one took over from, on either client."""
    return Fenced(
        f"Fenced: transactional.id {transactional_id} now belongs to another producer ({cause}): {FENCED_ADVICE}."
    )


class RewindFailed(PumpError):
    """The client would not seek a partition it still holds back to the records in hand: going on would skip
    them, and a later commit would pass them, so the pump stops (a restart resumes at the committed offset)."""


class Unavailable(PumpError):
    """Something the loop depends on is away for now; the batch in hand is retried, nothing is committed."""


class BrokerUnavailable(Unavailable):
    """Kafka did not acknowledge the batch, accept the commit, or answer, in time."""


class Undelivered(BrokerUnavailable):
    """The producer gave up on the records it sent with `tags` for a broker reason (its delivery timeout
    passed, its connection state was lost), not for what they are: sending them again may succeed."""

    def __init__(self, message: str, tags: list[int], refused: list[tuple[int, RecordRefused]]) -> None:
        super().__init__(message)
        self.tags = tags
        self.refused = refused  # what the same flush reported refused for what it is


class ClassifierUnavailable(Unavailable):
    """The remote classifier (the sidecar's POST /route/batch) cannot be reached or is not ready."""


class TransactionFailed(Unavailable):
    """Exactly-once: the batch's transaction cannot commit (the producer gave up on some of its records, or
    the broker refused some for what they are: that fails the whole transaction). It is aborted and the batch
    done again; `refused` (tag, why) are failed then (stage KAFKA_PRODUCE), without waiting."""

    def __init__(self, message: str, refused: list[tuple[int, RecordRefused]]) -> None:
        super().__init__(message)
        self.refused = refused
