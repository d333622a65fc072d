"""A Kafka Connect-style single message transform (SMT) library: records, transforms, predicates,
and a chain built from Connect's properties syntax. Pure: no Kafka, no network."""
