"""The spec's JSON shapes: request and callback models, envelopes and port names."""
