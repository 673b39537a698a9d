"""Side-by-side ember vs torch benchmarks (run `python -m benchmarks`)."""
