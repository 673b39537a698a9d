"""torch.utils.benchmark.utils: common (Measurement), timer (Timer), compare (Compare)."""
