"""What Facebook Pages and Instagram share: Graph errors, batches, versioned URLs."""
