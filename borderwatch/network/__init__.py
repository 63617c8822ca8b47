"""The route network: cost profile, graph contract, builder stages, array engine and graph files."""
