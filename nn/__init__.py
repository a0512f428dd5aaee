"""nn: neurons, layers and MLPs built on ``autograd_engine.Value``'s public API."""
