"""Development tools outside the product: the synthetic district and the benchmarks."""
