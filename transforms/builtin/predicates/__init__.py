"""The built-in predicates, one module each."""
